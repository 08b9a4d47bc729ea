{#-
    The column is unique over the whole table (e.g. an offence id over every month).

    On a windowed run (vars start_month / end_month, macros/month_window.sql) only the values
    of the window's months are checked: grouped among themselves, and looked up among the
    other months' values. Every duplicate that involves a month the run (re)built is found
    without grouping the whole history; pairs among earlier months were found by the runs
    that built those months (raw rows of a month change only through a run whose window
    covers it). Without a window every value is checked. Returns one row per duplicated value.

    Duplicates are found by macros/duplicated_values.sql (values grouped only where their
    hash occurs twice).
-#}
{% test unique_in_history(model, column_name, month_column='month') %}

    {%- set window = month_window_predicate(month_column) | trim %}

    {%- if window == 'true' %}

    {{ duplicated_values(model, [column_name], column_name ~ ' is not null') }}

    {%- else %}

    with window_values as (
        select {{ column_name }} as checked_value
        from {{ model }}
        where {{ window }} and {{ column_name }} is not null
    ),

    earlier_or_later as (
        select {{ column_name }} as checked_value
        from {{ model }}
        where not ({{ window }}) and {{ column_name }} is not null
    ),

    twice_in_window as (
        {{ duplicated_values('window_values', ['checked_value']) }}
    ),

    also_outside_window as (
        select checked_value, count(*) + 1 as n_rows
        from earlier_or_later
        semi join window_values using (checked_value)
        group by checked_value
    )

    select checked_value as {{ column_name }}, max(n_rows) as n_rows
    from (select * from twice_in_window union all select * from also_outside_window)
    group by checked_value

    {%- endif %}

{% endtest %}
