"""Synthetic default data for Lägesbild: a complete landing zone in the delivery formats."""

from lagesbild.generator.core import generate

__all__ = ["generate"]
