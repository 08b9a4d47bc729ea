{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month',
        on_schema_change='fail'
    )
}}

-- Clearances (personuppklarade offences) counted per decision month × municipality × DeSO ×
-- offence code. Incremental on the month window exactly like int_offences__counts_deso_month:
-- an incremental run re-aggregates only var('start_month')..var('end_month') and replaces
-- those months (delete+insert on `month`); a first build or --full-refresh takes every month.
with

clearances as (

    select * from {{ ref('stg_clearances__clearances') }}
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
        count(*) as n_clearances

    from clearances
    group by month, municipality_code, deso_code, offence_code

),

final as (

    select
        cast(month as date) as month,
        cast(municipality_code as varchar) as municipality_code,
        cast(deso_code as varchar) as deso_code,
        cast(offence_code as varchar) as offence_code,
        cast(n_clearances as bigint) as n_clearances

    from counted

)

select * from final
