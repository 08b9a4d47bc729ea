-- Failure means: seed area_parts is inconsistent with seed areas — a composite listed in
-- area_parts is not flagged is_composite, a part is itself a composite (nesting is not
-- supported: a composite is the union of atomic parts), or a composite has no parts
-- (it would have no DeSOs, so no figures).
{{ config(meta={'dagster': {'ref': {'name': 'area_parts'}}}) }}  -- shown as a check on area_parts
with

areas as (

    select * from {{ ref('areas') }}

),

area_parts as (

    select * from {{ ref('area_parts') }}

),

composite_not_flagged as (

    select
        'composite in area_parts not flagged is_composite' as problem,
        area_parts.area_code

    from area_parts
    inner join areas
        on area_parts.area_code = areas.area_code
    where not coalesce(areas.is_composite, false)

),

part_is_composite as (

    select
        'part is itself a composite' as problem,
        area_parts.part_area_code as area_code

    from area_parts
    inner join areas
        on area_parts.part_area_code = areas.area_code
    where coalesce(areas.is_composite, false)

),

composite_without_parts as (

    select
        'composite without parts' as problem,
        areas.area_code

    from areas
    where coalesce(areas.is_composite, false)
      and areas.area_code not in (select area_code from area_parts)

)

select * from composite_not_flagged
union all
select * from part_is_composite
union all
select * from composite_without_parts
