{#-
    The combination of columns is unique (the grain of the model). NULLs compare equal, so
    two rows that differ only by NULL vs NULL count as duplicates.
    Returns one row per duplicated combination.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {%- set columns_csv = combination_of_columns | join(', ') %}

    select
        {{ columns_csv }},
        count(*) as n_rows

    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1

{% endtest %}
