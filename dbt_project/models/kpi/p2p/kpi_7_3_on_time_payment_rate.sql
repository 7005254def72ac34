{#- KPI 7.3 (docs/kpi_rules.md): paid invoices (a positive payment names them, as in 7.2) whose first
    positive payment is dated on or before due_date / paid invoices. Period: the first positive payment's;
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
        first_payment_fiscal_year as fiscal_year,
        first_payment_fiscal_month as fiscal_month,
        cast(case when is_paid_on_time then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from invoices
    where first_payment_fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '7.3', 7, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
