"""Tertial reviews and the yearly follow-up: statistics, findings, the area index, reports."""
