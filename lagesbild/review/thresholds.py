"""Thresholds the review and the monthly pages share, without the statistics stack (scipy)
that `review.statistics` loads: the code location imports the monthly pages' module."""

FEW_EVENTS = 10
"""Counts below this (in either period) are 'few events': shown, never headlined."""
