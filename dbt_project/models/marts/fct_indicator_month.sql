-- The core mart: one row per month × geography × indicator, long format, on a COMPLETE grid
-- (every geography of dim_geography at the levels an indicator applies to × every indicator
-- × every month of dim_month). Where the indicator's delivery arrived and nothing happened
-- the numerator is 0; where the delivery is missing it is NULL and is_complete is false —
-- missing is not zero.
with

geographies as (

    select * from {{ ref('dim_geography') }}

),

months as (

    select * from {{ ref('dim_month') }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

offence_counts as (

    select * from {{ ref('int_indicators__counts_geo_month') }}

),

population as (

    select * from {{ ref('int_population__geo_month') }}

),

deliveries as (

    select * from {{ ref('stg_deliveries__months') }}

),

-- the delivery each kind of numerator (column `numerator` of seed indicators) is counted
-- from: a month is complete for an indicator when that delivery exists for the month.
-- Only numerator kinds listed here are built; add a row (and its counts) for a new kind.
numerator_deliveries as (

    select *
    from (
        values
            ('offence_count', 'offences')
    ) as numerator_delivery (numerator, delivery_source)

),

indicator_geographies as (

    select
        indicators.indicator_code,
        numerator_deliveries.delivery_source,
        geographies.geo_level,
        geographies.geo_code

    from indicators
    inner join numerator_deliveries
        on indicators.numerator = numerator_deliveries.numerator
    inner join geographies
        on list_contains(string_split(indicators.geo_levels, ';'), geographies.geo_level)

),

grid as (

    select
        months.month,
        months.year,
        months.month_number,
        indicator_geographies.geo_level,
        indicator_geographies.geo_code,
        indicator_geographies.indicator_code,
        indicator_geographies.delivery_source

    from indicator_geographies
    cross join months

),

delivered_months as (

    select distinct
        source_name,
        month

    from deliveries

),

measured as (

    select
        grid.month,
        grid.year,
        grid.month_number,
        grid.geo_level,
        grid.geo_code,
        grid.indicator_code,
        delivered_months.month is not null as is_complete,
        case
            when delivered_months.month is not null
                then cast(coalesce(offence_counts.n_offences, 0) as double)
        end as numerator,
        population.population as denominator,
        coalesce(population.is_extrapolated, false) as is_population_extrapolated

    from grid
    left join delivered_months
        on grid.delivery_source = delivered_months.source_name
        and grid.month = delivered_months.month
    left join offence_counts
        on grid.month = offence_counts.month
        and grid.geo_level = offence_counts.geo_level
        and grid.geo_code = offence_counts.geo_code
        and grid.indicator_code = offence_counts.indicator_code
    left join population
        on grid.month = population.month
        and grid.geo_level = population.geo_level
        and grid.geo_code = population.geo_code

),

rated as (

    select
        *,
        numerator / nullif(denominator, 0) * 1000 as rate_per_1000

    from measured

),

-- comparisons over each series (geography × indicator). The grid is complete and the
-- spine gapless, but the month arithmetic is checked anyway; a window that contains a
-- missing (not delivered) month gives NULL, never a partial sum.
windowed as (

    select
        *,
        lag(month, 12) over series as month_12_back,
        lag(numerator, 12) over series as numerator_12_back,
        lag(rate_per_1000, 12) over series as rate_per_1000_12_back,
        min(month) over last_12_months as first_month_of_last_12,
        count(numerator) over last_12_months as n_complete_of_last_12,
        sum(numerator) over last_12_months as numerator_sum_of_last_12,
        avg(denominator) over last_12_months as mean_denominator_of_last_12,
        count(numerator) over year_to_date as n_complete_year_to_date,
        sum(numerator) over year_to_date as numerator_sum_year_to_date

    from rated
    window
        series as (
            partition by geo_level, geo_code, indicator_code
            order by month
        ),
        last_12_months as (
            partition by geo_level, geo_code, indicator_code
            order by month
            rows between 11 preceding and current row
        ),
        year_to_date as (
            partition by geo_level, geo_code, indicator_code, year
            order by month
            rows between unbounded preceding and current row
        )

),

compared as (

    select
        *,
        month_12_back is not distinct from (month - interval 12 month) as has_month_12_back,
        case
            when n_complete_of_last_12 = 12
                and first_month_of_last_12 = month - interval 11 month
                then numerator_sum_of_last_12
        end as numerator_rolling_12m,
        case
            when n_complete_of_last_12 = 12
                and first_month_of_last_12 = month - interval 11 month
                then numerator_sum_of_last_12 / nullif(mean_denominator_of_last_12, 0) * 1000
        end as rate_per_1000_rolling_12m,
        case
            when n_complete_year_to_date = month_number
                then numerator_sum_year_to_date
        end as numerator_ytd

    from windowed

),

compared_with_last_year as (

    select
        *,
        case
            when has_month_12_back then lag(numerator_ytd, 12) over series
        end as numerator_ytd_prev_year

    from compared
    window series as (
        partition by geo_level, geo_code, indicator_code
        order by month
    )

),

final as (

    select
        cast(month as date) as month,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(indicator_code as varchar) as indicator_code,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(numerator as double) as value,
        cast(rate_per_1000 as double) as rate_per_1000,
        cast(is_complete as boolean) as is_complete,
        cast(coalesce(numerator < 10, false) as boolean) as is_small_number,
        cast(is_population_extrapolated as boolean) as is_population_extrapolated,
        cast(case when has_month_12_back then numerator_12_back end as double)
            as numerator_prev_year,
        cast(case when has_month_12_back then rate_per_1000_12_back end as double)
            as rate_per_1000_prev_year,
        cast(numerator_rolling_12m as double) as numerator_rolling_12m,
        cast(rate_per_1000_rolling_12m as double) as rate_per_1000_rolling_12m,
        cast(numerator_ytd as double) as numerator_ytd,
        cast(numerator_ytd_prev_year as double) as numerator_ytd_prev_year

    from compared_with_last_year

)

select * from final
