{#-
    The combination of columns is unique (the grain of the model). NULLs compare equal, so
    two rows that differ only by NULL vs NULL count as duplicates.
    Returns one row per duplicated combination.

    window_column (optional): a month column that is part of the combination, on models
    rebuilt month by month (incremental). On a windowed run (vars start_month / end_month,
    macros/month_window.sql) only the window's months are grouped — complete for what the
    run rebuilt, since two rows of different months never share a combination; without a
    window every month is checked.
-#}
{% test unique_combination_of_columns(model, combination_of_columns, window_column=none) %}

    {%- if window_column is not none and window_column not in combination_of_columns %}
        {{ exceptions.raise_compiler_error(
            "window_column '" ~ window_column ~ "' must be one of combination_of_columns"
        ) }}
    {%- endif %}

    {%- if window_column is not none %}
        {%- set checked_months = month_window_predicate(window_column) %}
    {%- else %}
        {%- set checked_months = 'true' %}
    {%- endif %}

    {{ duplicated_values(model, combination_of_columns, checked_months) }}

{% endtest %}
