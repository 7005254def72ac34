{#- One row per calendar day, from the earlier of var calendar_min_date and 1 January of the first year
    with payments or invoices, to the later of var calendar_max_date and 31 December of the last such
    year. The day numbers come from cross-joined digits, which every engine can do (no generate_series). -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

data_dates as (
    select payment_date as event_date from payments
    union all
    select invoice_date as event_date from invoices
    union all
    select received_date as event_date from invoices
),

data_bounds as (
    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from data_dates
),

data_years as (
    select
        cast({{ dbt.date_trunc('year', 'first_date') }} as date) as first_year_start,
        cast({{ dbt.dateadd('year', 1, dbt.date_trunc('year', 'last_date')) }} as date) as next_year_start,
        first_date,
        last_date
    from data_bounds
),

bounds as (
    select
        case
            when first_date < cast('{{ var("calendar_min_date") }}' as date)
                then first_year_start
            else cast('{{ var("calendar_min_date") }}' as date)
        end as start_date,
        case
            when last_date > cast('{{ var("calendar_max_date") }}' as date)
                then cast({{ dbt.dateadd('day', -1, 'next_year_start') }} as date)
            else cast('{{ var("calendar_max_date") }}' as date)
        end as end_date
    from data_years
),

digits as (
    select 0 as digit
    union all
    select 1 as digit
    union all
    select 2 as digit
    union all
    select 3 as digit
    union all
    select 4 as digit
    union all
    select 5 as digit
    union all
    select 6 as digit
    union all
    select 7 as digit
    union all
    select 8 as digit
    union all
    select 9 as digit
),

day_numbers as (
    -- 0 .. 99999 days: 273 years, far more than any data range.
    select
        d1.digit
        + 10 * d2.digit
        + 100 * d3.digit
        + 1000 * d4.digit
        + 10000 * d5.digit as day_number
    from digits as d1
    cross join digits as d2
    cross join digits as d3
    cross join digits as d4
    cross join digits as d5
),

final as (
    select
        cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'bounds.start_date') }} as date) as date_day
    from day_numbers
    cross join bounds
    where day_numbers.day_number <= {{ dbt.datediff('bounds.start_date', 'bounds.end_date', 'day') }}
)

select * from final
