{#-
    The column is unique over the whole table (e.g. an offence id over every month).

    On a windowed run (vars start_month / end_month, macros/month_window.sql) only the values
    of the window's months are looked up in the whole table: every duplicate that involves a
    month the run (re)built is found, at the cost of a join instead of a grouping of the whole
    history. Pairs among earlier months were found by the runs that built those months (raw
    rows of a month change only through a run whose window covers it). Without a window every
    value is checked. Returns one row per duplicated value.
-#}
{% test unique_in_history(model, column_name, month_column='month') %}

    {%- set window = month_window_predicate(month_column) | trim %}

    {%- if window == 'true' %}

    select {{ column_name }}, count(*) as n_rows
    from {{ model }}
    where {{ column_name }} is not null
    group by {{ column_name }}
    having count(*) > 1

    {%- else %}

    with window_values as (
        select distinct {{ column_name }} as checked_value
        from {{ model }}
        where {{ window }} and {{ column_name }} is not null
    )

    select history.{{ column_name }}, count(*) as n_rows
    from {{ model }} as history
    semi join window_values on history.{{ column_name }} = window_values.checked_value
    group by history.{{ column_name }}
    having count(*) > 1

    {%- endif %}

{% endtest %}
