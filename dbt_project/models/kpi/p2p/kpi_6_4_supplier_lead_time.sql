{#- KPI 6.4: median days from the PO date to each receipt against it (one item per receipt, i.e. per
    delivery of a PO line). Period: receipt_date in the PO state's calendar; supplier (resolved) is the
    PO's; category: the family of the receipt's PO line's commodity. -#}
with

receipts as (
    select * from {{ ref('stg_raw__receipts') }}
),

purchase_orders as (
    select * from {{ ref('fct_procure_to_pay') }}
),

po_lines as (
    select * from {{ ref('fct_purchase_order_lines') }}
),

states as (
    select * from {{ ref('dim_state') }}
),

base as (
    select
        purchase_orders.state_code,
        po_lines.category_code,
        purchase_orders.supplier_key as supplier_id,
        {{ fiscal_year('receipts.receipt_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('receipts.receipt_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        {{ dbt.datediff('purchase_orders.po_date', 'receipts.receipt_date', 'day') }} as elapsed_days
    from receipts
    inner join purchase_orders
        on receipts.po_id = purchase_orders.po_id
    inner join states
        on purchase_orders.state_code = states.state_code
    left join po_lines
        on
            receipts.po_id = po_lines.po_id
            and receipts.line_number = po_lines.line_number
),

final as (
    {{ kpi_rollup('base', '6.4', 6, method='median', grains=['V', 'C']) }}
)

select * from final
