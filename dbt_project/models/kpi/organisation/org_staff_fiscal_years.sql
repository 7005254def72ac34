{#- One row per procurement position (staff_id) x fiscal year of its state in which the state has payments:
    the talent KPIs' (1.3, 9.1-9.6) common base. The year's window runs from the first day of the fiscal year
    to its reference date: the last day of the fiscal year, or the state's last payment date when that is
    earlier (the current, incomplete year). A person is in post on a date d when hire_date <= d and
    (separation_date is NULL or separation_date > d). staff records are a snapshot (today's certification
    and training dates), so earlier years are read through today's record. -#}
with

staff as (
    select * from {{ ref('stg_raw__procurement_staff') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

payment_years as (
    select
        state_code,
        fiscal_year,
        -- the first day of the fiscal year, from any of its dates: back (fiscal_month - 1) months
        min(
            cast({{ dbt.dateadd('month', '1 - fiscal_month', dbt.date_trunc('month', 'payment_date')) }} as date)
        ) as fiscal_year_start,
        max(payment_date) as last_payment_date
    from payments
    where fiscal_year is not null
    group by state_code, fiscal_year
),

state_last_dates as (
    select
        state_code,
        max(last_payment_date) as data_end_date
    from payment_years
    group by state_code
),

fiscal_years as (
    select
        payment_years.state_code,
        payment_years.fiscal_year,
        payment_years.fiscal_year_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, 'payment_years.fiscal_year_start')) }} as date)
            as fiscal_year_end,
        state_last_dates.data_end_date
    from payment_years
    inner join state_last_dates
        on payment_years.state_code = state_last_dates.state_code
),

windows as (
    select
        state_code,
        fiscal_year,
        fiscal_year_start,
        fiscal_year_end,
        least(fiscal_year_end, data_end_date) as reference_date,
        {{ dbt.datediff('fiscal_year_start', 'fiscal_year_end', 'day') }} + 1 as fiscal_year_days
    from fiscal_years
),

staff_windows as (
    select
        staff.staff_id,
        staff.state_code,
        staff.agency_id,
        staff.certification,
        staff.fte,
        staff.annual_cost,
        staff.vacancy_date,
        staff.hire_date,
        staff.separation_date,
        staff.training_current_until,
        windows.fiscal_year,
        windows.fiscal_year_start,
        windows.reference_date,
        windows.fiscal_year_days,
        greatest(staff.hire_date, windows.fiscal_year_start) as post_window_start,
        least(
            coalesce(cast({{ dbt.dateadd('day', -1, 'staff.separation_date') }} as date), windows.reference_date),
            windows.reference_date
        ) as post_window_end
    from staff
    inner join windows
        on staff.state_code = windows.state_code
    where staff.hire_date is not null
),

days_in_post as (
    select
        *,
        case
            when post_window_end >= post_window_start
                then {{ dbt.datediff('post_window_start', 'post_window_end', 'day') }} + 1
            else 0
        end as days_in_window
    from staff_windows
),

final as (
    select
        staff_id,
        state_code,
        agency_id,
        fiscal_year,
        fiscal_year_start,
        reference_date,
        fiscal_year_days,
        coalesce(certification in ('CPPO', 'CPPB', 'NIGP-CPP', 'CPSM'), false) as is_certified,
        fte,
        annual_cost,
        hire_date <= fiscal_year_start
        and (separation_date is null or separation_date > fiscal_year_start) as is_in_post_at_start,
        hire_date <= reference_date
        and (separation_date is null or separation_date > reference_date) as is_in_post_at_reference,
        coalesce(training_current_until >= reference_date, false) as is_training_current,
        coalesce(separation_date >= fiscal_year_start and separation_date <= reference_date, false)
            as is_separated_in_year,
        hire_date >= fiscal_year_start and hire_date <= reference_date as is_hired_in_year,
        case
            when vacancy_date is not null and vacancy_date <= hire_date
                then {{ dbt.datediff('vacancy_date', 'hire_date', 'day') }}
        end as days_to_fill,
        -- loaded cost of the days in post inside the window, pro rata of the fiscal year's length
        case
            when annual_cost is not null and days_in_window > 0
                then cast(cast(annual_cost as decimal(38, 4)) * days_in_window / fiscal_year_days as decimal(18, 2))
            else cast(0 as decimal(18, 2))
        end as cost_in_year
    from days_in_post
)

select * from final
