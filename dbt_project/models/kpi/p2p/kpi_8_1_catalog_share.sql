{#- KPI 8.1: PO line amount bought through the catalog or punch-out channel / PO line amount, over lines
    with line_amount > 0 of POs that are not cancelled and whose channel is known: a PO whose export does
    not say how it was placed counts neither way (unknown is not "not catalog") and is counted in
    excluded_rows, so a source without channels gives no_data. Period: po_date; category: the line's. -#}
with

po_lines as (
    select * from {{ ref('fct_purchase_order_lines') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        channel,
        case
            when is_catalog_channel then line_amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        line_amount as denominator
    from po_lines
    where
        fiscal_year is not null
        and line_amount > 0
        and po_status != 'cancelled'
),

final as (
    {{ kpi_rollup('base', '8.1', 8, method='ratio', grains=['A', 'C', 'M'], exclude_when='channel is null') }}
)

select * from final
