"""Dagster assets and asset checks, thin over the `lagesbild` domain package."""

from assets.dbt_library import load_dagster_dbt

load_dagster_dbt()  # before any module here imports dagster_dbt: see assets/dbt_library.py
