{#- KPI 5.3 (a count): the number of contracts whose cumulative payments exceed their current_value.
    For each contract and each fiscal year (the contract state's calendar) in which it was paid, cumulative
    payments = Σ amount of every payment on it dated up to the end of that fiscal year (refunds net: they
    are money returned against the ceiling). The contract counts in that year when cumulative > current_value.
    Population: contracts with a payment in the year. value = numerator = the count; denominator = 1
    (docs: a count keeps value = numerator / denominator). Agency = the contract's (NULL for statewide and
    cooperative vehicles), supplier = the contract's supplier_key. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

states as (
    select * from {{ ref('dim_state') }}
),

contract_year_payments as (
    select
        contracts.contract_id,
        contracts.state_code,
        contracts.agency_id,
        contracts.supplier_key,
        contracts.current_value,
        {{ fiscal_year('payments.payment_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        sum(payments.amount) as paid_in_year
    from payments
    inner join contracts
        on payments.contract_id = contracts.contract_id
    inner join states
        on contracts.state_code = states.state_code
    group by 1, 2, 3, 4, 5, 6
),

cumulative as (
    select
        state_code,
        agency_id,
        supplier_key,
        fiscal_year,
        current_value,
        sum(paid_in_year) over (
            partition by contract_id
            order by fiscal_year asc
            rows between unbounded preceding and current row
        ) as cumulative_paid
    from contract_year_payments
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        fiscal_year,
        cast(case when cumulative_paid > current_value then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from cumulative
    where fiscal_year is not null
),

rolled_up as (
    {{ kpi_rollup('base', '5.3', 5, method='ratio', grains=['A', 'V']) }}
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
