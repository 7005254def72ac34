{#- KPI 6.1 (docs/kpi_rules.md): receipts with a promised_date received on or before it / receipts with a
    promised_date. Period: receipt_date in the PO state's calendar; state, agency and supplier (resolved)
    are the PO's; category: the family of the receipt's PO line's commodity. Receipts of a PO that is not
    in purchase_orders have no state and are left out. Written at the agency grain too (the catalogue says
    V, C) so that it can be checked at state x agency x FY like the other ground-truth KPIs. -#}
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
        purchase_orders.agency_id,
        po_lines.category_code,
        purchase_orders.supplier_key as supplier_id,
        {{ fiscal_year('receipts.receipt_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('receipts.receipt_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        cast(case when receipts.receipt_date <= receipts.promised_date then 1 else 0 end as decimal(18, 0))
            as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from receipts
    inner join purchase_orders
        on receipts.po_id = purchase_orders.po_id
    inner join states
        on purchase_orders.state_code = states.state_code
    left join po_lines
        on
            receipts.po_id = po_lines.po_id
            and receipts.line_number = po_lines.line_number
    where receipts.promised_date is not null
),

final as (
    {{ kpi_rollup('base', '6.1', 6, method='ratio', grains=['A', 'V', 'C']) }}
)

select * from final
