{#- KPI 6.2: addressable purchases paid to the 5 largest (resolved) suppliers of the grain / addressable
    purchases of the grain; the top 5 are ranked within each grain (spend desc, supplier_key as the tie-break).
    Grains: state, agency and category x fiscal year. Payments whose supplier record does not resolve are
    left out. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

purchases as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        supplier_key,
        amount
    from payments
    where
        fiscal_year is not null
        and amount > 0
        and is_addressable
        and supplier_key is not null
),

expanded as (
    {{ kpi_grain_expand('purchases', ['A', 'C'], ['supplier_key', 'amount']) }}
),

supplier_spend as (
    select
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        supplier_key,
        sum(amount) as spend
    from expanded
    group by
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        supplier_key
),

ranked as (
    select
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        spend,
        row_number() over (
            partition by state_code, agency_id, category_code, supplier_id, fiscal_year, fiscal_month
            order by spend desc, supplier_key asc nulls last
        ) as spend_rank
    from supplier_spend
),

final as (
    select
        cast('6.2' as {{ dbt.type_string() }}) as kpi_id,
        cast(6 as int) as attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        cast(sum(case when spend_rank <= 5 then spend else 0 end) as decimal(38, 4)) as numerator,
        cast(sum(spend) as decimal(38, 4)) as denominator,
        cast(sum(case when spend_rank <= 5 then spend else 0 end) as {{ type_double() }})
        / nullif(cast(sum(spend) as {{ type_double() }}), 0) as value
    from ranked
    group by
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month
)

select * from final
