-- The classification history of every vulnerable area: one row per area × assessment year
-- (2015, 2017, …, 2025) with the category on that year's list (NULL = not listed), the
-- category on the previous list and the kind of change. Rules in the YAML.
with

areas as (

    select * from {{ ref('areas') }}

),

area_parts as (

    select * from {{ ref('area_parts') }}

),

classification_lists as (

    select * from {{ ref('classification_lists') }}

),

area_years as (

    select area_code, area_name, is_composite, other_names, 2015 as assessment_year, cat_2015 as category from areas
    union all
    select area_code, area_name, is_composite, other_names, 2017, cat_2017 from areas
    union all
    select area_code, area_name, is_composite, other_names, 2019, cat_2019 from areas
    union all
    select area_code, area_name, is_composite, other_names, 2021, cat_2021 from areas
    union all
    select area_code, area_name, is_composite, other_names, 2023, cat_2023 from areas
    union all
    select area_code, area_name, is_composite, other_names, 2025, cat_2025 from areas

),

with_previous as (

    select
        area_years.*,
        lag(category) over (
            partition by area_code order by assessment_year
        ) as previous_category,
        row_number() over (partition by area_code order by assessment_year) = 1
            as is_first_list,
        case category when 'utsatt' then 1 when 'risk' then 2 when 'sarskilt' then 3 end
            as severity

    from area_years

),

with_previous_severity as (

    select
        *,
        case previous_category when 'utsatt' then 1 when 'risk' then 2 when 'sarskilt' then 3 end
            as previous_severity

    from with_previous

),

-- a split: a composite leaves the list in the year its parts first appear on it
composite_listing as (

    select
        area_code as composite_code,
        assessment_year,
        category as composite_category,
        previous_category as composite_previous_category

    from with_previous_severity
    where coalesce(is_composite, false)

),

split_years as (

    select distinct
        area_parts.area_code as composite_code,
        area_parts.part_area_code,
        composite_listing.assessment_year

    from area_parts
    inner join composite_listing
        on area_parts.area_code = composite_listing.composite_code
    where composite_listing.composite_category is null
      and composite_listing.composite_previous_category is not null

),

classified as (

    select
        with_previous_severity.*,
        case
            when with_previous_severity.is_first_list
                then case when with_previous_severity.category is not null then 'first_list' end
            when with_previous_severity.category is null
                and with_previous_severity.previous_category is null
                then null
            when coalesce(with_previous_severity.is_composite, false)
                and with_previous_severity.category is null
                and exists (
                    select 1 from split_years
                    where split_years.composite_code = with_previous_severity.area_code
                      and split_years.assessment_year = with_previous_severity.assessment_year
                )
                then 'split'
            when with_previous_severity.previous_category is null
                and exists (
                    select 1 from split_years
                    where split_years.part_area_code = with_previous_severity.area_code
                      and split_years.assessment_year = with_previous_severity.assessment_year
                )
                then 'split'
            when with_previous_severity.previous_category is null then 'entry'
            when with_previous_severity.category is null then 'exit'
            when with_previous_severity.severity > with_previous_severity.previous_severity
                then 'upgrade'
            when with_previous_severity.severity < with_previous_severity.previous_severity
                then 'downgrade'
            else 'unchanged'
        end as change

    from with_previous_severity

),

-- the name the area had on that year's list: `other_names` entries dated "(YYYY)" or
-- "(YYYY-YYYY)" name the area in those years; otherwise the current name
named as (

    select
        classified.*,
        case
            when regexp_matches(other_names, '\((\d{4})(-(\d{4}))?\)\s*$')
                and assessment_year between
                    cast(regexp_extract(other_names, '\((\d{4})(-(\d{4}))?\)\s*$', 1) as integer)
                    and cast(coalesce(
                        nullif(regexp_extract(other_names, '\((\d{4})(-(\d{4}))?\)\s*$', 3), ''),
                        regexp_extract(other_names, '\((\d{4})(-(\d{4}))?\)\s*$', 1)
                    ) as integer)
                then trim(regexp_replace(other_names, '\((\d{4})(-(\d{4}))?\)\s*$', ''))
            else area_name
        end as name_on_list

    from classified

),

final as (

    select
        cast(named.area_code as varchar) as area_code,
        cast(named.area_name as varchar) as area_name,
        cast(named.assessment_year as integer) as assessment_year,
        cast(named.category as varchar) as category,
        cast(named.previous_category as varchar) as previous_category,
        cast(named.change as varchar) as change,
        cast(classification_lists.in_force_from as date) as published_month,
        cast(named.category is not null as boolean) as is_listed,
        cast(coalesce(named.is_composite, false) as boolean) as is_composite,
        cast(named.name_on_list as varchar) as name_on_list,
        cast(named.other_names as varchar) as other_names

    from named
    inner join classification_lists
        on named.assessment_year = classification_lists.assessment_year

)

select * from final
