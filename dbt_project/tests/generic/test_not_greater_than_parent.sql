{#-
    Reconciliation: a geography's `column_name` never exceeds its parent's in the same
    partition (month × indicator). The parent of each geography comes from the geography
    dimension (`geography`, columns geo_level, geo_code, parent_geo_level, parent_geo_code):
    area ≤ its municipality, municipality ≤ region, LPO ≤ region, region ≤ nation.
    `child_geo_level` restricts the check to one level (default: every level with a parent).
    Returns the offending child rows with their parent's value.
-#}
{% test not_greater_than_parent(
    model, column_name, geography, child_geo_level=none,
    partition_by=['month', 'indicator_code'], tolerance=1e-9
) %}

    with

    children as (

        select
            {% for key in partition_by -%}
            model_rows.{{ key }},
            {% endfor -%}
            model_rows.geo_level,
            model_rows.geo_code,
            geography.parent_geo_level,
            geography.parent_geo_code,
            model_rows.{{ column_name }} as child_value

        from {{ model }} as model_rows
        inner join {{ geography }} as geography
            on model_rows.geo_level = geography.geo_level
            and model_rows.geo_code = geography.geo_code
        where geography.parent_geo_level is not null
        {%- if child_geo_level is not none %}
          and model_rows.geo_level = '{{ child_geo_level }}'
        {%- endif %}

    ),

    parents as (

        select
            {% for key in partition_by -%}
            {{ key }},
            {% endfor -%}
            geo_level,
            geo_code,
            {{ column_name }} as parent_value

        from {{ model }}

    )

    select
        children.*,
        parents.parent_value

    from children
    inner join parents
        on children.parent_geo_level = parents.geo_level
        and children.parent_geo_code = parents.geo_code
        {%- for key in partition_by %}
        and children.{{ key }} = parents.{{ key }}
        {%- endfor %}
    where children.child_value > parents.parent_value + {{ tolerance }}

{% endtest %}
