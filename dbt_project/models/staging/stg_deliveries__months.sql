with

source as (

    select * from {{ source('raw', 'deliveries') }}

),

renamed as (

    select
        cast("source" as varchar) as source_name,
        cast(month as date) as month,
        cast(file_name as varchar) as file_name,
        cast(sha256 as varchar) as file_sha256,
        cast("rows" as bigint) as n_rows,
        cast(ingested_at as timestamp) as ingested_at

    from source

)

select * from renamed
