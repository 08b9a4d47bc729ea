-- Failure means: a month is flagged complete (with a number) although its delivery is not
-- in raw.deliveries, or flagged missing although it was delivered. Missing is not zero: a
-- month without a delivery must never look like a month without crime. Offence-count
-- indicators (numerator `offence_count`) are complete exactly when `offences` delivered.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicator_month'}}}) }}  -- shown as a check on fct_indicator_month
with

fact as (

    select
        fct.month,
        fct.geo_level,
        fct.geo_code,
        fct.indicator_code,
        fct.is_complete

    from {{ ref('fct_indicator_month') }} as fct
    inner join {{ ref('indicators') }} as indicators
        on fct.indicator_code = indicators.indicator_code
    where indicators.numerator = 'offence_count'

),

delivered as (

    select distinct month
    from {{ ref('stg_deliveries__months') }}
    where source_name = 'offences'

)

select
    fact.*,
    delivered.month is not null as is_delivered

from fact
left join delivered
    on fact.month = delivered.month
where fact.is_complete <> (delivered.month is not null)
