-- Every reporting geography, one row per (geo_level, geo_code): the nation, the 7 police
-- regions, every municipality and LPO in the seeds, and every vulnerable area ever listed
-- (composites and areas no longer on the list included).
with

police_regions as (

    select * from {{ ref('police_regions') }}

),

municipalities as (

    select * from {{ ref('municipalities') }}

),

local_police_areas as (

    select * from {{ ref('local_police_areas') }}

),

areas as (

    select * from {{ ref('areas') }}

),

nation as (

    select
        'nation' as geo_level,
        'SE' as geo_code,
        'Sverige' as name,
        null as region,
        null as parent_geo_level,
        null as parent_geo_code,
        null as municipality_code,
        null as lpo_code,
        false as is_synthetic,
        null as category_2025,
        null as is_composite

),

regions as (

    select
        'region' as geo_level,
        region_slug as geo_code,
        region_name as name,
        region_slug as region,
        'nation' as parent_geo_level,
        'SE' as parent_geo_code,
        null as municipality_code,
        null as lpo_code,
        false as is_synthetic,
        null as category_2025,
        null as is_composite

    from police_regions

),

municipality_rows as (

    select
        'municipality' as geo_level,
        municipality_code as geo_code,
        municipality_name as name,
        region_slug as region,
        'region' as parent_geo_level,
        region_slug as parent_geo_code,
        municipality_code,
        null as lpo_code,
        false as is_synthetic,
        null as category_2025,
        null as is_composite

    from municipalities

),

lpo_rows as (

    select
        'lpo' as geo_level,
        lpo_code as geo_code,
        lpo_name as name,
        region_slug as region,
        'region' as parent_geo_level,
        region_slug as parent_geo_code,
        null as municipality_code,
        lpo_code,
        coalesce(is_synthetic, false) as is_synthetic,
        null as category_2025,
        null as is_composite

    from local_police_areas

),

area_rows as (

    select
        'area' as geo_level,
        area_code as geo_code,
        area_name as name,
        region_slug as region,
        'municipality' as parent_geo_level,
        municipality_code as parent_geo_code,
        municipality_code,
        lpo_code,
        false as is_synthetic,
        cat_2025 as category_2025,
        coalesce(is_composite, false) as is_composite

    from areas

),

unioned as (

    select * from nation
    union all by name
    select * from regions
    union all by name
    select * from municipality_rows
    union all by name
    select * from lpo_rows
    union all by name
    select * from area_rows

),

final as (

    select
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(name as varchar) as name,
        cast(region as varchar) as region,
        cast(parent_geo_level as varchar) as parent_geo_level,
        cast(parent_geo_code as varchar) as parent_geo_code,
        cast(municipality_code as varchar) as municipality_code,
        cast(lpo_code as varchar) as lpo_code,
        cast(is_synthetic as boolean) as is_synthetic,
        cast(category_2025 as varchar) as category_2025,
        cast(is_composite as boolean) as is_composite

    from unioned

)

select * from final
