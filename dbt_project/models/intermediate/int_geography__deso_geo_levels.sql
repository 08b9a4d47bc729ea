-- Every DeSO's place at every geographic level: one row per (DeSO, level, geography).
-- A DeSO is in exactly one nation, region, municipality and LPO, and in zero or more areas
-- (its atomic area and any composite that contains it).
with

deso_hierarchy as (

    select * from {{ ref('int_geography__deso_hierarchy') }}

),

area_desos as (

    select * from {{ ref('int_geography__area_desos') }}

),

nation_members as (

    select deso_code, 'nation' as geo_level, 'SE' as geo_code
    from deso_hierarchy

),

region_members as (

    select deso_code, 'region' as geo_level, region_slug as geo_code
    from deso_hierarchy
    where region_slug is not null

),

municipality_members as (

    select deso_code, 'municipality' as geo_level, municipality_code as geo_code
    from deso_hierarchy

),

lpo_members as (

    select deso_code, 'lpo' as geo_level, lpo_code as geo_code
    from deso_hierarchy
    where lpo_code is not null

),

area_members as (

    select deso_code, 'area' as geo_level, area_code as geo_code
    from area_desos

),

unioned as (

    select * from nation_members
    union all
    select * from region_members
    union all
    select * from municipality_members
    union all
    select * from lpo_members
    union all
    select * from area_members

)

select
    cast(deso_code as varchar) as deso_code,
    cast(geo_level as varchar) as geo_level,
    cast(geo_code as varchar) as geo_code

from unioned
