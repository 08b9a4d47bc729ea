{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month',
        on_schema_change='append_new_columns',
        meta={
            'window_rebuild_inputs': ['dim_geography', 'indicators'],
            'history_rebuild_recorded_inputs': ['int_indicators__counts_geo_month'],
            'history_rebuild_month_inputs': [
                'dim_month',
                'int_resources__geo_month',
                'int_population__geo_month',
                'stg_deliveries__months',
            ],
        },
        pre_hook="{{ history_rebuild_clear('month') }}",
        post_hook="{{ history_rebuild_record() }}"
    )
}}

-- The core mart: one row per month × geography × indicator, long format, on a COMPLETE grid
-- (every geography of dim_geography at the levels an indicator applies to × every indicator
-- of the catalogue × every month of dim_month). Where the indicator's deliveries arrived and
-- nothing happened the numerator is 0; where one of them is missing it is NULL and
-- is_complete is false — missing is not zero. How numerator, denominator and value are
-- formed is declared per indicator in seed `indicators` (kind, numerator, denominator,
-- sources, value_scale, has_rate_per_1000).
-- Incremental (macros/history_rebuild.sql): a month's rows read only earlier months, so a
-- run rebuilds from its first month (or the first month whose population, resources or
-- deliveries changed since the last build) to the last, reading two years before that for
-- the comparisons — and every month by itself when the geography, the catalogue, the
-- indicator counts' own fingerprint or this file changed.
{%- set rebuild_from = history_rebuild_logged_start() %}
{%- set read_months = history_rebuild_lookback('month', rebuild_from) %}
with

geographies as (

    select * from {{ ref('dim_geography') }}

),

