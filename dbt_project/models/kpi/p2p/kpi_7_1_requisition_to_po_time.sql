{#- KPI 7.1: median days from requisition approval to the PO date, one item per PO (not cancelled) whose
    requisition has an approved_date. In days: the data carries dates, not times (the catalogue's APQC
    benchmark is in hours). Period: po_date; category: the PO's (its lowest-numbered line's family). -#}
with

purchase_orders as (
    select * from {{ ref('fct_procure_to_pay') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        requisition_to_po_days as elapsed_days
    from purchase_orders
    where
        fiscal_year is not null
        and requisition_to_po_days is not null
        and po_status != 'cancelled'
),

final as (
    {{ kpi_rollup('base', '7.1', 7, method='median', grains=['A', 'C', 'M']) }}
)

select * from final
