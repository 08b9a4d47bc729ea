-- Plain-DuckDB baseline: the offence-based part of marts.fct_indicator_month computed straight
-- from the landing files, for every geo level and month — the practical lower bound for the
-- pipeline. Placeholders: {landing} (the landing directory) and {seeds} (dbt_project/seeds).
-- Same rules as the warehouse: offences without a DeSO count at municipality, region and
-- nation only; composite areas are the union of their parts; population interpolated at
-- mid-month from the 31 December figures (carried forward after the last year).

create or replace temp table offences as
select
    cast(strptime(regexp_extract(filename, '(\d{4}-\d{2})\.csv$', 1), '%Y-%m') as date) as month,
    offence_code, municipality_code, nullif(deso_code, '') as deso_code
from read_csv('{landing}/offences/*.csv', delim = ';', header = true, filename = true,
              all_varchar = true);

create or replace temp table deso as
select deso_code, municipality_code, lpo_code, nullif(area_code, '') as area_code
from read_csv('{landing}/geography/deso.csv', delim = ';', header = true, all_varchar = true);

-- offence-count indicators only (the clearance rate also maps offence codes, as its denominator)
create or replace temp table mapping as
select indicator_code, offence_code
from read_csv('{seeds}/indicator_offence_codes.csv', all_varchar = true)
where indicator_code in (
    select indicator_code from read_csv('{seeds}/indicators.csv', all_varchar = true)
    where kind = 'count'
);

create or replace temp table municipalities as
select municipality_code, region_slug
from read_csv('{seeds}/municipalities.csv', all_varchar = true);

create or replace temp table area_parts as
select area_code, part_area_code from read_csv('{seeds}/area_parts.csv', all_varchar = true);

-- JSON-stat2: cell i → Region index i // (product of the other sizes); Tid has one value.
create or replace temp table population_year as
with docs as (
    select
        cast(json_extract_string(j, '$.dimension.Tid.category.label') ->> '$.*' as varchar) as y,
        j
    from read_json_objects('{landing}/population/*.json', format = 'unstructured') as t(j)
),
cells as (
    select
        cast(regexp_extract(json_extract_string(j, '$.dimension.Tid.category.index'), '"(\d{4})"', 1) as integer) as year,
        json_extract(j, '$.dimension.Region.category.index') as region_index,
        cast(json_extract(j, '$.size[1]') as integer) * cast(json_extract(j, '$.size[2]') as integer)
            * cast(json_extract(j, '$.size[3]') as integer) * cast(json_extract(j, '$.size[4]') as integer) as per_region,
        unnest(cast(json_extract(j, '$.value') as integer[])) as value,
        generate_subscripts(cast(json_extract(j, '$.value') as integer[]), 1) - 1 as cell
    from docs
),
regions as (
    select distinct year, per_region, region_index from cells
),
region_codes as (
    select year, unnest(json_keys(region_index)) as deso_code, region_index, per_region from regions
)
select c.year, r.deso_code, sum(c.value) as population
from cells c
join region_codes r
  on r.year = c.year
 and cast(json_extract(r.region_index, '$."' || r.deso_code || '"') as integer) = c.cell // c.per_region
group by 1, 2;

create or replace temp table months as
select distinct month from offences;

create or replace temp table population_month as
with bounds as (select max(year) as last_year, min(year) as first_year from population_year)
select
    m.month, p1.deso_code,
    coalesce(p0.population, p1.population)
        + (p1.population - coalesce(p0.population, p1.population))
          * (month(m.month) - 0.5) / 12.0 as population
from months m, bounds b
join population_year p1 on p1.year = least(greatest(year(m.month), b.first_year), b.last_year)
left join population_year p0 on p0.year = p1.year - 1 and p0.deso_code = p1.deso_code
    and year(m.month) <= b.last_year;

create or replace temp table placed as
select o.month, m.indicator_code, o.municipality_code, mu.region_slug, d.lpo_code, d.area_code
from offences o
join mapping m using (offence_code)
join municipalities mu using (municipality_code)
left join deso d using (deso_code);

create or replace temp table deso_levels as
select deso_code, 'nation' as geo_level, 'SE' as geo_code from deso
union all select deso_code, 'region', region_slug from deso join municipalities using (municipality_code)
union all select deso_code, 'municipality', municipality_code from deso
union all select deso_code, 'lpo', lpo_code from deso
union all select deso_code, 'area', area_code from deso where area_code is not null
union all select deso_code, 'area', p.area_code from deso d join area_parts p on d.area_code = p.part_area_code;

create or replace temp table counts as
select month, 'nation' as geo_level, 'SE' as geo_code, indicator_code, count(*) as n from placed group by all
union all select month, 'region', region_slug, indicator_code, count(*) from placed group by all
union all select month, 'municipality', municipality_code, indicator_code, count(*) from placed group by all
union all select month, 'lpo', lpo_code, indicator_code, count(*) from placed where lpo_code is not null group by all
union all select month, 'area', area_code, indicator_code, count(*) from placed where area_code is not null group by all
union all
select month, 'area', p.area_code, indicator_code, count(*)
from placed join area_parts p on placed.area_code = p.part_area_code group by all;

create or replace temp table population_geo as
select pm.month, l.geo_level, l.geo_code, sum(pm.population) as population
from population_month pm join deso_levels l using (deso_code)
group by all;

create or replace table baseline_fct_indicator_month as
select
    c.month, c.geo_level, c.geo_code, c.indicator_code,
    cast(c.n as double) as numerator,
    p.population as denominator,
    c.n / p.population * 1000 as rate_per_1000
from counts c
left join population_geo p using (month, geo_level, geo_code);
