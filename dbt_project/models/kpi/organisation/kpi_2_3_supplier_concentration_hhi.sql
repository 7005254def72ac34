{#- KPI 2.3: Herfindahl-Hirschman index of addressable purchases over (resolved) suppliers:
    sum over suppliers of (100 x supplier share)^2, 0..10000 (above 1800 = highly concentrated). Written as
    numerator = 10000 x sum(supplier spend^2), denominator = (sum of spend)^2, so value = numerator /
    denominator; each grain is computed on its own (shares do not add up). Grains: state and category x
    fiscal year. Payments whose supplier record does not resolve are left out. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

purchases as (
    select
        state_code,
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
    {{ kpi_grain_expand('purchases', ['C'], ['supplier_key', 'amount']) }}
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
        cast(sum(amount) as decimal(38, 2)) as spend
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

concentration as (
    select
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        -- exact DECIMAL: a sum of doubles depends on the order of a parallel aggregation, and the published
        -- numerator must be the same on every run
        sum(cast(spend * spend as decimal(38, 4))) as spend_squares,
        sum(spend) as spend
    from supplier_spend
    group by
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month
),

final as (
    select
        cast('2.3' as {{ dbt.type_string() }}) as kpi_id,
        cast(2 as int) as attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        cast(10000 * spend_squares as decimal(38, 4)) as numerator,
        cast(spend * spend as decimal(38, 4)) as denominator,
        cast(10000 * spend_squares as {{ type_double() }})
        / nullif(cast(spend * spend as {{ type_double() }}), 0) as value
    from concentration
)

select * from final
