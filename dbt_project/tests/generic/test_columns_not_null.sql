{#-
    None of the listed columns holds a NULL — one test for all of a model's required columns
    (one scan of the model and one node, where a not_null test per column costs a scan and a
    node each; the marts also enforce NOT NULL through their contracts).
    Returns one row per column that has NULLs: the column's name and how many rows.
-#}
{% test columns_not_null(model, columns) %}

    with null_rows as (
        select
        {%- for column in columns %}
            count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ model }}
    ),

    per_column as (
        unpivot null_rows on
        {%- for column in columns %} {{ adapter.quote(column) }}{{ "," if not loop.last }}{%- endfor %}
        into name column_name value null_rows
    )

    select column_name, null_rows
    from per_column
    where null_rows > 0

{% endtest %}
