"""Effect evaluation of measures in the areas against comparison areas (no Dagster here)."""
