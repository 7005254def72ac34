{#- KPI 9.2: addressable purchases (amount > 0) in the fiscal year / procurement FTE in post at the year's
    reference date. Grains: state and agency x fiscal year; an agency row needs the agency's own staff
    (central-office FTE serve every agency and count at the state grain only); a grain without FTE has no
    row (no data).
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

staff_years as (
    select * from {{ ref('org_staff_fiscal_years') }}
),

spend as (
    select * from {{ ref('int_spend_lines') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        cast(0 as decimal(18, 4)) as numerator,
        cast(fte as decimal(18, 4)) as denominator
    from staff_years
    where is_in_post_at_reference
    union all
    select
        state_code,
        agency_id,
        fiscal_year,
        cast(amount as decimal(18, 4)) as numerator,
        cast(0 as decimal(18, 4)) as denominator
    from spend
    where
        fiscal_year is not null
        and amount > 0
        and is_addressable
),

rolled as (
    {{ kpi_rollup('base', '9.2', 9, method='ratio', grains=['A']) }}
),

final as (
    select * from rolled
    where denominator > 0
)

select * from final
