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

    {%- set columns_csv = combination_of_columns | join(', ') %}
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

    -- Every duplicated combination is among the combinations whose hash occurs twice (equal
    -- values hash equally, NULLs too), and grouping one 64-bit hash is cheaper than grouping
    -- the columns: the columns are grouped only for the rows of those hashes.
    with twice_hashed as (
        select hash({{ columns_csv }}) as combination_hash
        from {{ model }}
        where {{ checked_months }}
        group by combination_hash
        having count(*) > 1
    )

    select
        {{ columns_csv }},
        count(*) as n_rows

    from {{ model }}
    where ({{ checked_months }})
        and hash({{ columns_csv }}) in (select combination_hash from twice_hashed)
    group by {{ columns_csv }}
    having count(*) > 1

{% endtest %}
