with

source as (

    select * from {{ source('raw', 'geography_deso') }}

),

renamed as (

    select
        -- keys
        cast(deso_code as varchar) as deso_code,

        -- dimensions
        cast(municipality_code as varchar) as municipality_code,
        cast(lpo_code as varchar) as lpo_code,
        cast(area_code as varchar) as area_code,

        -- provenance
        cast(source_sha256 as varchar) as source_sha256

    from source

)

select * from renamed
