{#-
    None of the listed numeric columns is below zero (NULLs pass) — one test for all of a
    model's counts and quantities, where an accepted_range test per column costs a scan and
    a node each. Returns one row per column with negative values: its name, how many rows
    and the smallest value.
-#}
{% test columns_non_negative(model, columns) %}

    {%- for column in columns %}
    select
        '{{ column }}' as column_name,
        count(*) as negative_rows,
        min({{ adapter.quote(column) }}) as smallest_value
    from {{ model }}
    where {{ adapter.quote(column) }} < 0
    having count(*) > 0
    {{ "union all" if not loop.last }}
    {%- endfor %}

{% endtest %}
