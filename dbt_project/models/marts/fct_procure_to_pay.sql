{#- One row per purchase order (po_id) with every milestone of its procure-to-pay chain and the days
    between consecutive milestones (dbt.datediff; NULL when either end is missing, negative when the
    later step came first, e.g. an invoice dated before its PO). Also the small-purchase threshold of the
    PO's state in force on po_date (KPIs 3.2 and 8.6) and the PO's category = UNSPSC family of the
    commodity of its lowest-numbered line (docs/kpi_rules.md, 3.2).
    First positive payment: the earliest payment with amount > 0 recorded against the PO (po_id) or
    against one of the PO's invoices; refunds and voids never start or end a step. -#}
with

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

po_lines as (
    select * from {{ ref('stg_raw__purchase_order_lines') }}
),

requisitions as (
    select * from {{ ref('stg_raw__requisitions') }}
),

receipts as (
    select * from {{ ref('stg_raw__receipts') }}
),

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

thresholds as (
    select * from {{ ref('stg_raw__purchase_thresholds') }}
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

ranked_lines as (
    select
        po_id,
        line_number,
        commodity_code,
        row_number() over (
            partition by po_id
            order by line_number asc nulls last
        ) as line_rank
    from po_lines
),

line_summary as (
    select
        po_id,
        count(*) as line_count
    from po_lines
    group by po_id
),

first_lines as (
    select
        po_id,
        commodity_code
    from ranked_lines
    where line_rank = 1
),

receipt_dates as (
    select
        po_id,
        min(receipt_date) as first_receipt_date,
        max(receipt_date) as last_receipt_date,
        count(*) as receipt_count
    from receipts
    group by po_id
),

invoice_dates as (
    select
        po_id,
        min(invoice_date) as first_invoice_date,
        min(received_date) as first_invoice_received_date,
        count(*) as invoice_count
    from invoices
    where po_id is not null
    group by po_id
),

po_payments as (
    -- a payment can name the PO, or only the invoice that names the PO (or both: min() is unaffected)
    select
        po_id,
        payment_date
    from payments
    where
        amount > 0
        and po_id is not null
    union all
    select
        invoices.po_id,
        payments.payment_date
    from payments
    inner join invoices
        on payments.invoice_id = invoices.invoice_id
    where
        payments.amount > 0
        and invoices.po_id is not null
),

payment_dates as (
    select
        po_id,
        min(payment_date) as first_payment_date
    from po_payments
    group by po_id
),

small_purchase_thresholds as (
    select
        purchase_orders.po_id,
        thresholds.amount as small_purchase_threshold,
        -- overlapping rows in force on the same day: the one that started last wins
        row_number() over (
            partition by purchase_orders.po_id
            order by thresholds.effective_from desc nulls last, thresholds.amount asc nulls last
        ) as threshold_rank
    from purchase_orders
    inner join thresholds
        on
            purchase_orders.state_code = thresholds.state_code
            and thresholds.threshold_type = 'small_purchase'
            and purchase_orders.po_date >= thresholds.effective_from
            and (thresholds.effective_to is null or purchase_orders.po_date <= thresholds.effective_to)
),

thresholds_in_force as (
    select
        po_id,
        small_purchase_threshold
    from small_purchase_thresholds
    where threshold_rank = 1
),

milestones as (
    select
        purchase_orders.po_id,
        purchase_orders.po_number,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        suppliers.supplier_key,
        purchase_orders.requisition_id,
        purchase_orders.contract_id,
        purchase_orders.channel,
        purchase_orders.approval_method,
        purchase_orders.status as po_status,
        cast(purchase_orders.total_amount as decimal(18, 2)) as total_amount,
        first_lines.commodity_code,
        -- category only for a known commodity code (docs/kpi_rules.md)
        commodity_codes.category_code,
        {{ fiscal_year('purchase_orders.po_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('purchase_orders.po_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        thresholds_in_force.small_purchase_threshold,
        coalesce(line_summary.line_count, 0) as line_count,
        coalesce(receipt_dates.receipt_count, 0) as receipt_count,
        coalesce(invoice_dates.invoice_count, 0) as invoice_count,
        requisitions.created_date as requisition_created_date,
        requisitions.approved_date as requisition_approved_date,
        purchase_orders.po_date,
        receipt_dates.first_receipt_date,
        receipt_dates.last_receipt_date,
        invoice_dates.first_invoice_date,
        invoice_dates.first_invoice_received_date,
        payment_dates.first_payment_date
    from purchase_orders
    left join states
        on purchase_orders.state_code = states.state_code
    left join suppliers
        on purchase_orders.supplier_id = suppliers.supplier_id
    left join first_lines
        on purchase_orders.po_id = first_lines.po_id
    left join line_summary
        on purchase_orders.po_id = line_summary.po_id
    left join commodity_codes
        on first_lines.commodity_code = commodity_codes.commodity_code
    left join requisitions
        on purchase_orders.requisition_id = requisitions.requisition_id
    left join receipt_dates
        on purchase_orders.po_id = receipt_dates.po_id
    left join invoice_dates
        on purchase_orders.po_id = invoice_dates.po_id
    left join payment_dates
        on purchase_orders.po_id = payment_dates.po_id
    left join thresholds_in_force
        on purchase_orders.po_id = thresholds_in_force.po_id
),

final as (
    select
        po_id,
        po_number,
        state_code,
        agency_id,
        supplier_id,
        supplier_key,
        requisition_id,
        contract_id,
        channel,
        approval_method,
        po_status,
        total_amount,
        commodity_code,
        category_code,
        fiscal_year,
        fiscal_month,
        small_purchase_threshold,
        case
            when small_purchase_threshold is not null then total_amount < small_purchase_threshold
        end as is_small_order,
        line_count,
        receipt_count,
        invoice_count,
        requisition_created_date,
        requisition_approved_date,
        po_date,
        first_receipt_date,
        last_receipt_date,
        first_invoice_date,
        first_invoice_received_date,
        first_payment_date,
        {{ dbt.datediff('requisition_created_date', 'requisition_approved_date', 'day') }}
            as requisition_approval_days,
        {{ dbt.datediff('requisition_approved_date', 'po_date', 'day') }} as requisition_to_po_days,
        {{ dbt.datediff('po_date', 'first_receipt_date', 'day') }} as po_to_first_receipt_days,
        {{ dbt.datediff('first_receipt_date', 'last_receipt_date', 'day') }} as receipt_span_days,
        {{ dbt.datediff('last_receipt_date', 'first_invoice_date', 'day') }} as last_receipt_to_invoice_days,
        {{ dbt.datediff('first_invoice_date', 'first_invoice_received_date', 'day') }} as invoice_to_received_days,
        {{ dbt.datediff('first_invoice_received_date', 'first_payment_date', 'day') }} as received_to_payment_days,
        {{ dbt.datediff('po_date', 'first_payment_date', 'day') }} as po_to_payment_days,
        {{ dbt.datediff('requisition_created_date', 'first_payment_date', 'day') }} as requisition_to_payment_days,
        case
            when first_invoice_date is not null then po_date > first_invoice_date
        end as is_after_the_fact
    from milestones
)

select * from final
