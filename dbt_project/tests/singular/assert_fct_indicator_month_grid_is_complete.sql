-- Failure means: the core mart is missing a (month, geography, indicator) row, or has one
-- that should not exist. Every geography of dim_geography at the levels an indicator applies
-- to (seed indicators.geo_levels) × every indicator of the catalogue × every month of
-- dim_month must be present — a missing row would read as "no data" instead of 0 or NULL.
-- An indicator added to seeds/indicators.csv whose numerator kind fct_indicator_month does
-- not build yet (CTE numerator_deliveries) fails here, by design.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicator_month'}}}) }}  -- shown as a check on fct_indicator_month
with

expected as (

    select
        months.month,
        geographies.geo_level,
        geographies.geo_code,
        indicators.indicator_code

    from {{ ref('dim_month') }} as months
    cross join {{ ref('dim_geography') }} as geographies
    inner join {{ ref('indicators') }} as indicators
        on list_contains(string_split(indicators.geo_levels, ';'), geographies.geo_level)

),

actual as (

    select month, geo_level, geo_code, indicator_code
    from {{ ref('fct_indicator_month') }}

),

missing_rows as (

    select 'missing' as problem, * from expected
    except
    select 'missing' as problem, * from actual

),

unexpected_rows as (

    select 'unexpected' as problem, * from actual
    except
    select 'unexpected' as problem, * from expected

)

select * from missing_rows
union all
select * from unexpected_rows
