-- Every effect goal (seed effect_goals) × every month after its baseline period, with the
-- baseline value, the target and the current value in the same unit: the indicator over
-- 12 months (fct_indicator_month.value_rolling_12m). Status is judged in mart_effect_goals.
with

goals as (

    select * from {{ ref('effect_goals') }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

facts as (

    select * from {{ ref('fct_indicator_month') }}

),

months as (

    select * from {{ ref('dim_month') }}

),

-- the baseline in the unit of value_rolling_12m: counts — events per 12 months (the
-- period's sum scaled to 12 months); ratio — Σ numerator / Σ denominator × value_scale;
-- resources — the mean monthly value. NULL unless every baseline month is in the
-- warehouse and complete.
baselines as (

    select
        goals.goal_id,
        count(facts.numerator) as n_complete_months,
        date_diff('month', goals.baseline_start, goals.baseline_end) + 1 as n_baseline_months,
        case any_value(indicators.kind)
            when 'count'
                then sum(facts.numerator) * 12.0
                    / (date_diff('month', goals.baseline_start, goals.baseline_end) + 1)
            when 'ratio'
                then sum(facts.numerator) / nullif(sum(facts.denominator), 0)
                    * any_value(indicators.value_scale)
            else avg(facts.value)
        end as baseline_sum_value

    from goals
    inner join indicators
        on goals.indicator_code = indicators.indicator_code
    left join facts
        on goals.indicator_code = facts.indicator_code
        and goals.geo_level = facts.geo_level
        and goals.geo_code = facts.geo_code
        and facts.month between goals.baseline_start and goals.baseline_end
    group by goals.goal_id, goals.baseline_start, goals.baseline_end

),

goal_months as (

    select
        goals.goal_id,
        goals.indicator_code,
        goals.geo_level,
        goals.geo_code,
        goals.owner,
        goals.owner_type,
        goals.baseline_start,
        goals.baseline_end,
        goals.target_type,
        goals.target_change_pct,
        goals.target_value as absolute_target_value,
        goals.deadline,
        indicators.higher_is_worse,
        case
            when baselines.n_complete_months = baselines.n_baseline_months
                then baselines.baseline_sum_value
        end as baseline_value,
        months.month

    from goals
    inner join indicators
        on goals.indicator_code = indicators.indicator_code
    inner join baselines
        on goals.goal_id = baselines.goal_id
    inner join months
        on months.month > goals.baseline_end

),

final as (

    select
        cast(goal_months.goal_id as varchar) as goal_id,
        cast(goal_months.indicator_code as varchar) as indicator_code,
        cast(goal_months.geo_level as varchar) as geo_level,
        cast(goal_months.geo_code as varchar) as geo_code,
        cast(goal_months.owner as varchar) as owner,
        cast(goal_months.owner_type as varchar) as owner_type,
        cast(goal_months.baseline_start as date) as baseline_start,
        cast(goal_months.baseline_end as date) as baseline_end,
        cast(goal_months.baseline_value as double) as baseline_value,
        cast(
            case goal_months.target_type
                when 'relative'
                    then goal_months.baseline_value * (1 + goal_months.target_change_pct / 100)
                else goal_months.absolute_target_value
            end as double
        ) as target_value,
        cast(goal_months.deadline as date) as deadline,
        cast(goal_months.higher_is_worse as boolean) as higher_is_worse,
        cast(goal_months.month as date) as month,
        cast(facts.value_rolling_12m as double) as current_value

    from goal_months
    left join facts
        on goal_months.indicator_code = facts.indicator_code
        and goal_months.geo_level = facts.geo_level
        and goal_months.geo_code = facts.geo_code
        and goal_months.month = facts.month

)

select * from final
