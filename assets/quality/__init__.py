"""The quality gate: Great Expectations suites and reconciliation checks as Dagster asset checks."""
