-- Police resources per month, area and LPO against the goal of at least one områdespolis
-- per 5 000 inhabitants (RiR 2020:20), with patrol hours and cameras. Complete grid: every
-- area and LPO of dim_geography × every month; a resource whose delivery is missing for the
-- month is NULL, one delivered without a row for the geography is 0 (rules in the YAML).
with

geographies as (

    select * from {{ ref('dim_geography') }}

),

months as (

    select * from {{ ref('dim_month') }}

),

resources as (

    select * from {{ ref('int_resources__geo_month') }}

),

population as (

    select * from {{ ref('int_population__geo_month') }}

),

deliveries as (

    select distinct source_name, month
    from {{ ref('stg_deliveries__months') }}

),

grid as (

    select
        months.month,
        geographies.geo_level,
        geographies.geo_code

    from geographies
    cross join months
    where geographies.geo_level in ('area', 'lpo')

),

delivered as (

    select
        month,
        bool_or(source_name = 'staffing') as has_staffing,
        bool_or(source_name = 'presence') as has_presence,
        bool_or(source_name = 'cameras') as has_cameras

    from deliveries
    group by month

),

joined as (

    select
        grid.month,
        grid.geo_level,
        grid.geo_code,
        population.population,
        coalesce(delivered.has_staffing, false) as has_staffing,
        coalesce(delivered.has_presence, false) as has_presence,
        coalesce(delivered.has_cameras, false) as has_cameras,
        case when delivered.has_staffing then coalesce(resources.omradespolis_fte, 0) end
            as omradespolis_fte,
        case when delivered.has_presence then coalesce(resources.patrol_hours, 0) end
            as patrol_hours,
        case when delivered.has_cameras then coalesce(resources.fixed_camera_sites, 0) end
            as fixed_camera_sites,
        case when delivered.has_cameras then coalesce(resources.body_worn_cameras, 0) end
            as body_worn_cameras,
        case when delivered.has_cameras then coalesce(resources.officers_in_area, 0) end
            as officers_in_area

    from grid
    left join delivered
        on grid.month = delivered.month
    left join resources
        on grid.month = resources.month
        and grid.geo_level = resources.geo_level
        and grid.geo_code = resources.geo_code
    left join population
        on grid.month = population.month
        and grid.geo_level = population.geo_level
        and grid.geo_code = population.geo_code

),

final as (

    select
        cast(month as date) as month,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(population as double) as population,
        cast(omradespolis_fte as double) as omradespolis_fte,
        cast(omradespolis_fte / nullif(population, 0) * 5000 as double)
            as omradespoliser_per_5000,
        cast(greatest(population / 5000 - omradespolis_fte, 0) as double) as goal_gap_fte,
        cast(omradespolis_fte / nullif(population, 0) * 5000 >= 1 as boolean) as meets_goal,
        cast(patrol_hours as double) as patrol_hours,
        cast(patrol_hours / nullif(population, 0) * 1000 as double) as patrol_hours_per_1000,
        cast(fixed_camera_sites as bigint) as fixed_camera_sites,
        cast(body_worn_cameras as bigint) as body_worn_cameras,
        cast(officers_in_area as bigint) as officers_in_area,
        cast(body_worn_cameras / nullif(officers_in_area, 0) as double)
            as body_worn_camera_coverage,
        cast(has_staffing as boolean) as is_staffing_delivered,
        cast(has_presence as boolean) as is_presence_delivered,
        cast(has_cameras as boolean) as is_cameras_delivered

    from joined

)

select * from final
