{#-
    Incremental from the run's first month to the last, for a model whose rows of a month read
    the months before it (windows over a series) and never the months after it.

    Like window_rebuild.sql, every successful build records a fingerprint of what the rows were
    built from as the table's comment (JSON), and the next build compares:
      model_sha256     the model file (dbt's checksum)
      inputs           row count + md5 of the sorted rows of each small input without months
                       (meta.window_rebuild_inputs: the geography, seeds)
      recorded_inputs  the recorded fingerprint of each window-rebuilt input
                       (meta.history_rebuild_recorded_inputs): it changes exactly when that
                       input rebuilt every month by itself
      months           per month: row count + sum of row hashes of each month-indexed input
                       (meta.history_rebuild_month_inputs; doubles rounded to 6 decimals,
                       as DuckDB's parallel sums differ in their last bits between builds); its rows without a month (such
                       as a geography's delivery) count as one more group, whose change
                       rebuilds every month

    The rebuild starts at the earliest of the run's first month (LAGESBILD_DBT_START_MONTH /
    var start_month) and the first month whose month-indexed inputs differ from the recorded
    ones (a revised population, a late delivery), and runs to the last month: a month's rows
    read only earlier months, so everything before the start stays as built. A changed model
    file, input without months or window-rebuilt input, a first build, --full-refresh or a run
    without a first month rebuild every month.

    In the model:
      config(materialized='incremental', incremental_strategy='delete+insert', unique_key='month',
             meta={'window_rebuild_inputs': [...], 'history_rebuild_recorded_inputs': [...],
                   'history_rebuild_month_inputs': [...]},
             pre_hook="{{ history_rebuild_clear('month') }}",
             post_hook="{{ history_rebuild_record() }}")
      {%- set rebuild_from = history_rebuild_logged_start() %}
    then it reads its inputs from history_rebuild_lookback(rebuild_from) on (January two years
    before the start: enough for a previous year's rolling-12-month and year-to-date figures)
    and keeps only the rows of month >= rebuild_from (both render `true` for a full rebuild).
-#}
{% macro history_rebuild_fingerprint() -%}
    {%- set meta = model.config.meta -%}
    {%- set recorded_inputs = {} -%}
    {%- for name in meta.get('history_rebuild_recorded_inputs', []) -%}
        {%- do recorded_inputs.update({name: window_rebuild_recorded(ref(name))}) -%}
    {%- endfor -%}
    {%- set months = {} -%}
    {%- for name in meta.get('history_rebuild_month_inputs', []) -%}
        {#- doubles rounded: parallel sums differ in their last bits from build to build -#}
        {%- set values = [] -%}
        {%- for column in adapter.get_columns_in_relation(ref(name)) -%}
            {%- set quoted = adapter.quote(column.name) -%}
            {%- do values.append(
                'round(' ~ quoted ~ ', 6)' if column.dtype | upper in ('DOUBLE', 'FLOAT', 'REAL')
                else quoted
            ) -%}
        {%- endfor -%}
        {#- one JSON text: agate would read month keys as dates and hashes as numbers -#}
        {%- set per_month = fromjson(run_query(
            "select cast(coalesce(json_group_object(month_key, fingerprint), '{}') as varchar)"
            ~ " from (select coalesce(strftime(month, '%Y-%m-01'), 'without month') as month_key,"
            ~ " count(*) || ':' || cast(sum(hash(" ~ values | join(', ') ~ ")) as varchar)"
            ~ " as fingerprint from " ~ ref(name) ~ " group by 1)"
        ).rows[0][0]) -%}
        {%- do months.update({name: per_month}) -%}
    {%- endfor -%}
    {%- set whole = fromjson(window_rebuild_fingerprint()) -%}
    {{ return({
        'model_sha256': whole['model_sha256'],
        'inputs': whole['inputs'],
        'recorded_inputs': recorded_inputs,
        'months': months,
    }) }}
{%- endmacro %}


{% macro history_rebuild_start() -%}
    {#- 'YYYY-MM-01', the first month to rebuild; none = every month (also in a dbt unit
        test, which has no table: `this` is none there) -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start = month_window_bound('start_month') -%}
    {%- set recorded_text = window_rebuild_recorded() -%}
    {%- if start is none or not recorded_text -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(history_rebuild_compare(start, fromjson(recorded_text), history_rebuild_fingerprint())) }}
{%- endmacro %}


{% macro history_rebuild_compare(start, recorded, current) -%}
    {#- the first month to rebuild given the run's first month and the recorded and current
        fingerprints; none = every month -#}
    {%- for key in ['model_sha256', 'inputs', 'recorded_inputs'] -%}
        {%- if recorded.get(key) != current[key] -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set starts = [start] -%}
    {%- for name, now in current['months'].items() -%}
        {%- set before = (recorded.get('months') or {}).get(name) -%}
        {%- if before is none -%}
            {{ return(none) }}
        {%- endif -%}
        {%- for month in (now.keys() | list) + (before.keys() | list) -%}
            {%- if now.get(month) != before.get(month) and month == 'without month' -%}
                {{ return(none) }}  {#- rows without a month (e.g. a geography delivery) -#}
            {%- elif now.get(month) != before.get(month) -%}
                {%- do starts.append(month) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(starts | min) }}
{%- endmacro %}


{% macro history_rebuild_logged_start() -%}
    {#- history_rebuild_start(), said once in dbt's log -#}
    {%- set start = history_rebuild_start() -%}
    {%- if execute -%}
        {%- do log(
            this.identifier ~ ": "
            ~ ("inputs before " ~ start ~ " and code unchanged, rebuilding from " ~ start
               if start is not none
               else "first build, full refresh, no run window or changed inputs/code: rebuilding every month"),
            info=True
        ) -%}
    {%- endif -%}
    {{ return(start) }}
{%- endmacro %}


{% macro history_rebuild_months(column, start) -%}
    {{- column ~ " >= date '" ~ start ~ "'" if start is not none else 'true' -}}
{%- endmacro %}


{% macro history_rebuild_lookback(column, start) -%}
    {%- if start is none -%}
        true
    {%- else -%}
        {{ column }} >= date '{{ (start[:4] | int) - 2 }}-01-01'
    {%- endif -%}
{%- endmacro %}


{% macro history_rebuild_clear(column) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ history_rebuild_months(column, history_rebuild_start()) }}
    {%- endif -%}
{%- endmacro %}


{% macro history_rebuild_record() -%}
    {#- the fingerprint, and which build wrote the table (read by follow_rebuild.sql):
        build.id the dbt invocation, build.previous_id the build it followed (none after a
        first build or a --full-refresh), build.rebuilt_from its first rebuilt month (none =
        every month) — the same start the model's SQL took, from the same two fingerprints -#}
    {%- if execute -%}
        {%- set recorded_text = window_rebuild_recorded() -%}
        {%- set recorded = fromjson(recorded_text) if recorded_text else {} -%}
        {%- set current = history_rebuild_fingerprint() -%}
        {%- set start = month_window_bound('start_month') -%}
        {%- set rebuilt_from = (
            history_rebuild_compare(start, recorded, current)
            if is_incremental() and start is not none and recorded_text else none
        ) -%}
        {%- do current.update({'build': {
            'id': invocation_id,
            'previous_id': (recorded.get('build') or {}).get('id'),
            'rebuilt_from': rebuilt_from,
        }}) -%}
        {{ window_rebuild_record(tojson(current, sort_keys=True)) }}
    {%- endif -%}
{%- endmacro %}
