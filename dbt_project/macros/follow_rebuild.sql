{#-
    Incremental for a model whose rows of a month read only that month's rows of one
    history-rebuilt model (macros/history_rebuild.sql) and a few small inputs without months:
    it rebuilds the months that model rebuilt.

    history_rebuild_record() records on the followed table which build wrote it
    (build.id = the dbt invocation, build.previous_id = the build before it, build.rebuilt_from =
    its first rebuilt month, none = every month). The follower records as its table's comment
    (JSON) its model file's sha256, row count + md5 of its inputs without months
    (window_rebuild_fingerprint) and the followed build it was built from (followed_build). The
    next build starts at
      the run's first month                  the followed table has not been built since;
      the earlier of that and rebuilt_from   it was built exactly once since (previous_id is
                                             the recorded followed_build);
      every month                            anything else: built twice since (the build in
                                             between was missed), every month rebuilt, a changed
                                             model file or input, a first build, --full-refresh,
                                             a run without a first month.
    What it cannot see: the followed table changed outside dbt (rebuild with --full-refresh).

    In the model:
      config(materialized='incremental', incremental_strategy='delete+insert', unique_key='month',
             meta={'window_rebuild_inputs': [...], 'follow_rebuild_of': '<history-rebuilt model>'},
             pre_hook="{{ follow_rebuild_clear('month') }}",
             post_hook="{{ follow_rebuild_record() }}")
      {%- set rebuild_from = follow_rebuild_logged_start() %}
    then it keeps only the followed model's rows of follow_rebuild_months('month', rebuild_from)
    (`true` for a full rebuild).
-#}
{% macro follow_rebuild_followed_build() -%}
    {#- the build recorded on the followed table, {} when none is recorded -#}
    {%- set text = window_rebuild_recorded(ref(model.config.meta.follow_rebuild_of)) -%}
    {{ return((fromjson(text) if text else {}).get('build') or {}) }}
{%- endmacro %}


{% macro follow_rebuild_start() -%}
    {#- 'YYYY-MM-01', the first month to rebuild; none = every month -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start = month_window_bound('start_month') -%}
    {%- set recorded_text = window_rebuild_recorded() -%}
    {%- if start is none or not recorded_text -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set recorded = fromjson(recorded_text) -%}
    {%- set current = fromjson(window_rebuild_fingerprint()) -%}
    {%- set consumed = recorded.get('followed_build') -%}
    {%- if consumed is none
        or recorded.get('model_sha256') != current['model_sha256']
        or recorded.get('inputs') != current['inputs'] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set build = follow_rebuild_followed_build() -%}
    {%- if build.get('id') == consumed -%}
        {{ return(start) }}
    {%- elif build.get('previous_id') == consumed and build.get('rebuilt_from') is not none -%}
        {{ return([start, build['rebuilt_from']] | min) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{% macro follow_rebuild_logged_start() -%}
    {#- follow_rebuild_start(), said once in dbt's log -#}
    {%- set start = follow_rebuild_start() -%}
    {%- if execute -%}
        {%- do log(
            this.identifier ~ ": "
            ~ ("inputs and code unchanged, rebuilding from " ~ start ~ " (the run's months and what "
               ~ model.config.meta.follow_rebuild_of ~ " rebuilt since the last build)"
               if start is not none
               else "first build, full refresh, no run window, changed inputs/code or "
                    ~ model.config.meta.follow_rebuild_of ~ " rebuilt in full or twice since:"
                    ~ " rebuilding every month"),
            info=True
        ) -%}
    {%- endif -%}
    {{ return(start) }}
{%- endmacro %}


{% macro follow_rebuild_months(column, start) -%}
    {{- history_rebuild_months(column, start) -}}
{%- endmacro %}


{% macro follow_rebuild_clear(column) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ follow_rebuild_months(column, follow_rebuild_start()) }}
    {%- endif -%}
{%- endmacro %}


{% macro follow_rebuild_record() -%}
    {%- if execute -%}
        {%- set fingerprint = fromjson(window_rebuild_fingerprint()) -%}
        {%- do fingerprint.update({'followed_build': follow_rebuild_followed_build().get('id')}) -%}
        {{ window_rebuild_record(tojson(fingerprint, sort_keys=True)) }}
    {%- endif -%}
{%- endmacro %}
