{#- The spend basis of each state and fiscal year (docs/kpi_rules.md, "Spend basis"): the best record of spend
    the state delivers for that year. paid (payments) where it has any payment, else invoiced (invoices), else
    committed (purchase orders that are not cancelled). The spend KPIs read int_spend_lines, which takes the
    rows of this basis only, and kpi_values says the basis of every spend KPI row. One row per state and fiscal
    year with any spend record. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

purchase_orders as (
    select * from {{ ref('fct_procure_to_pay') }}
),

delivered as (
    select distinct
        state_code,
        fiscal_year,
        3 as basis_rank,
        'paid' as basis
    from payments
    where
        fiscal_year is not null
        and amount > 0
    union all
    select distinct
        state_code,
        fiscal_year,
        2 as basis_rank,
        'invoiced' as basis
    from invoices
    where
        fiscal_year is not null
        and amount > 0
    union all
    select distinct
        state_code,
        fiscal_year,
        1 as basis_rank,
        'committed' as basis
    from purchase_orders
    where
        fiscal_year is not null
        and po_status != 'cancelled'
),

ranked as (
    select
        state_code,
        fiscal_year,
        basis,
        row_number() over (
            partition by state_code, fiscal_year
            order by basis_rank desc
        ) as basis_order
    from delivered
),

final as (
    select
        state_code,
        fiscal_year,
        cast(basis as {{ dbt.type_string() }}) as basis
    from ranked
    where basis_order = 1
)

select * from final
