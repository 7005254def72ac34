{#- KPI 10.2: spend (amount > 0, int_spend_lines: the state's spend basis) whose data is complete enough for
    the KPIs / spend: a commodity code found in commodity_codes (so a category), a supplier record that
    resolves to a supplier, and, when the line cites a contract, a contract found in contracts. Grains: state
    and agency x fiscal year. -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
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
                -- a contract the warehouse does not have makes is_on_contract unknown (NULL)
                and is_on_contract is not null
                then amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        amount as denominator
    from spend
    where
        fiscal_year is not null
        and amount > 0
),

final as (
    {{ kpi_rollup('base', '10.2', 10, method='ratio', grains=['A']) }}
)

select * from final
