-- Failure means: the resource figures of mart_resources and the resource indicators of
-- fct_indicator_month disagree for some month × area/LPO — the two marts would tell a
-- reader different numbers of områdespoliser, patrol hours or cameras.
{{ config(meta={'dagster': {'ref': {'name': 'mart_resources'}}}) }}  -- shown as a check on mart_resources
with

resources as (

    select * from {{ ref('mart_resources') }}

),

facts as (

    select
        month,
        geo_level,
        geo_code,
        max(value) filter (where indicator_code = 'omradespoliser_per_5000') as omradespoliser_per_5000,
        max(value) filter (where indicator_code = 'patrol_hours_per_1000') as patrol_hours_per_1000,
        max(value) filter (where indicator_code = 'fixed_camera_sites') as fixed_camera_sites,
        max(value) filter (where indicator_code = 'body_worn_camera_coverage') as body_worn_camera_coverage

    from {{ ref('fct_indicator_month') }}
    where kind = 'resource'
    group by month, geo_level, geo_code

)

select
    resources.month,
    resources.geo_level,
    resources.geo_code

from resources
full outer join facts
    on resources.month = facts.month
    and resources.geo_level = facts.geo_level
    and resources.geo_code = facts.geo_code
where resources.month is null
   or facts.month is null
   or not (abs(coalesce(resources.omradespoliser_per_5000, -1) - coalesce(facts.omradespoliser_per_5000, -1)) < 1e-9)
   or not (abs(coalesce(resources.patrol_hours_per_1000, -1) - coalesce(facts.patrol_hours_per_1000, -1)) < 1e-9)
   or resources.fixed_camera_sites is distinct from facts.fixed_camera_sites
   or not (abs(coalesce(resources.body_worn_camera_coverage, -1) - coalesce(facts.body_worn_camera_coverage, -1)) < 1e-9)
