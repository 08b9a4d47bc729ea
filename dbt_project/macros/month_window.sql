{#-
    The month window of an incremental run.

    Vars (both optional, strings 'YYYY-MM-01'):
      start_month  first month to (re)build, inclusive
      end_month    last month to (re)build, inclusive
    Absent (null) = unbounded on that side; both absent = every month.
    Where a var is absent, the environment variable LAGESBILD_DBT_START_MONTH /
    LAGESBILD_DBT_END_MONTH gives it: that is how the pipeline passes its run's window, because
    a --vars value that changes from run to run makes dbt re-parse the whole project (≈ 2 s),
    while an environment variable only read when a node runs (`execute`) does not. While dbt
    parses, the window is therefore open; nothing is built or tested then.

    month_window_predicate('month') renders a SQL predicate on a DATE column, e.g.
      month between date '2024-02-01' and date '2024-02-01'
    and fails compilation on a malformed value, so a typo never silently rebuilds nothing.
-#}
{% macro month_window_bound(var_name) -%}
    {%- set value = var(var_name, none) -%}
    {%- if (value is none or (value | string | trim) == '') and execute -%}
        {#- only when a node runs: an environment variable read while dbt parses becomes part of
            the parse state, and every new window would make dbt re-parse the files of the
            generic tests that use it (≈ 1.5 s of each run) -#}
        {%- set value = env_var('LAGESBILD_DBT_' ~ (var_name | upper), '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-01$', value) -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ var_name ~ "' must be a first-of-month date 'YYYY-MM-01', got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}


{% macro month_window_predicate(column) -%}
    {%- set start_month = month_window_bound('start_month') -%}
    {%- set end_month = month_window_bound('end_month') -%}
    {%- if start_month is not none and end_month is not none and start_month > end_month -%}
        {{ exceptions.raise_compiler_error(
            "start_month (" ~ start_month ~ ") is after end_month (" ~ end_month ~ ")"
        ) }}
    {%- endif -%}
    {%- if start_month is none and end_month is none -%}
        true
    {%- elif end_month is none -%}
        {{ column }} >= date '{{ start_month }}'
    {%- elif start_month is none -%}
        {{ column }} <= date '{{ end_month }}'
    {%- else -%}
        {{ column }} between date '{{ start_month }}' and date '{{ end_month }}'
    {%- endif -%}
{%- endmacro %}
