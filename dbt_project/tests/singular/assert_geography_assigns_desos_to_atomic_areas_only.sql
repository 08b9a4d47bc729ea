-- Failure means: the geography delivery assigns a DeSO directly to a composite area.
-- Per the data contract a DeSO names the atomic area it lies in; composites are derived
-- from their parts (seed area_parts). A direct assignment would double count the DeSO in
-- the composite and hide it from the parts.
{{ config(meta={'dagster': {'ref': {'name': 'stg_geography__deso'}}}) }}  -- shown as a check on stg_geography__deso
select
    desos.deso_code,
    desos.area_code

from {{ ref('stg_geography__deso') }} as desos
inner join {{ ref('areas') }} as areas
    on desos.area_code = areas.area_code
where coalesce(areas.is_composite, false)
