-- The month spine (rule in the YAML): the single place it is defined; dim_month, the
-- population interpolation and the fact grid all read it.
with

deliveries as (

    select * from {{ ref('stg_deliveries__months') }}

),

monthly_deliveries as (

    select month
    from deliveries
    where source_name in (
        {%- for source_name in var('monthly_delivery_sources') %}
        '{{ source_name }}'{{ "," if not loop.last }}
        {%- endfor %}
    )

),

bounds as (

    select
        min(month) as first_month,
        max(month) as last_month

    from monthly_deliveries

),

spine as (

    select
        cast(
            unnest(
                generate_series(
                    cast(first_month as timestamp),
                    cast(last_month as timestamp),
                    interval 1 month
                )
            ) as date
        ) as month

    from bounds
    where first_month is not null

)

select month from spine
