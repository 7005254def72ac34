{#- One row per state x calendar day: the calendar, the state's fiscal calendar (docs/kpi_rules.md) and
    weekend / holiday flags. -#}
with

states as (
    select * from {{ ref('stg_raw__states') }}
),

calendar_dates as (
    select * from {{ ref('int_calendar_dates') }}
),

holidays as (
    select * from {{ ref('stg_raw__holidays') }}
),

state_days as (
    select
        states.state_code,
        calendar_dates.date_day,
        states.fiscal_year_start_month,
        {{ fiscal_month('calendar_dates.date_day', 'states.fiscal_year_start_month') }} as fiscal_month,
        {{ iso_day_of_week('calendar_dates.date_day') }} as day_of_week
    from states
    cross join calendar_dates
),

final as (
    select
        state_days.state_code,
        state_days.date_day,
        cast(extract(year from state_days.date_day) as int) as calendar_year,
        cast(extract(quarter from state_days.date_day) as int) as calendar_quarter,
        cast(extract(month from state_days.date_day) as int) as calendar_month,
        cast(extract(day from state_days.date_day) as int) as day_of_month,
        cast({{ dbt.date_trunc('month', 'state_days.date_day') }} as date) as month_start_date,
        state_days.day_of_week,
        state_days.day_of_week >= 6 as is_weekend,
        holidays.holiday_date is not null as is_holiday,
        holidays.holiday_name,
        {{ fiscal_year('state_days.date_day', 'state_days.fiscal_year_start_month') }} as fiscal_year,
        state_days.fiscal_month,
        {{ fiscal_quarter('state_days.fiscal_month') }} as fiscal_quarter
    from state_days
    left join holidays
        on
            state_days.state_code = holidays.state_code
            and state_days.date_day = holidays.holiday_date
)

select * from final
