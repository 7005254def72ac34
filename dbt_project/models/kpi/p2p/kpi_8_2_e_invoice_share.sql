{#- KPI 8.2 (docs/kpi_rules.md): invoices received electronically / invoices. Period: received_date;
    state, agency and supplier (resolved) are the invoice's. -#}
with

invoices as (
    select * from {{ ref('fct_invoices') }}
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        fiscal_year,
        fiscal_month,
        cast(case when is_electronic then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from invoices
    where fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '8.2', 8, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
