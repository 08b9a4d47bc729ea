with

source as (

    select * from {{ source('raw', 'incidents') }}

),

renamed as (

    select
        -- keys
        cast(incident_id as varchar) as incident_id,

        -- dimensions
        cast(month as date) as month,
        cast(occurred_at as timestamp) as occurred_at,
        cast(incident_type as varchar) as incident_type,
        cast(municipality_code as varchar) as municipality_code,
        cast(deso_code as varchar) as deso_code,

        -- measures
        cast(dead as integer) as n_dead,
        cast(injured as integer) as n_injured,

        -- provenance
        cast(source_sha256 as varchar) as source_sha256

    from source

)

select * from renamed
