{#-
    Reconciliation of sums: for every parent geography, month and indicator, the children of
    level `child_geo_level` together never exceed the parent's `column_name` (within
    `tolerance`). Parents come from the geography dimension (`geography`: geo_level, geo_code,
    parent_geo_level, parent_geo_code, is_composite). `atomic_only` leaves out composite
    areas (a composite area overlaps its parts, so only atomic areas may be summed).
    Used for: atomic areas ≤ their municipality, municipalities ≤ their region, LPOs ≤ their
    region. Returns one row per parent × month × indicator whose children add up to more.
-#}
{% test children_sum_not_greater_than_parent(
    model, column_name, geography, child_geo_level, atomic_only=false,
    partition_by=['month', 'indicator_code'], tolerance=1e-9
) %}

    {%- set keys = partition_by | join(', ') %}

    with

    children as (

        select
            {% for key in partition_by -%}
            model_rows.{{ key }},
            {% endfor -%}
            geography.parent_geo_level,
            geography.parent_geo_code,
            count(*) as children,
            sum(model_rows.{{ column_name }}) as children_value

        from {{ model }} as model_rows
        inner join {{ geography }} as geography
            on model_rows.geo_level = geography.geo_level
            and model_rows.geo_code = geography.geo_code
        where model_rows.geo_level = '{{ child_geo_level }}'
          and model_rows.{{ column_name }} is not null
          and geography.parent_geo_level is not null
          {%- if atomic_only %}
          and not coalesce(geography.is_composite, false)
          {%- endif %}
        group by all

    ),

    parents as (

        select {{ keys }}, geo_level, geo_code, {{ column_name }} as parent_value
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
    where children.children_value > parents.parent_value + {{ tolerance }}

{% endtest %}
