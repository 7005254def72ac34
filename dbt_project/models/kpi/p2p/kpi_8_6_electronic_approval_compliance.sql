{#- KPI 8.6: POs (not cancelled) at or above the state's small-purchase threshold in force on po_date
    approved electronically / those POs. "Above the threshold" is read as not a small order (KPI 3.2), so
    every PO with a threshold falls in exactly one of the two populations. A PO without an
    approval_method counts as not electronic. Period: po_date. -#}
with

purchase_orders as (
    select * from {{ ref('fct_procure_to_pay') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        fiscal_month,
        cast(case when approval_method = 'electronic' then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from purchase_orders
    where
        fiscal_year is not null
        and po_status != 'cancelled'
        and not is_small_order
),

final as (
    {{ kpi_rollup('base', '8.6', 8, method='ratio', grains=['A', 'M']) }}
)

select * from final
