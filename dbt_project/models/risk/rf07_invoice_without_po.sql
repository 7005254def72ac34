{#- RF07 invoice without PO (docs/red_flags.md): an invoice with no po_id, amount above the pcard_single
    threshold in force on its invoice_date, and no payment against it carrying a commodity code with
    is_po_exempt = true (no payment, or payments without a known commodity, count as non-exempt). -#}
with

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

thresholds as (
    select * from {{ ref('stg_raw__purchase_thresholds') }}
),

exempt_invoices as (
    select distinct payments.invoice_id
    from payments
    inner join commodity_codes
        on payments.commodity_code = commodity_codes.commodity_code
    where
        payments.invoice_id is not null
        and commodity_codes.is_po_exempt
),

flagged as (
    select
        invoices.invoice_id,
        invoices.state_code,
        invoices.agency_id,
        invoices.supplier_id,
        invoices.invoice_date,
        invoices.amount,
        thresholds.amount as threshold_amount
    from invoices
    inner join thresholds
        on {{ red_flag_threshold_in_force(
            'thresholds', "'pcard_single'", 'invoices.state_code', 'invoices.invoice_date') }}
    left join exempt_invoices
        on invoices.invoice_id = exempt_invoices.invoice_id
    where
        invoices.po_id is null
        and invoices.amount > thresholds.amount
        and exempt_invoices.invoice_id is null
),

final as (
    select
        {{ red_flag_columns(
            'RF07', 'invoice_without_po', 'invoice',
            entity_id='invoice_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='amount',
            detected_at='invoice_date',
            evidence=dbt.concat([
                "'invoice of '", red_flag_money_text('amount'),
                "' with no PO, above the pcard_single threshold '", red_flag_money_text('threshold_amount'),
                "', not in a PO-exempt category'"
            ])
        ) }}
    from flagged
)

select * from final
