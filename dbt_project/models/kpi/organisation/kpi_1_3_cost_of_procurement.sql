{#- KPI 1.3: procurement operating cost (the staff's loaded annual cost, pro rata of their days in post in
    the fiscal year) / total purchases (payments with amount > 0) of the state in the year. State x fiscal
    year only (catalogue grain S,FY). A year without staff cost data has no row (no data, not a zero cost). -#}
with

staff_years as (
    select * from {{ ref('org_staff_fiscal_years') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

base as (
    select
        state_code,
        fiscal_year,
        cost_in_year as numerator,
        cast(0 as decimal(18, 2)) as denominator
    from staff_years
    union all
    select
        state_code,
        fiscal_year,
        cast(0 as decimal(18, 2)) as numerator,
        amount as denominator
    from payments
    where
        fiscal_year is not null
        and amount > 0
),

rolled as (
    {{ kpi_rollup('base', '1.3', 1, method='ratio', grains=[]) }}
),

final as (
    select * from rolled
    where numerator > 0 and denominator > 0
)

select * from final
