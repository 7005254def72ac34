{#- One row per invoice (invoice_id) with its payment outcome. The first positive payment is the earliest
    payment with amount > 0 naming the invoice (ties: lowest payment_id), as in KPI 7.2 (docs/kpi_rules.md):
    a refund or void never counts as paying. On time (KPI 7.3) means paid in full by the due date: the
    payment lines dated on or before it, net of refunds, plus the discount taken, reach the invoice amount;
    a first instalment on time does not make the invoice paid on time. Its fiscal period is the paying state's (fct_payments).
    The invoice's fiscal period is that of received_date in the invoice state's calendar.
    Commodity: the commodity of the invoiced PO's lowest-numbered line, else that of the first positive
    payment (invoices carry no lines); it decides whether the invoice is PO-exempt (KPI 7.5).
    Incremental by period_month, the first day of the calendar month of received_date (= one fiscal month
    of every state): macros/incremental_by_period.sql decides which months a build rewrites. -#}
{{ config(**incremental_by_period_config()) }}
{%- set period_plan = incremental_by_period_plan() %}
with

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

purchase_orders as (
    select * from {{ ref('fct_procure_to_pay') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

positive_payments as (
    select
        invoice_id,
        payment_id,
        payment_date,
        fiscal_year,
        fiscal_month,
        commodity_code,
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
        fiscal_month,
        commodity_code
    from positive_payments
    where payment_rank = 1
),

payment_totals as (
    -- every payment line of the invoice, refunds included: what the invoice finally cost
    select
        invoice_id,
        count(*) as payment_count,
        sum(amount) as amount_paid,
        sum(coalesce(discount_taken, 0)) as discount_taken,
        sum(coalesce(interest_paid, 0)) as interest_paid
    from payments
    where invoice_id is not null
    group by invoice_id
),

paid_by_due_date as (
    -- what the invoice had been paid by its due date: every payment line dated on or before it, net of
    -- refunds and voids, with the prompt-payment discount taken counting as paid (KPI 7.3)
    select
        payments.invoice_id,
        sum(payments.amount + coalesce(payments.discount_taken, 0)) as paid_by_due_date
    from payments
    inner join invoices
        on payments.invoice_id = invoices.invoice_id
    where payments.payment_date <= invoices.due_date
    group by payments.invoice_id
),

joined as (
    select
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.state_code,
        invoices.agency_id,
        invoices.supplier_id,
        suppliers.supplier_key,
        invoices.po_id,
        purchase_orders.po_date,
        coalesce(purchase_orders.commodity_code, first_payments.commodity_code) as commodity_code,
        invoices.invoice_date,
        invoices.received_date,
        invoices.due_date,
        {{ fiscal_year('invoices.received_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('invoices.received_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        invoices.amount,
        invoices.payment_terms,
        invoices.discount_offered,
        invoices.is_electronic,
        invoices.match_status,
        first_payments.payment_id as first_payment_id,
        first_payments.payment_date as first_payment_date,
        first_payments.fiscal_year as first_payment_fiscal_year,
        first_payments.fiscal_month as first_payment_fiscal_month,
        payment_totals.payment_count,
        payment_totals.amount_paid,
        payment_totals.discount_taken,
        payment_totals.interest_paid,
        paid_by_due_date.paid_by_due_date
    from invoices
    left join states
        on invoices.state_code = states.state_code
    left join suppliers
        on invoices.supplier_id = suppliers.supplier_id
    left join purchase_orders
        on invoices.po_id = purchase_orders.po_id
    left join first_payments
        on invoices.invoice_id = first_payments.invoice_id
    left join payment_totals
        on invoices.invoice_id = payment_totals.invoice_id
    left join paid_by_due_date
        on invoices.invoice_id = paid_by_due_date.invoice_id
),

final as (
    select
        joined.invoice_id,
        joined.invoice_number,
        joined.state_code,
        joined.agency_id,
        joined.supplier_id,
        joined.supplier_key,
        joined.po_id,
        joined.po_date,
        joined.commodity_code,
        -- category and exemption only for a known commodity code (docs/kpi_rules.md)
        commodity_codes.category_code,
        commodity_codes.is_po_exempt,
        joined.invoice_date,
        joined.received_date,
        joined.due_date,
        joined.fiscal_year,
        joined.fiscal_month,
        cast(joined.amount as decimal(18, 2)) as amount,
        joined.payment_terms,
        joined.discount_offered,
        joined.is_electronic,
        joined.match_status,
        joined.first_payment_id,
        joined.first_payment_date,
        joined.first_payment_fiscal_year,
        joined.first_payment_fiscal_month,
        {{ dbt.datediff('joined.received_date', 'joined.first_payment_date', 'day') }} as days_to_pay,
        -- paid in full (net of refunds, discount taken counting) by the due date; NULL when not paid at all,
        -- or when the due date or the amount is unknown (unknown is not late)
        case
            when
                joined.first_payment_date is not null
                and joined.due_date is not null
                and joined.amount is not null
                then coalesce(joined.paid_by_due_date, 0) >= joined.amount
        end as is_paid_on_time,
        coalesce(joined.payment_count, 0) as payment_count,
        cast(coalesce(joined.amount_paid, 0) as decimal(18, 2)) as amount_paid,
        cast(coalesce(joined.discount_taken, 0) as decimal(18, 2)) as discount_taken,
        cast(coalesce(joined.interest_paid, 0) as decimal(18, 2)) as interest_paid,
        cast({{ dbt.date_trunc('month', 'joined.received_date') }} as date) as period_month,
        {{ period_plan.loaded_through }} as _loaded_through,
        {{ period_plan.invocation }} as _invocation_id
    from joined
    left join commodity_codes
        on joined.commodity_code = commodity_codes.commodity_code
)

select * from final
where {{ period_plan.predicate }}
