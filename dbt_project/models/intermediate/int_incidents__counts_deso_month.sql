{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month',
        on_schema_change='fail'
    )
}}

-- Shootings and explosions per month × municipality × DeSO × incident type: the number of
-- incidents and the people killed and injured in them. Incremental on the month window
-- exactly like int_offences__counts_deso_month (delete+insert on `month`).
with

incidents as (

    select * from {{ ref('stg_incidents__incidents') }}
    {% if is_incremental() %}
    where {{ month_window_predicate('month') }}
    {% endif %}

),

counted as (

    select
        month,
        municipality_code,
        deso_code,
        incident_type,
        count(*) as n_incidents,
        sum(n_dead) as n_dead,
        sum(n_injured) as n_injured

    from incidents
    group by month, municipality_code, deso_code, incident_type

),

final as (

    select
        cast(month as date) as month,
        cast(municipality_code as varchar) as municipality_code,
        cast(deso_code as varchar) as deso_code,
        cast(incident_type as varchar) as incident_type,
        cast(n_incidents as bigint) as n_incidents,
        cast(n_dead as bigint) as n_dead,
        cast(n_injured as bigint) as n_injured

    from counted

)

select * from final
