{#-
    Use a custom schema name verbatim (`staging`, `intermediate`, `marts`, `reference`)
    instead of dbt's default `<target schema>_<custom schema>`. The warehouse contract in
    DESIGN.md names these schemas, and the publish step copies `marts` by that name.
    Nodes without a custom schema fall back to the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
