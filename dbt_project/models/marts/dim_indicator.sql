-- The indicator catalogue as published: one row per indicator of seed `indicators`, with
-- the offence codes behind offence-count indicators (seed indicator_offence_codes).
with

indicators as (

    select * from {{ ref('indicators') }}

),

indicator_offence_codes as (

    select * from {{ ref('indicator_offence_codes') }}

),

offence_code_lists as (

    select
        indicator_code,
        string_agg(offence_code, ';' order by offence_code) as offence_codes

    from indicator_offence_codes
    group by indicator_code

),

final as (

    select
        cast(indicators.indicator_code as varchar) as indicator_code,
        cast(indicators.name_sv as varchar) as name_sv,
        cast(indicators.name_en as varchar) as name_en,
        cast(indicators.definition as varchar) as definition,
        cast(indicators.unit as varchar) as unit,
        cast(indicators.numerator as varchar) as numerator,
        cast(indicators.denominator as varchar) as denominator,
        cast(indicators.higher_is_worse as boolean) as higher_is_worse,
        cast(indicators.geo_levels as varchar) as geo_levels,
        cast(indicators.kind as varchar) as kind,
        cast(indicators.sources as varchar) as sources,
        cast(indicators.value_scale as double) as value_scale,
        cast(indicators.has_rate_per_1000 as boolean) as has_rate_per_1000,
        cast(offence_code_lists.offence_codes as varchar) as offence_codes

    from indicators
    left join offence_code_lists
        on indicators.indicator_code = offence_code_lists.indicator_code

)

select * from final
