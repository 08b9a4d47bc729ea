-- Failure means: a goal in seed effect_goals names an indicator at a geography that
-- fct_indicator_month does not publish (unknown geo_code, or a level where the indicator
-- does not exist, e.g. a resource indicator for a region), so the goal could never be
-- followed up.
-- Shown as a check on the seed effect_goals (the goal that names a missing series): dagster-dbt
-- only attaches a test to one of the nodes it reads, so a ref to mart_effect_goals (which this
-- test does not read) silently dropped it from the checks the publish gate requires.
{{ config(meta={'dagster': {'ref': {'name': 'effect_goals'}}}) }}
select goals.goal_id, goals.indicator_code, goals.geo_level, goals.geo_code
from {{ ref('effect_goals') }} as goals
where not exists (
    select 1
    from {{ ref('fct_indicator_month') }} as facts
    where facts.indicator_code = goals.indicator_code
      and facts.geo_level = goals.geo_level
      and facts.geo_code = goals.geo_code
)
