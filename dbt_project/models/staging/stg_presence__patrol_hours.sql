with

source as (

    select * from {{ source('raw', 'presence') }}

),

renamed as (

    select
        -- dimensions
        cast(month as date) as month,
        cast(area_code as varchar) as area_code,

        -- measures
        cast(patrol_hours as double) as patrol_hours,

        -- provenance
        cast(source_sha256 as varchar) as source_sha256

    from source

)

select * from renamed
