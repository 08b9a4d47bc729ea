with

source as (

    select * from {{ source('raw', 'clearances') }}

),

renamed as (

    select
        -- keys
        cast(offence_id as varchar) as offence_id,

        -- dimensions
        cast(month as date) as month,
        cast(decision_date as date) as decision_date,
        cast(offence_code as varchar) as offence_code,
        cast(municipality_code as varchar) as municipality_code,
        cast(deso_code as varchar) as deso_code,

        -- provenance
        cast(source_sha256 as varchar) as source_sha256

    from source

)

select * from renamed
