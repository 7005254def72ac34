{#- KPI 10.2: purchases (amount > 0) whose data is complete enough for the KPIs / purchases: a commodity code
    found in commodity_codes (so a category), a supplier record that resolves to a supplier, and, when the
    payment cites a contract, a contract found in contracts. Grains: state and agency x fiscal year. -#}
with

payments as (
    select * from {{ ref('int_payments_enriched') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        case
            when
                category_code is not null
                and supplier_key is not null
                and (recorded_contract_id is null or contract_id is not null)
                then amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        amount as denominator
    from payments
    where
        fiscal_year is not null
        and amount > 0
),

final as (
    {{ kpi_rollup('base', '10.2', 10, method='ratio', grains=['A']) }}
)

select * from final
