{#- KPI 3.2 (docs/kpi_rules.md): purchase orders (not cancelled) whose total is below the state's
    small-purchase threshold in force on po_date / purchase orders. Period: po_date; category: the
    family of the commodity of the PO's lowest-numbered line. A PO with no threshold in force on its date
    cannot be judged small or not: it is left out and counted in excluded_rows, so a state that gives no
    thresholds reads no_data, never a small-order rate of 0. -#}
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
        is_small_order,
        cast(case when is_small_order then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from purchase_orders
    where
        fiscal_year is not null
        and po_status != 'cancelled'
),

final as (
    {{ kpi_rollup('base', '3.2', 3, method='ratio', grains=['A', 'C', 'M'], exclude_when='is_small_order is null') }}
)

select * from final
