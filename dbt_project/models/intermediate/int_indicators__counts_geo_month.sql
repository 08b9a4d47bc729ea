-- Offence-count indicators per month × geography, long and sparse (only non-zero counts;
-- fct_indicator_month completes the grid). Which offences count where is the COVERAGE RULE
-- below (documented in the YAML, doc block `coverage_rule`).
with

offence_counts as (

    select * from {{ ref('int_offences__counts_deso_month') }}

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

-- COVERAGE RULE: the code each geographic level places an offence by. Levels placed by
-- municipality_code count every offence; levels placed by deso_code count only geocoded
-- offences. So offences without a DeSO code count at municipality, region and nation,
-- but not at LPO or area.
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

indicator_counts as (

    select
        offence_counts.month,
        offence_counts.municipality_code,
        offence_counts.deso_code,
        indicator_offence_codes.indicator_code,
        sum(offence_counts.n_offences) as n_offences

    from offence_counts
    inner join indicator_offence_codes
        on offence_counts.offence_code = indicator_offence_codes.offence_code
    group by
        offence_counts.month,
        offence_counts.municipality_code,
        offence_counts.deso_code,
        indicator_offence_codes.indicator_code

),

-- every municipality's place at the levels a municipality code can place an offence at
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

placed_by_municipality_code as (

    select
        indicator_counts.month,
        municipality_geo_levels.geo_level,
        municipality_geo_levels.geo_code,
        indicator_counts.indicator_code,
        indicator_counts.n_offences

    from indicator_counts
    inner join municipality_geo_levels
        on indicator_counts.municipality_code = municipality_geo_levels.municipality_code
    inner join coverage_rule
        on municipality_geo_levels.geo_level = coverage_rule.geo_level
        and coverage_rule.placed_by = 'municipality_code'

),

placed_by_deso_code as (

    select
        indicator_counts.month,
        deso_geo_levels.geo_level,
        deso_geo_levels.geo_code,
        indicator_counts.indicator_code,
        indicator_counts.n_offences

    from indicator_counts
    -- offences without a DeSO code have no partner here and drop out
    inner join deso_geo_levels
        on indicator_counts.deso_code = deso_geo_levels.deso_code
    inner join coverage_rule
        on deso_geo_levels.geo_level = coverage_rule.geo_level
        and coverage_rule.placed_by = 'deso_code'

),

placed as (

    select * from placed_by_municipality_code
    union all
    select * from placed_by_deso_code

),

final as (

    select
        cast(month as date) as month,
        cast(geo_level as varchar) as geo_level,
        cast(geo_code as varchar) as geo_code,
        cast(indicator_code as varchar) as indicator_code,
        cast(sum(n_offences) as bigint) as n_offences

    from placed
    group by month, geo_level, geo_code, indicator_code

)

select * from final
