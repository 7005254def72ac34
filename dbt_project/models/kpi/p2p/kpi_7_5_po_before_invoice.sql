{#- KPI 7.5: invoice amount whose PO (found in purchase_orders) is dated on or before the invoice_date /
    invoice amount, over invoices with amount > 0 that are not PO-exempt (the invoice's commodity, from its
    PO's first line or else its first payment, has is_po_exempt; an unknown commodity is not exempt).
    Period: received_date; state, agency and supplier (resolved) are the invoice's. -#}
with

invoices as (
    select * from {{ ref('fct_invoices') }}
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        fiscal_year,
        fiscal_month,
        case
            when po_date <= invoice_date then amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        amount as denominator
    from invoices
    where
        fiscal_year is not null
        and amount > 0
        and not coalesce(is_po_exempt, false)
),

final as (
    {{ kpi_rollup('base', '7.5', 7, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
