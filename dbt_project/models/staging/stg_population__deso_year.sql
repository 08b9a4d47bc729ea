-- SCB delivers population per DeSO × age group × sex; Lägesbild only uses the DeSO total,
-- so the one step beyond renaming here is the sum over age groups and sexes.
with

source as (

    select * from {{ source('raw', 'population') }}

),

renamed as (

    select
        cast(year as integer) as year,
        cast(deso_code as varchar) as deso_code,
        cast(age_group as varchar) as age_group,
        cast(sex as varchar) as sex,
        cast(population as bigint) as population,
        cast(source_sha256 as varchar) as source_sha256

    from source

),

summed_over_age_and_sex as (

    select
        deso_code,
        year,
        cast(sum(population) as bigint) as population,
        source_sha256

    from renamed
    group by deso_code, year, source_sha256

)

select * from summed_over_age_and_sex
