-- Police resources per month × area / LPO, sparse (only geographies with a delivered row);
-- the rules are in the YAML. Small inputs (one row per LPO × function and per listed area
-- and month), so rebuilt in full on every run.
with

staffing as (

    select * from {{ ref('stg_staffing__fte') }}

),

presence as (

    select * from {{ ref('stg_presence__patrol_hours') }}

),

cameras as (

    select * from {{ ref('stg_cameras__cameras') }}

),

areas as (

    select * from {{ ref('areas') }}

),

area_parts as (

    select * from {{ ref('area_parts') }}

),

-- resources per atomic area as delivered (area-bound områdespoliser, presence, cameras)
atomic_area_resources as (

    select
        month,
        area_code,
        sum(fte) as omradespolis_fte,
        null as patrol_hours,
        null as fixed_camera_sites,
        null as body_worn_cameras,
        null as officers_in_area

    from staffing
    where staff_function = 'omradespolis'
      and area_code is not null
    group by month, area_code

    union all by name

    select
        month,
        area_code,
        sum(patrol_hours) as patrol_hours

    from presence
    group by month, area_code

    union all by name

    select
        month,
        area_code,
        sum(n_fixed_camera_sites) as fixed_camera_sites,
        sum(n_body_worn_cameras) as body_worn_cameras,
        sum(n_officers_in_area) as officers_in_area

    from cameras
    group by month, area_code

),

-- a composite area (a definition later split) holds the sum of its parts' resources
area_membership as (

    select area_code, area_code as member_area_code
    from areas
    where not coalesce(is_composite, false)

    union all

    select area_code, part_area_code as member_area_code
    from area_parts

),

area_resources as (

    select
        atomic_area_resources.month,
        'area' as geo_level,
        area_membership.area_code as geo_code,
        sum(atomic_area_resources.omradespolis_fte) as omradespolis_fte,
        sum(atomic_area_resources.patrol_hours) as patrol_hours,
        sum(atomic_area_resources.fixed_camera_sites) as fixed_camera_sites,
        sum(atomic_area_resources.body_worn_cameras) as body_worn_cameras,
        sum(atomic_area_resources.officers_in_area) as officers_in_area

    from atomic_area_resources
    inner join area_membership
        on atomic_area_resources.area_code = area_membership.member_area_code
    group by all

),

-- an LPO holds all its områdespoliser (area-bound or not) and the presence and cameras of
-- its atomic areas (LPO of an area: seed areas)
lpo_staffing as (

    select
        month,
        lpo_code,
        sum(fte) as omradespolis_fte

    from staffing
    where staff_function = 'omradespolis'
    group by month, lpo_code

),

lpo_area_resources as (

    select
        atomic_area_resources.month,
        areas.lpo_code,
        sum(atomic_area_resources.patrol_hours) as patrol_hours,
        sum(atomic_area_resources.fixed_camera_sites) as fixed_camera_sites,
        sum(atomic_area_resources.body_worn_cameras) as body_worn_cameras,
        sum(atomic_area_resources.officers_in_area) as officers_in_area

    from atomic_area_resources
    inner join areas
        on atomic_area_resources.area_code = areas.area_code
    where not coalesce(areas.is_composite, false)
    group by all

),

lpo_resources as (

    select
        coalesce(lpo_staffing.month, lpo_area_resources.month) as month,
        'lpo' as geo_level,
        coalesce(lpo_staffing.lpo_code, lpo_area_resources.lpo_code) as geo_code,
        lpo_staffing.omradespolis_fte,
        lpo_area_resources.patrol_hours,
        lpo_area_resources.fixed_camera_sites,
        lpo_area_resources.body_worn_cameras,
        lpo_area_resources.officers_in_area

    from lpo_staffing
    full outer join lpo_area_resources
        on lpo_staffing.month = lpo_area_resources.month
        and lpo_staffing.lpo_code = lpo_area_resources.lpo_code

),

unioned as (

    select * from area_resources
    union all by name
    select * from lpo_resources

),

final as (

    select
        cast(month as date) as month,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(omradespolis_fte as double) as omradespolis_fte,
        cast(patrol_hours as double) as patrol_hours,
        cast(fixed_camera_sites as bigint) as fixed_camera_sites,
        cast(body_worn_cameras as bigint) as body_worn_cameras,
        cast(officers_in_area as bigint) as officers_in_area

    from unioned

)

select * from final
