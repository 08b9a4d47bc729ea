-- Failure means: a goal in seed effect_goals names an indicator at a geography that
-- fct_indicator_month does not publish (unknown geo_code, or a level where the indicator
-- does not exist, e.g. a resource indicator for a region), so the goal could never be
-- followed up.
{{ config(meta={'dagster': {'ref': {'name': 'mart_effect_goals'}}}) }}  -- shown as a check on mart_effect_goals
select goals.goal_id, goals.indicator_code, goals.geo_level, goals.geo_code
from {{ ref('effect_goals') }} as goals
where not exists (
    select 1
    from {{ ref('fct_indicator_month') }} as facts
    where facts.indicator_code = goals.indicator_code
      and facts.geo_level = goals.geo_level
      and facts.geo_code = goals.geo_code
)
