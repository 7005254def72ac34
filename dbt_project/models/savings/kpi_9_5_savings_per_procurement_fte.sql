{#- KPI 9.5 Savings per procurement FTE (KPI_CATALOGUE.md), USD per FTE: sum of negotiated (projected)
    savings (the numerator of KPI 4.3: baseline - award value over active awards with a baseline) / the FTE of
    the procurement staff in post during the fiscal year (hired in or before it and not separated before it:
    fiscal year of hire_date <= FY <= fiscal year of separation_date; a position with no hire date is vacant).
    A position counts its whole fte in any year it was filled for at least a day (not prorated). Staff of the
    central office (no agency) count at the state grain only, as do awards of central solicitations. Staff
    FTE is counted only for the state-years that have negotiated savings, so a state-year without awards is
    no_data rather than 0. Grain A. -#}
with

savings_lines as (
    select * from {{ ref('int_savings_lines') }}
),

staff as (
    select * from {{ ref('stg_raw__procurement_staff') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

negotiated as (
    select
        state_code,
        agency_id,
        fiscal_year,
        savings_amount
    from savings_lines
    where
        price_anomaly_rule is null
        and method = 'negotiated_vs_baseline'
),

savings_years as (
    select distinct
        state_code,
        fiscal_year
    from negotiated
),

staff_years as (
    select
        staff.state_code,
        staff.agency_id,
        staff.fte,
        {{ fiscal_year('staff.hire_date', 'states.fiscal_year_start_month') }} as hire_fiscal_year,
        {{ fiscal_year('staff.separation_date', 'states.fiscal_year_start_month') }} as separation_fiscal_year
    from staff
    inner join states
        on staff.state_code = states.state_code
    where
        staff.hire_date is not null
        and staff.fte > 0
),

staff_in_post as (
    select
        savings_years.state_code,
        staff_years.agency_id,
        savings_years.fiscal_year,
        staff_years.fte
    from savings_years
    inner join staff_years
        on
            savings_years.state_code = staff_years.state_code
            and savings_years.fiscal_year >= staff_years.hire_fiscal_year
            and (
                staff_years.separation_fiscal_year is null
                or savings_years.fiscal_year <= staff_years.separation_fiscal_year
            )
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        cast(savings_amount as decimal(38, 4)) as numerator,
        cast(0 as decimal(38, 4)) as denominator
    from negotiated
    union all
    select
        state_code,
        agency_id,
        fiscal_year,
        cast(0 as decimal(38, 4)) as numerator,
        cast(fte as decimal(38, 4)) as denominator
    from staff_in_post
),

final as (
    {{ kpi_rollup('base', '9.5', 9, method='ratio', grains=['A']) }}
)

select * from final
