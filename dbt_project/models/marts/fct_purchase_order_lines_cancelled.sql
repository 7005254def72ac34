{#- One row per cancelled purchase-order line (the line's status is cancelled, or its purchase order's:
    cancelled_by says which): the spend that is NOT
    counted anywhere else, shown apart so that nothing disappears. With its PO header's state, agency,
    supplier, date and fiscal period; a line whose header is not in purchase_orders keeps NULLs there. -#}
with

lines as (
    select * from {{ ref('base_raw__purchase_order_lines') }}
),

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

final as (
    select
        lines.po_id,
        lines.line_number,
        purchase_orders.po_number,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        purchase_orders.po_date,
        {{ fiscal_year('purchase_orders.po_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        lines.item_description,
        lines.commodity_code,
        lines.quantity,
        lines.unit_of_measure,
        lines.unit_price,
        lines.line_amount as cancelled_amount,
        lines.cancelled_by
    from lines
    left join purchase_orders
        on lines.po_id = purchase_orders.po_id
    left join states
        on purchase_orders.state_code = states.state_code
    where lines.is_cancelled
)

select * from final
