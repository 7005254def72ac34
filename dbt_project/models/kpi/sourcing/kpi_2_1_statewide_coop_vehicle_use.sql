{#- KPI 2.1: Σ amount of purchases (amount > 0) paid on a statewide or participating-addendum contract /
    Σ amount of purchases in a covered category (a statewide or participating-addendum contract of the paying
    state in the same category was in its effective term on the payment date: the population of 12.2).
    Period: payment_date; agency and category are the payment's. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

base as (
    select
        payments.state_code,
        payments.agency_id,
        payments.category_code,
        payments.fiscal_year,
        payments.fiscal_month,
        case
            when contracts.vehicle in ('statewide', 'participating_addendum') then payments.amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        payments.amount as denominator
    from payments
    left join contracts
        on payments.contract_id = contracts.contract_id
    where
        payments.is_in_covered_category
        and payments.amount > 0
        and payments.fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '2.1', 2, method='ratio', grains=['A', 'C', 'M']) }}
)

select * from final
