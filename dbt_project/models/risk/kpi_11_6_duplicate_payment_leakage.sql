{#- KPI 11.6 duplicate-payment leakage: the share of purchase spend (payments with amount > 0) that is a
    duplicate: a payment flagged RF14 (same supplier and amount within the window, another invoice) or a
    payment of an invoice flagged RF13 (a later copy of an invoice). Each payment counts once. By the
    payment's fiscal period, state, agency and resolved supplier. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

red_flags as (
    select * from {{ ref('red_flags') }}
),

duplicate_payments as (
    select entity_id as payment_id
    from red_flags
    where
        rule_id = 'RF14'
        and entity_type = 'payment'
),

duplicate_invoices as (
    select entity_id as invoice_id
    from red_flags
    where
        rule_id = 'RF13'
        and entity_type = 'invoice'
),

base as (
    select
        payments.state_code,
        payments.agency_id,
        payments.supplier_key as supplier_id,
        payments.fiscal_year,
        payments.fiscal_month,
        case
            when duplicate_payments.payment_id is not null or duplicate_invoices.invoice_id is not null
                then payments.amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        payments.amount as denominator
    from payments
    left join duplicate_payments
        on payments.payment_id = duplicate_payments.payment_id
    left join duplicate_invoices
        on payments.invoice_id = duplicate_invoices.invoice_id
    where
        payments.fiscal_year is not null
        and payments.amount > 0
),

final as (
    {{ kpi_rollup('base', '11.6', 11, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
