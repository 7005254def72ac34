{#- KPI 11.4 (usd): trailing-12-month spend on contracts that end within 180 days with no successor.
    Per state and fiscal year, as of the fiscal year's last day, or the latest spend_date in the data when
    the year is not over. Spend = purchases (amount > 0) dated in (as_of - 1 year, as_of]; a contract is
    exposed when as_of < effective end <= as_of + 180 days and it has no successor signed by as_of
    (dim_contract's successor; its signed_date, else start_date, must be <= as_of). value = numerator = the
    exposed spend; denominator = 1. Every purchase in the window is in the base (0 when not exposed), so a
    grain with spend but no exposure shows 0. Agency = the spend line's; category = the contract's.
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

calendar as (
    select * from {{ ref('dim_date') }}
),

data_end as (
    select max(spend_date) as last_spend_date
    from spend
),

spend_years as (
    select distinct
        state_code,
        fiscal_year
    from spend
    where fiscal_year is not null
),

fiscal_year_ends as (
    select
        calendar.state_code,
        calendar.fiscal_year,
        max(calendar.date_day) as fiscal_year_end
    from calendar
    inner join spend_years
        on
            calendar.state_code = spend_years.state_code
            and calendar.fiscal_year = spend_years.fiscal_year
    group by calendar.state_code, calendar.fiscal_year
),

as_of_dates as (
    select
        fiscal_year_ends.state_code,
        fiscal_year_ends.fiscal_year,
        case
            when fiscal_year_ends.fiscal_year_end < data_end.last_spend_date
                then fiscal_year_ends.fiscal_year_end
            else data_end.last_spend_date
        end as as_of_date
    from fiscal_year_ends
    cross join data_end
),

windows as (
    select
        state_code,
        fiscal_year,
        as_of_date,
        cast({{ dbt.dateadd('year', -1, 'as_of_date') }} as date) as window_start_exclusive,
        cast({{ dbt.dateadd('day', 180, 'as_of_date') }} as date) as horizon_date
    from as_of_dates
),

window_purchases as (
    select
        windows.state_code,
        spend.agency_id,
        contracts.category_code,
        windows.fiscal_year,
        spend.amount,
        coalesce(
            contracts.effective_end_date > windows.as_of_date
            and contracts.effective_end_date <= windows.horizon_date
            and not coalesce(
                coalesce(contracts.successor_signed_date, contracts.successor_start_date) <= windows.as_of_date,
                false
            ),
            false
        ) as is_exposed
    from spend
    inner join windows
        on
            spend.state_code = windows.state_code
            and spend.spend_date > windows.window_start_exclusive
            and spend.spend_date <= windows.as_of_date
    left join contracts
        on spend.contract_id = contracts.contract_id
    where spend.amount > 0
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        case when is_exposed then amount else cast(0 as decimal(18, 2)) end as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from window_purchases
),

rolled_up as (
    {{ kpi_rollup('base', '11.4', 11, method='ratio', grains=['A', 'C']) }}
),

final as (
    select
        kpi_id,
        attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        numerator,
        cast(1 as {{ kpi_number_type() }}) as denominator,
        cast(numerator as {{ type_double() }}) as value,
        excluded_rows
    from rolled_up
)

select * from final
