{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month',
        on_schema_change='fail'
    )
}}

-- Offence counts per month × municipality × DeSO × offence code.
-- Incremental: an incremental run re-aggregates only the months in the window
-- var('start_month')..var('end_month') ('YYYY-MM-01', both optional: absent = every month)
-- and replaces exactly those months (delete+insert on `month`). A first build or
-- --full-refresh aggregates every month regardless of the window.
with

offences as (

    select * from {{ ref('stg_offences__offences') }}
    {% if is_incremental() %}
    where {{ month_window_predicate('month') }}
    {% endif %}

),

counted as (

    select
        month,
        municipality_code,
        deso_code,
        offence_code,
        count(*) as n_offences

    from offences
    group by month, municipality_code, deso_code, offence_code

),

final as (

    select
        cast(month as date) as month,
        cast(municipality_code as varchar) as municipality_code,
        cast(deso_code as varchar) as deso_code,
        cast(offence_code as varchar) as offence_code,
        cast(n_offences as bigint) as n_offences

    from counted

)

select * from final
