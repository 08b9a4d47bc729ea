-- Monthly population of every geography that has DeSOs: the interpolated DeSO figures
-- summed over the DeSOs in it (int_geography__deso_geo_levels). The denominator of rates.
with

deso_population as (

    select * from {{ ref('int_population__deso_month') }}

),

deso_geo_levels as (

    select * from {{ ref('int_geography__deso_geo_levels') }}

),

geo_population as (

    select
        deso_population.month,
        deso_geo_levels.geo_level,
        deso_geo_levels.geo_code,
        sum(deso_population.population) as population,
        bool_or(deso_population.is_extrapolated) as is_extrapolated,
        count(*) as n_desos

    from deso_population
    inner join deso_geo_levels
        on deso_population.deso_code = deso_geo_levels.deso_code
    group by
        deso_population.month,
        deso_geo_levels.geo_level,
        deso_geo_levels.geo_code

),

final as (

    select
        cast(month as date) as month,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(population as double) as population,
        cast(is_extrapolated as boolean) as is_extrapolated,
        cast(n_desos as integer) as n_desos

    from geo_population

)

select * from final
