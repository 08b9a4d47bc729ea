{#-
    The rate column equals numerator / denominator × `per` within `tolerance`; where the
    numerator is NULL or the denominator is NULL or 0 the rate must be NULL.
    Returns the rows that disagree.
-#}
{% test rate_matches_numerator_over_denominator(
    model, column_name, numerator='numerator', denominator='denominator', per=1000,
    tolerance=1e-9
) %}

    with

    checked as (

        select
            *,
            case
                when {{ denominator }} is not null and {{ denominator }} <> 0
                    then {{ numerator }} / {{ denominator }} * {{ per }}
            end as expected_rate

        from {{ model }}

    )

    select *
    from checked
    where
        (expected_rate is null) <> ({{ column_name }} is null)
        or abs({{ column_name }} - expected_rate) > {{ tolerance }}

{% endtest %}
