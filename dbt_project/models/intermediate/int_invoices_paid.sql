{#- One row per invoice that has at least one positive payment carrying its invoice_id (KPI 7.2's
    population). days_to_pay = first positive payment date - received date, in whole days; the state and
    agency are the invoice's, the fiscal period is that of the first payment (paying state's calendar).
    Ties on the first payment date are broken by payment_id, so the period is deterministic. -#}
with

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

payments as (
    select * from {{ ref('int_payments_enriched') }}
),

positive_payments as (
    select
        invoice_id,
        payment_id,
        payment_date,
        fiscal_year,
        fiscal_month,
        row_number() over (
            partition by invoice_id
            order by payment_date asc nulls last, payment_id asc nulls last
        ) as payment_rank
    from payments
    where
        amount > 0
        and invoice_id is not null
),

first_payments as (
    select
        invoice_id,
        payment_id,
        payment_date,
        fiscal_year,
        fiscal_month
    from positive_payments
    where payment_rank = 1
),

final as (
    select
        invoices.invoice_id,
        invoices.state_code,
        invoices.agency_id,
        invoices.supplier_id,
        invoices.received_date,
        invoices.due_date,
        first_payments.payment_id as first_payment_id,
        first_payments.payment_date as first_payment_date,
        {{ dbt.datediff('invoices.received_date', 'first_payments.payment_date', 'day') }} as days_to_pay,
        first_payments.fiscal_year,
        first_payments.fiscal_month
    from invoices
    inner join first_payments
        on invoices.invoice_id = first_payments.invoice_id
)

select * from final
