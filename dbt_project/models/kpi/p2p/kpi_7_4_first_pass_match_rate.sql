{#- KPI 7.4 (docs/kpi_rules.md): invoices with a po_id and a match outcome (first_pass, after_exception,
    unmatched) matched first time / those invoices. Period: received_date; state, agency and supplier
    (resolved) are the invoice's. -#}
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
        cast(case when match_status = 'first_pass' then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from invoices
    where
        fiscal_year is not null
        and po_id is not null
        and match_status in ('first_pass', 'after_exception', 'unmatched')
),

final as (
    {{ kpi_rollup('base', '7.4', 7, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
