-- The calendar of the warehouse: every month of the month spine with its tertial
-- (T1 Jan–Apr, T2 May–Aug, T3 Sep–Dec), the unit of the police's tertial reviews.
with

month_spine as (

    select * from {{ ref('int_deliveries__month_spine') }}

),

calendar as (

    select
        month,
        year(month) as year,
        month(month) as month_number,
        (month(month) - 1) // 4 + 1 as tertial

    from month_spine

),

final as (

    select
        cast(month as date) as month,
        cast(year as integer) as year,
        cast(month_number as integer) as month_number,
        cast(tertial as integer) as tertial,
        cast(year as varchar) || '-T' || cast(tertial as varchar) as tertial_label,
        cast(month_number % 4 = 0 as boolean) as is_tertial_end

    from calendar

)

select * from final
