-- Failure means: a month is flagged complete (with a number) although a delivery the
-- indicator needs is not in raw.deliveries, or flagged missing although all were delivered.
-- Missing is not zero: a month without a delivery must never look like a month without
-- crime (or without police). The deliveries an indicator needs are seed indicators.sources
-- (offences; clearances and offences; incidents; staffing; presence; cameras).
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicator_month'}}}) }}  -- shown as a check on fct_indicator_month
with

needed as (

    select
        indicator_code,
        unnest(string_split(sources, ';')) as source_name

    from {{ ref('indicators') }}

),

delivered as (

    select distinct source_name, month
    from {{ ref('stg_deliveries__months') }}

),

indicator_months as (

    select
        needed.indicator_code,
        months.month,
        bool_and(delivered.month is not null) as all_delivered

    from needed
    cross join {{ ref('dim_month') }} as months
    left join delivered
        on needed.source_name = delivered.source_name
        and months.month = delivered.month
    group by needed.indicator_code, months.month

)

select
    fact.month,
    fact.geo_level,
    fact.geo_code,
    fact.indicator_code,
    fact.is_complete,
    indicator_months.all_delivered

from {{ ref('fct_indicator_month') }} as fact
inner join indicator_months
    on fact.indicator_code = indicator_months.indicator_code
    and fact.month = indicator_months.month
where fact.is_complete <> indicator_months.all_delivered
