{{ config(materialized='view') }}
-- Analyst convenience view: one row per geography × month with the main indicators as
-- columns (values in their catalogue unit, rates per 1 000 inhabitants for counts).
-- The list below is the only place the "main" indicators are chosen; a column added here
-- must also be declared in the YAML (the marts contract covers this view too).
{%- set counts = [
    'offences_total', 'violent_crime', 'violence_public_place', 'drug_offences', 'robbery',
    'vandalism_arson', 'shootings', 'explosions'
] %}
{%- set values = [
    'clearance_rate', 'omradespoliser_per_5000', 'patrol_hours_per_1000',
    'fixed_camera_sites', 'body_worn_camera_coverage'
] %}
with

facts as (

    select * from {{ ref('fct_indicator_month') }}

),

geographies as (

    select * from {{ ref('dim_geography') }}

),

pivoted as (

    select
        month,
        geo_level,
        geo_code,
        {%- for code in counts %}
        max(numerator) filter (where indicator_code = '{{ code }}') as {{ code }},
        max(rate_per_1000) filter (where indicator_code = '{{ code }}') as {{ code }}_rate_per_1000,
        {%- endfor %}
        {%- for code in values %}
        max(value) filter (where indicator_code = '{{ code }}') as {{ code }},
        {%- endfor %}
        max(denominator) filter (where indicator_code = 'offences_total') as population,
        bool_and(is_complete) as is_complete

    from facts
    group by month, geo_level, geo_code

)

select
    cast(pivoted.month as date) as month,
    cast(pivoted.geo_level as varchar) as geo_level,
    cast(pivoted.geo_code as varchar) as geo_code,
    cast(geographies.name as varchar) as geo_name,
    cast(geographies.region as varchar) as region,
    cast(pivoted.population as double) as population,
    {%- for code in counts %}
    cast(pivoted.{{ code }} as double) as {{ code }},
    cast(pivoted.{{ code }}_rate_per_1000 as double) as {{ code }}_rate_per_1000,
    {%- endfor %}
    {%- for code in values %}
    cast(pivoted.{{ code }} as double) as {{ code }},
    {%- endfor %}
    cast(pivoted.is_complete as boolean) as is_complete

from pivoted
inner join geographies
    on pivoted.geo_level = geographies.geo_level
    and pivoted.geo_code = geographies.geo_code
