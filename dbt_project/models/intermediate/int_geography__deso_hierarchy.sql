with

desos as (

    select * from {{ ref('stg_geography__deso') }}

),

municipalities as (

    select * from {{ ref('municipalities') }}

),

deso_hierarchy as (

    select
        desos.deso_code,
        desos.municipality_code,
        municipalities.county_code,
        municipalities.region_slug,
        desos.lpo_code,
        desos.area_code

    from desos
    left join municipalities
        on desos.municipality_code = municipalities.municipality_code

)

select * from deso_hierarchy
