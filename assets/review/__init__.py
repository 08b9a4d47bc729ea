"""Tertial reviews: the review asset, its job and its schedule."""
