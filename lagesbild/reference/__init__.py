"""Reference data: builds the dbt seeds from the compiled public facts in ../shared/reference."""
