-- The municipality problem picture for the police–municipality cooperation: every count
-- and ratio indicator per municipality × month, over 12 months and compared with the
-- region and the nation. Long (one row per indicator), so a new catalogue indicator
-- appears without a code change; v_indicators_wide has the wide shape.
-- Incremental (macros/follow_rebuild.sql): a month's rows read only that month of
-- fct_indicator_month, so a run rebuilds the months fct_indicator_month rebuilt — and every
-- month when the geography, this file or anything the fact table's record cannot vouch for
-- changed.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month',
        on_schema_change='append_new_columns',
        meta={
            'window_rebuild_inputs': ['dim_geography'],
            'follow_rebuild_of': 'fct_indicator_month',
        },
        pre_hook="{{ follow_rebuild_clear('month') }}",
        post_hook="{{ follow_rebuild_record() }}"
    )
}}
{%- set rebuild_from = follow_rebuild_logged_start() %}
with

facts as (

    select * from {{ ref('fct_indicator_month') }}
    where kind in ('count', 'ratio')
        and {{ follow_rebuild_months('month', rebuild_from) }}

),

geographies as (

    select * from {{ ref('dim_geography') }}

),

-- the figure compared across geographies: the rate per 1 000 inhabitants over 12 months
-- for counts, the 12-month value for ratios (clearance rate in percent)
comparable as (

    select
        *,
        case
            when kind = 'count' then rate_per_1000_rolling_12m
            else value_rolling_12m
        end as comparison_value_12m

    from facts

),

municipalities as (

    select comparable.*, geographies.name as municipality_name, geographies.region
    from comparable
    inner join geographies
        on comparable.geo_level = geographies.geo_level
        and comparable.geo_code = geographies.geo_code
    where comparable.geo_level = 'municipality'

),

regions as (

    select month, geo_code as region, indicator_code, comparison_value_12m
    from comparable
    where geo_level = 'region'

),

nation as (

    select month, indicator_code, comparison_value_12m
    from comparable
    where geo_level = 'nation'

),

final as (

    select
        cast(municipalities.month as date) as month,
        cast(municipalities.geo_code as varchar) as municipality_code,
        cast(municipalities.municipality_name as varchar) as municipality_name,
        cast(municipalities.region as varchar) as region,
        cast(municipalities.indicator_code as varchar) as indicator_code,
        cast(municipalities.kind as varchar) as kind,
        cast(municipalities.numerator as double) as numerator,
        cast(municipalities.value as double) as value,
        cast(municipalities.rate_per_1000 as double) as rate_per_1000,
        cast(municipalities.numerator_rolling_12m as double) as numerator_rolling_12m,
        cast(municipalities.comparison_value_12m as double) as comparison_value_12m,
        cast(regions.comparison_value_12m as double) as region_comparison_value_12m,
        cast(nation.comparison_value_12m as double) as national_comparison_value_12m,
        cast(
            municipalities.comparison_value_12m
            / nullif(nation.comparison_value_12m, 0) * 100 as double
        ) as index_vs_nation,
        cast(municipalities.change_z_prev_year as double) as change_z_prev_year,
        cast(municipalities.is_complete as boolean) as is_complete,
        cast(municipalities.is_small_number as boolean) as is_small_number

    from municipalities
    left join regions
        on municipalities.month = regions.month
        and municipalities.region = regions.region
        and municipalities.indicator_code = regions.indicator_code
    left join nation
        on municipalities.month = nation.month
        and municipalities.indicator_code = nation.indicator_code

)

select * from final
