{#- KPI 5.5: sum over PO lines on contract items of (unit price - contract price) x quantity where the
    unit price is above the contract price / sum of line_amount of the lines on contract items. The unit
    price is the PO line's (payments carry no unit prices). Cancelled POs are left out. -#}
with

po_lines as (
    select * from {{ ref('fct_purchase_order_lines') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        supplier_key as supplier_id,
        fiscal_year,
        fiscal_month,
        overpayment_amount as numerator,
        line_amount as denominator
    from po_lines
    where
        fiscal_year is not null
        and has_contract_price
        and po_status != 'cancelled'
),

final as (
    {{ kpi_rollup('base', '5.5', 5, method='ratio', grains=['A', 'V', 'C']) }}
)

select * from final
