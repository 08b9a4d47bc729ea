with

deso_hierarchy as (

    select * from {{ ref('int_geography__deso_hierarchy') }}

),

areas as (

    select * from {{ ref('areas') }}

),

area_parts as (

    select * from {{ ref('area_parts') }}

),

-- an atomic area is exactly the DeSOs the geography delivery assigns to it
atomic_area_desos as (

    select
        area_code,
        deso_code

    from deso_hierarchy
    where area_code is not null

),

-- a composite area (a definition that was later split) is the union of its parts' DeSOs
composite_area_desos as (

    select distinct
        area_parts.area_code,
        atomic_area_desos.deso_code

    from area_parts
    inner join atomic_area_desos
        on area_parts.part_area_code = atomic_area_desos.area_code

),

area_desos as (

    select
        atomic_area_desos.area_code,
        atomic_area_desos.deso_code,
        false as is_via_parts

    from atomic_area_desos

    union all

    select
        composite_area_desos.area_code,
        composite_area_desos.deso_code,
        true as is_via_parts

    from composite_area_desos

),

final as (

    select
        area_desos.area_code,
        area_desos.deso_code,
        area_desos.is_via_parts

    from area_desos
    inner join areas
        on area_desos.area_code = areas.area_code

)

select * from final
