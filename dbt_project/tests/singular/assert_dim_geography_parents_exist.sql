-- Failure means: a geography names a parent (parent_geo_level, parent_geo_code) that is not
-- itself a row of dim_geography — e.g. an area whose municipality_code or an LPO whose
-- region_slug is unknown — so the reconciliation child ≤ parent cannot see it.
select
    children.geo_level,
    children.geo_code,
    children.parent_geo_level,
    children.parent_geo_code

from {{ ref('dim_geography') }} as children
left join {{ ref('dim_geography') }} as parents
    on children.parent_geo_level = parents.geo_level
    and children.parent_geo_code = parents.geo_code
where children.parent_geo_level is not null
  and parents.geo_code is null
