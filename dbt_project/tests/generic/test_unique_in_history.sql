{#-
    The column is unique over the whole table (e.g. an offence id over every month).

    On a windowed run (vars start_month / end_month, macros/month_window.sql) only the values
    of the window's months are checked: grouped among themselves, and looked up among the
    other months' values. Every duplicate that involves a month the run (re)built is found
    without grouping the whole history; pairs among earlier months were found by the runs
    that built those months (raw rows of a month change only through a run whose window
    covers it). Without a window every value is checked. Returns one row per duplicated value.

    Values are grouped only where their hash occurs twice: every duplicated value is among
    them (equal values hash equally), and grouping one 64-bit hash is cheaper than grouping
    the values (ids of 13 characters over the whole history in a backfill).
-#}
{% test unique_in_history(model, column_name, month_column='month') %}

    {%- set window = month_window_predicate(month_column) | trim %}

    {%- if window == 'true' %}

    with twice_hashed as (
        select hash({{ column_name }}) as value_hash
        from {{ model }}
        where {{ column_name }} is not null
        group by value_hash
        having count(*) > 1
    )

    select {{ column_name }}, count(*) as n_rows
    from {{ model }}
    where {{ column_name }} is not null
        and hash({{ column_name }}) in (select value_hash from twice_hashed)
    group by {{ column_name }}
    having count(*) > 1

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

    twice_hashed_in_window as (
        select hash(checked_value) as value_hash
        from window_values
        group by value_hash
        having count(*) > 1
    ),

    twice_in_window as (
        select checked_value, count(*) as n_rows
        from window_values
        where hash(checked_value) in (select value_hash from twice_hashed_in_window)
        group by checked_value
        having count(*) > 1
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
