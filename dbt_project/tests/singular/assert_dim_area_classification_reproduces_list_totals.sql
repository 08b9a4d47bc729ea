-- Failure means: the classification history (seed areas → dim_area_classification) no
-- longer reproduces the police's published list totals (seed list_totals) — an area's
-- category for some year was added, dropped or changed. Checked for every category
-- 2017–2025; for 2015 only the total and särskilt (the sources disagree on the utsatt/risk
-- split of 2015, see SOURCES.md and the model's description).
{{ config(meta={'dagster': {'ref': {'name': 'dim_area_classification'}}}) }}  -- shown as a check on dim_area_classification
with

counted as (

    select
        assessment_year as year,
        count(*) filter (where is_listed) as total,
        count(*) filter (where category = 'utsatt') as utsatt,
        count(*) filter (where category = 'risk') as risk,
        count(*) filter (where category = 'sarskilt') as sarskilt

    from {{ ref('dim_area_classification') }}
    group by assessment_year

),

published as (

    select year, total, utsatt, risk, sarskilt
    from {{ ref('list_totals') }}

)

select
    published.year,
    published.total as published_total,
    counted.total,
    published.utsatt as published_utsatt,
    counted.utsatt,
    published.risk as published_risk,
    counted.risk,
    published.sarskilt as published_sarskilt,
    counted.sarskilt

from published
left join counted
    on published.year = counted.year
where counted.year is null
   or published.total <> counted.total
   or published.sarskilt <> counted.sarskilt
   or (
        published.year >= 2017
        and (published.utsatt <> counted.utsatt or published.risk <> counted.risk)
   )
