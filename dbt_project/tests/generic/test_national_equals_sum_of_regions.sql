{#-
    Reconciliation: for every month and indicator, the nation's value of `column_name` equals
    the sum over the police regions, within `tolerance`. Both are placed by the offence's
    municipality code (see the coverage rule), so for counts they must agree exactly.
    A month that is missing (NULL) must be missing at both levels; with `null_as_zero: true`
    (for a population, where NULL means "no inhabitants on record") NULL counts as 0.
    Returns one row per month × indicator that does not reconcile.
-#}
{% test national_equals_sum_of_regions(
    model, column_name, partition_by=['month', 'indicator_code'], tolerance=0,
    null_as_zero=false
) %}

    {%- set keys = partition_by | join(', ') %}
    {%- set value = 'coalesce(' ~ column_name ~ ', 0)' if null_as_zero else column_name %}

    with

    nation as (

        select {{ keys }}, {{ value }} as national_value
        from {{ model }}
        where geo_level = 'nation'

    ),

    regions as (

        select
            {{ keys }},
            sum({{ value }}) as sum_of_regions,
            count({{ value }}) as n_regions_with_value,
            count(*) as n_regions

        from {{ model }}
        where geo_level = 'region'
        group by {{ keys }}

    ),

    compared as (

        select
            {% for key in partition_by -%}
            coalesce(nation.{{ key }}, regions.{{ key }}) as {{ key }},
            {% endfor -%}
            nation.national_value,
            regions.sum_of_regions,
            regions.n_regions_with_value,
            regions.n_regions

        from nation
        full outer join regions
            using ({{ keys }})

    )

    select *
    from compared
    where
        -- a nation row without regions, or regions without a nation row
        n_regions is null
        or national_value is null and n_regions_with_value > 0
        or national_value is not null and n_regions_with_value < n_regions
        or abs(national_value - sum_of_regions) > {{ tolerance }}

{% endtest %}
