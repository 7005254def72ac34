{#- KPI 6.3: addressable purchases (amount > 0) paid to a certified small or diverse business / addressable
    purchases. A resolved supplier is small / diverse when any of its records is certified (dim_supplier).
    Grains: state, agency and category x fiscal year. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

suppliers as (
    select * from {{ ref('dim_supplier') }}
),

base as (
    select
        payments.state_code,
        payments.agency_id,
        payments.category_code,
        payments.fiscal_year,
        case
            when coalesce(suppliers.is_small_business, false) or coalesce(suppliers.is_diverse_business, false)
                then payments.amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        payments.amount as denominator
    from payments
    left join suppliers
        on payments.supplier_key = suppliers.supplier_key
    where
        payments.fiscal_year is not null
        and payments.amount > 0
        and payments.is_addressable
),

final as (
    {{ kpi_rollup('base', '6.3', 6, method='ratio', grains=['A', 'C']) }}
)

select * from final
