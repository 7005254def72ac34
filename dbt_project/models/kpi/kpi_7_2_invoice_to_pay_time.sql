{#- KPI 7.2 (docs/kpi_rules.md): median days from invoice receipt to its first positive payment, by the
    invoice's state and agency and the first payment's fiscal period. -#}
with

paid_invoices as (
    select * from {{ ref('int_invoices_paid') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        fiscal_month,
        days_to_pay as elapsed_days
    from paid_invoices
    where fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '7.2', 7, method='median') }}
)

select * from final
