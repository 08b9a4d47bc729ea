{#-
    Incremental on the run's month window, rebuilt in full by itself when anything else changed.

    For a model whose rows of a month depend only on that month's rows of the incremental event
    aggregations plus a few small non-event inputs (geography, seeds) and its own SQL. Its rows
    outside the window stay valid exactly as long as those inputs and that SQL are the ones that
    built them, so every successful build records a fingerprint of them as the table's comment
    (JSON: the model file's sha256, and row count + md5 of every input's sorted rows), and the
    next build compares:

      scope 'window'  incremental run, fingerprint unchanged: the window's months are deleted
                      and rebuilt (month_window_predicate, macros/month_window.sql)
      scope 'all'     first build, --full-refresh, or the fingerprint changed (a geography
                      revision, an edited seed, new model code): every month is deleted and
                      rebuilt, with no --full-refresh needed

    The non-event inputs are named once, in the model's config:
      config(materialized='incremental', incremental_strategy='delete+insert', unique_key='month',
             meta={'window_rebuild_inputs': ['<model or seed>', ...]},
             pre_hook="{{ window_rebuild_clear('month') }}",
             post_hook="{{ window_rebuild_record() }}")
    and the model's SQL takes its months once, `{%- set rebuilt_months =
    window_rebuild_predicate('month') %}` (which also says the scope in dbt's log), and filters
    its event CTEs with `where {{ rebuilt_months }}`.
    Deleting the scope first (pre-hook, same transaction) also removes months whose events all
    disappeared, which delete+insert on the new rows' months alone would keep.
-#}
{% macro window_rebuild_fingerprint() -%}
    {%- set inputs = {} -%}
    {%- for name in model.config.meta.window_rebuild_inputs -%}
        {%- set row = run_query(
            "select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10)"
            ~ " order by cast(t as varchar)), '')) from " ~ ref(name) ~ " as t"
        ).rows[0] -%}
        {%- do inputs.update({name: (row[0] | string) ~ ':' ~ row[1]}) -%}
    {%- endfor -%}
    {{ return(tojson({'model_sha256': model.checksum.checksum, 'inputs': inputs}, sort_keys=True)) }}
{%- endmacro %}


{% macro window_rebuild_recorded(relation=none) -%}
    {#- the fingerprint recorded on `relation` (default: this model's table), none if no table -#}
    {%- set relation = relation or this -%}
    {%- set rows = run_query(
        "select comment from duckdb_tables() where database_name = '" ~ relation.database
        ~ "' and schema_name = '" ~ relation.schema ~ "' and table_name = '"
        ~ relation.identifier ~ "'"
    ).rows -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}


{% macro window_rebuild_scope() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return('all') }}
    {%- endif -%}
    {%- if window_rebuild_recorded() != window_rebuild_fingerprint() -%}
        {{ return('all') }}
    {%- endif -%}
    {{ return('window') }}
{%- endmacro %}


{% macro window_rebuild_months(column, scope=none) -%}
    {%- set scope = scope or window_rebuild_scope() -%}
    {{- month_window_predicate(column) if scope == 'window' else 'true' -}}
{%- endmacro %}


{% macro window_rebuild_predicate(column) -%}
    {#- the months the model's SQL rebuilds, also said once in dbt's log -#}
    {%- set scope = window_rebuild_scope() -%}
    {%- set months = window_rebuild_months(column, scope) -%}
    {%- if execute -%}
        {%- do log(
            this.identifier ~ ": "
            ~ ("inputs and code unchanged, rebuilding the run's months (" ~ months ~ ")"
               if scope == 'window'
               else "first build, full refresh or changed inputs/code: rebuilding every month"),
            info=True
        ) -%}
    {%- endif -%}
    {{- months -}}
{%- endmacro %}


{% macro window_rebuild_clear(column) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ window_rebuild_months(column) }}
    {%- endif -%}
{%- endmacro %}


{% macro window_rebuild_record(fingerprint=none) -%}
    {#- records `fingerprint` (JSON text; default: window_rebuild_fingerprint()) on this table -#}
    {%- if execute -%}
        comment on table {{ this }} is '{{ (fingerprint or window_rebuild_fingerprint()) | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
