-- Effect goals month by month: progress, status and distance to target. The status rules
-- are in the YAML (and unit-tested there on hand-made cases).
with

goal_values as (

    select * from {{ ref('int_effect_goals__values_month') }}

),

assessed as (

    select
        *,
        -- share of the way from the baseline to the target covered by the current value
        (current_value - baseline_value) / nullif(target_value - baseline_value, 0) as progress,
        -- share of the baseline → deadline period elapsed (1 at and after the deadline)
        least(
            date_diff('month', baseline_end, month)
                / nullif(date_diff('month', baseline_end, deadline), 0),
            1.0
        ) as elapsed_share,
        case
            when higher_is_worse then current_value <= target_value
            else current_value >= target_value
        end as is_target_met,
        -- remaining way to the target in the goal's direction (≤ 0: met)
        case
            when higher_is_worse then current_value - target_value
            else target_value - current_value
        end as distance_to_target

    from goal_values

),

judged as (

    select
        *,
        case
            when current_value is null or target_value is null then null
            when is_target_met then 'achieved'
            when month >= deadline then 'missed'
            when progress >= elapsed_share then 'on_track'
            else 'off_track'
        end as status

    from assessed

),

final as (

    select
        cast(goal_id as varchar) as goal_id,
        cast(indicator_code as varchar) as indicator_code,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(owner as varchar) as owner,
        cast(owner_type as varchar) as owner_type,
        cast(baseline_start as date) as baseline_start,
        cast(baseline_end as date) as baseline_end,
        cast(baseline_value as double) as baseline_value,
        cast(target_value as double) as target_value,
        cast(deadline as date) as deadline,
        cast(month as date) as month,
        cast(current_value as double) as current_value,
        cast(progress as double) as progress,
        cast(elapsed_share as double) as elapsed_share,
        cast(status as varchar) as status,
        cast(distance_to_target as double) as distance_to_target

    from judged

)

select * from final
