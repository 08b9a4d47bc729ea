with

source as (

    select * from {{ source('raw', 'staffing') }}

),

renamed as (

    select
        -- dimensions
        cast(month as date) as month,
        cast(lpo_code as varchar) as lpo_code,
        cast(area_code as varchar) as area_code,
        cast("function" as varchar) as staff_function,

        -- measures
        cast(fte as double) as fte,

        -- provenance
        cast(source_sha256 as varchar) as source_sha256

    from source

)

select * from renamed
