with

source as (

    select * from {{ source('raw', 'cameras') }}

),

renamed as (

    select
        -- dimensions
        cast(month as date) as month,
        cast(area_code as varchar) as area_code,

        -- measures
        cast(fixed_camera_sites as integer) as n_fixed_camera_sites,
        cast(body_worn_cameras as integer) as n_body_worn_cameras,
        cast(officers_in_area as integer) as n_officers_in_area,

        -- provenance
        cast(source_sha256 as varchar) as source_sha256

    from source

)

select * from renamed
