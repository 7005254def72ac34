{#- KPI 5.4: PO lines on contract items (a contract price is in effect for the item + unit of measure on
    po_date, fct_purchase_order_lines) whose unit price is at or below that contract price / those lines.
    Cancelled POs are left out. Period: po_date; category: the line's; supplier: the PO's, resolved. -#}
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
        cast(case when is_at_or_below_contract_price then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from po_lines
    where
        fiscal_year is not null
        and has_contract_price
        and po_status != 'cancelled'
),

final as (
    {{ kpi_rollup('base', '5.4', 5, method='ratio', grains=['A', 'V', 'C']) }}
)

select * from final