months as (

    select * from {{ ref('dim_month') }}
    where {{ read_months }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

event_counts as (

    select * from {{ ref('int_indicators__counts_geo_month') }}
    where {{ read_months }}

),

resources as (

    select * from {{ ref('int_resources__geo_month') }}
    where {{ read_months }}

),

population as (

    select * from {{ ref('int_population__geo_month') }}
    where {{ read_months }}

),

deliveries as (

    select * from {{ ref('stg_deliveries__months') }}
    where {{ read_months }}

),

-- resource quantities long: one row per resource kind (seed indicators, columns numerator
-- and denominator name these kinds)
resource_quantities as (

    select month, geo_level, geo_code, 'omradespolis_fte' as quantity, omradespolis_fte as amount
    from resources
    union all
    select month, geo_level, geo_code, 'patrol_hours', patrol_hours
    from resources
    union all
    select month, geo_level, geo_code, 'fixed_camera_sites', fixed_camera_sites
    from resources
    union all
    select month, geo_level, geo_code, 'body_worn_cameras', body_worn_cameras
    from resources
    union all
    select month, geo_level, geo_code, 'officers_in_area', officers_in_area
    from resources

),

-- completeness per indicator and month: every delivery in the indicator's `sources` is in
-- raw.deliveries for the month
indicator_sources as (

    select
        indicator_code,
        unnest(string_split(sources, ';')) as source_name

    from indicators

),

indicator_months_complete as (

    select
        indicator_sources.indicator_code,
        months.month,
        count(distinct delivered.source_name) = count(distinct indicator_sources.source_name)
            as is_complete

    from indicator_sources
    cross join months
    left join (select distinct source_name, month from deliveries) as delivered
        on indicator_sources.source_name = delivered.source_name
        and months.month = delivered.month
    group by indicator_sources.indicator_code, months.month

),

grid as (

    select
        months.month,
        months.year,
        months.month_number,
        geographies.geo_level,
        geographies.geo_code,
        indicators.indicator_code,
        indicators.kind,
        indicators.numerator as numerator_kind,
        indicators.denominator as denominator_kind,
        indicators.value_scale,
        indicators.has_rate_per_1000

    from indicators
    inner join geographies
        on list_contains(string_split(indicators.geo_levels, ';'), geographies.geo_level)
    cross join months

),

measured as (

    select
        grid.*,
        indicator_months_complete.is_complete,
        case
            when indicator_months_complete.is_complete
                then cast(coalesce(event_counts.n_numerator, numerator_quantity.amount, 0) as double)
        end as numerator,
        case grid.denominator_kind
            when 'population' then population.population
            when 'offence_count' then
                case
                    when indicator_months_complete.is_complete
                        then cast(coalesce(event_counts.n_denominator, 0) as double)
                end
            when 'officers_in_area' then
                case
                    when indicator_months_complete.is_complete
                        then cast(coalesce(denominator_quantity.amount, 0) as double)
                end
        end as denominator,
        coalesce(
            grid.denominator_kind = 'population' and population.is_extrapolated, false
        ) as is_population_extrapolated

    from grid
    inner join indicator_months_complete
        on grid.indicator_code = indicator_months_complete.indicator_code
        and grid.month = indicator_months_complete.month
    left join event_counts
        on grid.month = event_counts.month
        and grid.geo_level = event_counts.geo_level
        and grid.geo_code = event_counts.geo_code
        and grid.indicator_code = event_counts.indicator_code
    left join resource_quantities as numerator_quantity
        on grid.month = numerator_quantity.month
        and grid.geo_level = numerator_quantity.geo_level
        and grid.geo_code = numerator_quantity.geo_code
        and grid.numerator_kind = numerator_quantity.quantity
    left join resource_quantities as denominator_quantity
        on grid.month = denominator_quantity.month
        and grid.geo_level = denominator_quantity.geo_level
        and grid.geo_code = denominator_quantity.geo_code
        and grid.denominator_kind = denominator_quantity.quantity
    left join population
        on grid.month = population.month
        and grid.geo_level = population.geo_level
        and grid.geo_code = population.geo_code

),

valued as (

    select
        *,
        case
            when value_scale is null then numerator
            else numerator / nullif(denominator, 0) * value_scale
        end as value,
        case
            when has_rate_per_1000 then numerator / nullif(denominator, 0) * 1000
        end as rate_per_1000

    from measured

),

-- comparisons over each series (geography × indicator), all in one pass over the series in
-- month order. The grid is complete and the spine gapless, but the month arithmetic is
-- checked anyway: a window that contains a missing (not delivered) month gives NULL, never a
-- partial sum, and one that reaches past a gap into other months is detected by its first
-- month.
windowed as (

    select
        *,
        lag(month, 12) over series as month_12_back,
        lag(numerator, 12) over series as numerator_12_back,
        lag(value, 12) over series as value_12_back,
        lag(rate_per_1000, 12) over series as rate_per_1000_12_back,
        min(month) over last_12_months as first_month_of_last_12,
        count(numerator) over last_12_months as n_complete_of_last_12,
        sum(numerator) over last_12_months as numerator_sum_of_last_12,
        sum(denominator) over last_12_months as denominator_sum_of_last_12,
        avg(denominator) over last_12_months as mean_denominator_of_last_12,
        avg(value) over last_12_months as mean_value_of_last_12,
        min(month) over year_to_date as first_month_year_to_date,
        count(numerator) over year_to_date as n_complete_year_to_date,
        sum(numerator) over year_to_date as numerator_sum_year_to_date,
        min(month) over year_to_date_12_back as first_month_year_to_date_12_back,
        count(numerator) over year_to_date_12_back as n_complete_year_to_date_12_back,
        sum(numerator) over year_to_date_12_back as numerator_sum_year_to_date_12_back,
        min(month) over last_12_months_12_back as first_month_of_last_12_12_back,
        count(numerator) over last_12_months_12_back as n_complete_of_last_12_12_back,
        sum(numerator) over last_12_months_12_back as numerator_sum_of_last_12_12_back,
        sum(denominator) over last_12_months_12_back as denominator_sum_of_last_12_12_back,
        avg(value) over last_12_months_12_back as mean_value_of_last_12_12_back

    from valued
    window
        series as (
            partition by geo_level, geo_code, indicator_code
            order by month
        ),
        last_12_months as (
            series rows between 11 preceding and current row
        ),
        -- this year's months up to this one: at most month_number rows back
        year_to_date as (
            series rows between month_number - 1 preceding and current row
        ),
        -- the same two windows a year back (the series' row 12 months earlier)
        year_to_date_12_back as (
            series rows between month_number + 11 preceding and 12 preceding
        ),
        last_12_months_12_back as (
            series rows between 23 preceding and 12 preceding
        )

),

compared as (

    select
        *,
        month_12_back is not distinct from (month - interval 12 month) as has_month_12_back,
        n_complete_of_last_12 = 12
            and first_month_of_last_12 = month - interval 11 month as has_full_12_months,
        n_complete_of_last_12_12_back = 12
            and first_month_of_last_12_12_back = month - interval 23 month
            as has_full_12_months_12_back,
        case
            when n_complete_year_to_date = month_number
                and first_month_year_to_date = make_date(year, 1, 1)
                then numerator_sum_year_to_date
        end as numerator_ytd,
        case
            when n_complete_year_to_date_12_back = month_number
                and first_month_year_to_date_12_back = make_date(year - 1, 1, 1)
                then numerator_sum_year_to_date_12_back
        end as numerator_ytd_12_back

    from windowed

),

rolled as (

    select
        *,
        case when has_full_12_months then numerator_sum_of_last_12 end as numerator_rolling_12m,
        case
            when has_full_12_months and has_rate_per_1000
                then numerator_sum_of_last_12 / nullif(mean_denominator_of_last_12, 0) * 1000
        end as rate_per_1000_rolling_12m,
        case
            when not has_full_12_months then null
            when kind = 'count' then numerator_sum_of_last_12
            when kind = 'ratio'
                then numerator_sum_of_last_12 / nullif(denominator_sum_of_last_12, 0) * value_scale
            else mean_value_of_last_12
        end as value_rolling_12m,
        case when has_month_12_back then numerator_12_back end as numerator_prev_year

    from compared

),

compared_with_last_year as (

    select
        *,
        case when has_month_12_back then numerator_ytd_12_back end as numerator_ytd_prev_year,
        case
            when not has_month_12_back or not has_full_12_months_12_back then null
            when kind = 'count' then numerator_sum_of_last_12_12_back
            when kind = 'ratio'
                then numerator_sum_of_last_12_12_back
                    / nullif(denominator_sum_of_last_12_12_back, 0) * value_scale
            else mean_value_of_last_12_12_back
        end as value_rolling_12m_prev_year

    from rolled

),

final as (

    select
        cast(month as date) as month,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(indicator_code as varchar) as indicator_code,
        cast(kind as varchar) as kind,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(value as double) as value,
        cast(rate_per_1000 as double) as rate_per_1000,
        cast(is_complete as boolean) as is_complete,
        cast(
            case
                when kind = 'count' then coalesce(numerator < 10, false)
                when kind = 'ratio' then coalesce(numerator < 10 or denominator < 10, false)
                else false
            end as boolean
        ) as is_small_number,
        cast(is_population_extrapolated as boolean) as is_population_extrapolated,
        cast(numerator_prev_year as double) as numerator_prev_year,
        cast(case when has_month_12_back then value_12_back end as double) as value_prev_year,
        cast(case when has_month_12_back then rate_per_1000_12_back end as double)
            as rate_per_1000_prev_year,
        cast(
            case
                when kind = 'count'
                    then 2 * (sqrt(numerator) - sqrt(numerator_prev_year))
            end as double
        ) as change_z_prev_year,
        cast(numerator_rolling_12m as double) as numerator_rolling_12m,
        cast(rate_per_1000_rolling_12m as double) as rate_per_1000_rolling_12m,
        cast(value_rolling_12m as double) as value_rolling_12m,
        cast(value_rolling_12m_prev_year as double) as value_rolling_12m_prev_year,
        cast(numerator_ytd as double) as numerator_ytd,
        cast(numerator_ytd_prev_year as double) as numerator_ytd_prev_year

    from compared_with_last_year

)

select * from final
where {{ history_rebuild_months('month', rebuild_from) }}
