-- Failure means: an offence was lost (or counted twice) between the delivery and the core
-- mart. For every delivered month, the national offences_total numerator must equal the
-- number of offences in staging for that month; and a month that has offences in staging
-- must be a delivered (complete) month. Typical causes: a municipality code missing from
-- seed municipalities, an offence code missing from indicator_offence_codes, or offence
-- rows for a month with no row in raw.deliveries.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicator_month'}}}) }}  -- shown as a check on fct_indicator_month
with

staged as (

    select
        month,
        cast(count(*) as double) as n_offences

    from {{ ref('stg_offences__offences') }}
    group by month

),

national as (

    select
        month,
        numerator,
        is_complete

    from {{ ref('fct_indicator_month') }}
    where geo_level = 'nation'
      and indicator_code = 'offences_total'

)

select
    coalesce(national.month, staged.month) as month,
    national.numerator,
    national.is_complete,
    staged.n_offences

from national
full outer join staged
    on national.month = staged.month
where
    -- offences staged for a month the mart does not have, or has as not delivered
    (staged.n_offences is not null and national.numerator is null)
    -- a delivered month whose national count differs from the staged offences
    or (national.is_complete and national.numerator <> coalesce(staged.n_offences, 0))
