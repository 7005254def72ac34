{#- KPI 7.2 (docs/kpi_rules.md): median days from invoice receipt to its first positive payment, by the
    invoice's state, agency and (resolved) supplier and the first payment's fiscal period. The first positive payment is
    fct_invoices' (one rule, one place). -#}
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
        days_to_pay as elapsed_days
    from invoices
    where
        first_payment_date is not null
        and first_payment_fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '7.2', 7, method='median', grains=['A', 'V', 'M']) }}
)

select * from final
