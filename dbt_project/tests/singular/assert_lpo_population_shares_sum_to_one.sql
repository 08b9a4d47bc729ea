-- Failure means: seed lpo_municipalities does not split some municipality's population
-- over its LPOs exactly once — the shares of a municipality must sum to 1 (±0.001 for the
-- 4-decimal rounding), and every municipality must be covered by at least one LPO.
{{ config(meta={'dagster': {'ref': {'name': 'lpo_municipalities'}}}) }}  -- shown as a check on lpo_municipalities
with

shares as (

    select
        municipality_code,
        sum(population_share) as total_share

    from {{ ref('lpo_municipalities') }}
    group by municipality_code

)

select
    municipalities.municipality_code,
    shares.total_share

from {{ ref('municipalities') }} as municipalities
left join shares
    on municipalities.municipality_code = shares.municipality_code
where shares.total_share is null
   or abs(shares.total_share - 1) > 0.001
