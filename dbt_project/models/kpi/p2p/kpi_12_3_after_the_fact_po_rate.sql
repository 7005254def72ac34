{#- KPI 12.3 (docs/kpi_rules.md): purchase orders referenced by at least one invoice whose po_date is after
    the earliest invoice_date of those invoices / purchase orders referenced by an invoice. Period: po_date;
    state and agency are the PO's. -#}
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
        cast(case when is_after_the_fact then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from purchase_orders
    where
        fiscal_year is not null
        and first_invoice_date is not null
),

final as (
    {{ kpi_rollup('base', '12.3', 12, method='ratio', grains=['A', 'M']) }}
)

select * from final
