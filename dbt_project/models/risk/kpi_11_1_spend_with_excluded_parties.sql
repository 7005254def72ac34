{#- KPI 11.1 spend with excluded parties: the share of purchase spend (payments with amount > 0) paid to a
    supplier record matched to an exclusion in force on the payment date (red flag RF12), by the
    payment's fiscal period, state, agency and resolved supplier. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

red_flags as (
    select * from {{ ref('red_flags') }}
),

excluded_payments as (
    select distinct entity_id as payment_id
    from red_flags
    where
        rule_id = 'RF12'
        and entity_type = 'payment'
),

base as (
    select
        payments.state_code,
        payments.agency_id,
        payments.supplier_key as supplier_id,
        payments.fiscal_year,
        case
            when excluded_payments.payment_id is not null then payments.amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        payments.amount as denominator
    from payments
    left join excluded_payments
        on payments.payment_id = excluded_payments.payment_id
    where
        payments.fiscal_year is not null
        -- refunds and voids are not purchases: shares are of gross spend (docs/kpi_rules.md)
        and payments.amount > 0
),

final as (
    {{ kpi_rollup('base', '11.1', 11, method='ratio', grains=['A', 'V']) }}
)

select * from final
