{#- KPI 2.1: Σ amount of purchases (amount > 0) paid on a statewide or participating-addendum contract /
    Σ amount of purchases in a covered category (a statewide or participating-addendum contract of the paying
    state in the same category was in its effective term on the spend date: the population of 12.2).
    Period: spend_date; agency and category are the spend line's.
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

base as (
    select
        spend.state_code,
        spend.agency_id,
        spend.category_code,
        spend.fiscal_year,
        spend.fiscal_month,
        case
            when contracts.vehicle in ('statewide', 'participating_addendum') then spend.amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        spend.amount as denominator
    from spend
    left join contracts
        on spend.contract_id = contracts.contract_id
    where
        spend.is_in_covered_category
        and spend.amount > 0
        and spend.fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '2.1', 2, method='ratio', grains=['A', 'C', 'M']) }}
)

select * from final
