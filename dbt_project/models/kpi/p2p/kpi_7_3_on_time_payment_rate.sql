{#- KPI 7.3 (docs/kpi_rules.md): paid invoices (a positive payment names them, as in 7.2) paid in full by
    their due date (fct_invoices.is_paid_on_time: payments dated on or before due_date, net of refunds, plus
    the discount taken, reach the invoice amount) / paid invoices. An invoice whose due date or amount the
    export does not give cannot be judged: it is left out and counted in excluded_rows (unknown is not
    late). Period: the first positive payment's; state, agency and supplier (resolved) are the invoice's. -#}
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
        is_paid_on_time,
        cast(case when is_paid_on_time then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from invoices
    where first_payment_fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '7.3', 7, method='ratio', grains=['A', 'V', 'M'], exclude_when='is_paid_on_time is null') }}
)

select * from final
