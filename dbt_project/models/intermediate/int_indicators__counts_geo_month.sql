{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month',
        on_schema_change='sync_all_columns',
        meta={'window_rebuild_inputs': [
            'int_geography__deso_geo_levels',
            'municipalities',
            'indicators',
            'indicator_offence_codes',
        ]},
        pre_hook="{{ window_rebuild_clear('month') }}",
        post_hook="{{ window_rebuild_record() }}"
    )
}}

-- Event-count numerators and denominators of the count and ratio indicators per month ×
-- geography, long and sparse (only non-zero combinations; fct_indicator_month completes the
-- grid). Which event feeds which indicator is declared in seed `indicators` (columns
-- numerator / denominator = an event kind below) and, for offence-coded events, in seed
-- indicator_offence_codes. Where events count is the COVERAGE RULE below (doc `coverage_rule`).
-- Incremental (macros/window_rebuild.sql): a month's rows depend only on that month's events,
-- so a run rebuilds its window's months — and every month by itself when the geography, a
-- seed listed in window_rebuild_inputs or this file changed since the last build.
{%- set rebuilt_months = window_rebuild_predicate('month') %}
with

offence_counts as (

    select * from {{ ref('int_offences__counts_deso_month') }}
    where {{ rebuilt_months }}

),

clearance_counts as (

    select * from {{ ref('int_clearances__counts_deso_month') }}
    where {{ rebuilt_months }}

),

incident_counts as (

    select * from {{ ref('int_incidents__counts_deso_month') }}
    where {{ rebuilt_months }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

indicator_offence_codes as (

    select * from {{ ref('indicator_offence_codes') }}

),

municipalities as (

    select * from {{ ref('municipalities') }}

),

deso_geo_levels as (

    select * from {{ ref('int_geography__deso_geo_levels') }}

),

-- COVERAGE RULE: the code each geographic level places an event by. Levels placed by
-- municipality_code count every event; levels placed by deso_code count only geocoded
-- events. So events without a DeSO code count at municipality, region and nation, but not
-- at LPO or area.
coverage_rule as (

    select *
    from (
        values
            ('nation', 'municipality_code'),
            ('region', 'municipality_code'),
            ('municipality', 'municipality_code'),
            ('lpo', 'deso_code'),
            ('area', 'deso_code')
    ) as rule (geo_level, placed_by)

),

-- every event kind an indicator's numerator or denominator can name, at DeSO grain.
-- offence_code is set for offence-coded kinds (filtered by indicator_offence_codes).
events as (

    select month, municipality_code, deso_code, 'offence_count' as event_kind,
        offence_code, n_offences as n_events
    from offence_counts

    union all

    select month, municipality_code, deso_code, 'clearance_count' as event_kind,
        offence_code, n_clearances as n_events
    from clearance_counts

    union all

    select month, municipality_code, deso_code, 'shooting_count' as event_kind,
        null as offence_code, n_incidents as n_events
    from incident_counts
    where incident_type = 'shooting'

    union all

    select month, municipality_code, deso_code, 'shooting_dead' as event_kind,
        null as offence_code, n_dead as n_events
    from incident_counts
    where incident_type = 'shooting'

    union all

    select month, municipality_code, deso_code, 'shooting_injured' as event_kind,
        null as offence_code, n_injured as n_events
    from incident_counts
    where incident_type = 'shooting'

    union all

    select month, municipality_code, deso_code, 'explosion_count' as event_kind,
        null as offence_code, n_incidents as n_events
    from incident_counts
    where incident_type = 'explosion'

),

indicator_roles as (

    select indicator_code, numerator as event_kind, 'numerator' as role
    from indicators

    union all

    select indicator_code, denominator as event_kind, 'denominator' as role
    from indicators

),

-- every municipality's place at the levels a municipality code can place an event at
municipality_geo_levels as (

    select municipality_code, 'nation' as geo_level, 'SE' as geo_code
    from municipalities

    union all

    select municipality_code, 'region' as geo_level, region_slug as geo_code
    from municipalities

    union all

    select municipality_code, 'municipality' as geo_level, municipality_code as geo_code
    from municipalities

),

-- Events are summed per place first and matched to indicators after: a place (municipality,
-- LPO, area) holds far fewer (month, event kind, offence code) combinations than its DeSOs
-- do, so the indicators' join and the final sum see a fraction of the rows (the same sums —
-- integer counts — as matching every DeSO's events first).
events_by_municipality as (

    select month, municipality_code, event_kind, offence_code, sum(n_events) as n_events
    from events
    group by month, municipality_code, event_kind, offence_code

),

placed_by_municipality_code as (

    select
        events_by_municipality.month,
        municipality_geo_levels.geo_level,
        municipality_geo_levels.geo_code,
        events_by_municipality.event_kind,
        events_by_municipality.offence_code,
        events_by_municipality.n_events

    from events_by_municipality
    inner join municipality_geo_levels
        on events_by_municipality.municipality_code = municipality_geo_levels.municipality_code
    inner join coverage_rule
        on municipality_geo_levels.geo_level = coverage_rule.geo_level
        and coverage_rule.placed_by = 'municipality_code'

),

placed_by_deso_code as (

    select
        events.month,
        deso_geo_levels.geo_level,
        deso_geo_levels.geo_code,
        events.event_kind,
        events.offence_code,
        sum(events.n_events) as n_events

    from events
    -- events without a DeSO code have no partner here and drop out
    inner join deso_geo_levels
        on events.deso_code = deso_geo_levels.deso_code
    inner join coverage_rule
        on deso_geo_levels.geo_level = coverage_rule.geo_level
        and coverage_rule.placed_by = 'deso_code'
    group by
        events.month,
        deso_geo_levels.geo_level,
        deso_geo_levels.geo_code,
        events.event_kind,
        events.offence_code

),

placed_events as (

    select * from placed_by_municipality_code
    union all
    select * from placed_by_deso_code

),

placed as (

    select
        placed_events.month,
        placed_events.geo_level,
        placed_events.geo_code,
        indicator_roles.indicator_code,
        indicator_roles.role,
        placed_events.n_events

    from placed_events
    inner join indicator_roles
        on placed_events.event_kind = indicator_roles.event_kind
    left join indicator_offence_codes
        on indicator_roles.indicator_code = indicator_offence_codes.indicator_code
        and placed_events.offence_code = indicator_offence_codes.offence_code
    -- offence-coded events count only for the indicator's codes; incidents always
    where placed_events.offence_code is null
       or indicator_offence_codes.offence_code is not null

),

final as (

    select
        cast(month as date) as month,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(indicator_code as varchar) as indicator_code,
        cast(coalesce(sum(n_events) filter (where role = 'numerator'), 0) as bigint)
            as n_numerator,
        cast(sum(n_events) filter (where role = 'denominator') as bigint) as n_denominator

    from placed
    group by month, geo_level, geo_code, indicator_code

)

select * from final
