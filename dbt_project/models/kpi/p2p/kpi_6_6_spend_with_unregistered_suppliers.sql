{#- KPI 6.6: purchases (amount > 0) paid to a supplier record whose vendor registration was not valid on
    the payment date / purchases. Valid = registration_valid_from <= payment_date and (registration_valid_to
    is empty or payment_date <= it). A record without registration dates, or a payee record missing from
    suppliers, counts as not registered. Only registration is tested: the data carries no insurance or
    certification dates. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

base as (
    select
        payments.state_code,
        payments.agency_id,
        payments.supplier_key as supplier_id,
        payments.fiscal_year,
        payments.fiscal_month,
        case
            when
                suppliers.registration_valid_from <= payments.payment_date
                and (
                    suppliers.registration_valid_to is null
                    or payments.payment_date <= suppliers.registration_valid_to
                )
                then cast(0 as decimal(18, 2))
            else payments.amount
        end as numerator,
        payments.amount as denominator
    from payments
    left join suppliers
        on payments.supplier_id = suppliers.supplier_id
    where
        payments.fiscal_year is not null
        -- refunds and voids are not purchases: shares are of gross spend (docs/kpi_rules.md)
        and payments.amount > 0
),

final as (
    {{ kpi_rollup('base', '6.6', 6, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
