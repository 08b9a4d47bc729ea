-- Monthly population per DeSO, interpolated linearly from SCB's 31-December figures;
-- the rule is documented in the YAML (doc block `population_interpolation`).
with

population_years as (

    select * from {{ ref('stg_population__deso_year') }}

),

month_spine as (

    select * from {{ ref('int_deliveries__month_spine') }}

),

desos as (

    select distinct deso_code
    from population_years

),

spine_years as (

    select distinct cast(year(month) as integer) as year
    from month_spine

),

-- for every DeSO and calendar year Y: the nearest 31-December figure at or before the start
-- of Y (year ≤ Y − 1) and the nearest at or after its end (year ≥ Y)
bracketing_years as (

    select
        desos.deso_code,
        spine_years.year,
        max(population_years.year) filter (
            where population_years.year <= spine_years.year - 1
        ) as previous_year,
        min(population_years.year) filter (
            where population_years.year >= spine_years.year
        ) as next_year

    from desos
    cross join spine_years
    inner join population_years
        on desos.deso_code = population_years.deso_code
    group by desos.deso_code, spine_years.year

),

bracketing_figures as (

    select
        bracketing_years.deso_code,
        bracketing_years.year,
        bracketing_years.previous_year,
        previous_figure.population as previous_population,
        bracketing_years.next_year,
        next_figure.population as next_population

    from bracketing_years
    left join population_years as previous_figure
        on bracketing_years.deso_code = previous_figure.deso_code
        and bracketing_years.previous_year = previous_figure.year
    left join population_years as next_figure
        on bracketing_years.deso_code = next_figure.deso_code
        and bracketing_years.next_year = next_figure.year

),

deso_months as (

    select
        bracketing_figures.*,
        month_spine.month,
        cast(month(month_spine.month) as integer) as month_number

    from bracketing_figures
    inner join month_spine
        on bracketing_figures.year = year(month_spine.month)

),

-- time in months since the start of year 0: 31 December of year y sits at (y + 1) × 12,
-- the middle of month m of year Y at Y × 12 + m − 0.5. With consecutive years this is
-- P(Y−1) + (P(Y) − P(Y−1)) × (m − 0.5) / 12.
interpolated as (

    select
        deso_code,
        month,
        case
            when previous_year is not null and next_year is not null
                then previous_population
                    + (next_population - previous_population)
                    * ((year * 12 + month_number - 0.5) - (previous_year + 1) * 12)
                    / ((next_year - previous_year) * 12)
            when previous_year is not null
                then previous_population  -- after the last figure: carried forward
            else next_population          -- before the first figure: carried back
        end as population,
        (previous_year is null or next_year is null) as is_extrapolated

    from deso_months

),

final as (

    select
        cast(month as date) as month,
        cast(deso_code as varchar) as deso_code,
        cast(population as double) as population,
        cast(is_extrapolated as boolean) as is_extrapolated

    from interpolated

)

select * from final
