{#- KPI 1.1 (docs/kpi_rules.md): addressable spend on a known contract and inside its effective term /
    addressable spend. A grain has a row when it has addressable spend (the KPI's population);
    only purchases (amount > 0) count, so the share stays within [0, 1]. A spend line naming a contract the
    warehouse does not have (held back, quarantined, not delivered) is neither on nor off contract: it is
    left out and counted in excluded_rows.
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        is_on_contract,
        case
            when is_on_contract and is_within_contract_term then amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        amount as denominator
    from spend
    where
        fiscal_year is not null
        -- refunds and voids are not purchases: shares are of gross spend (docs/kpi_rules.md)
        and amount > 0
        and is_addressable
),

final as (
    {{ kpi_rollup('base', '1.1', 1, method='ratio', grains=['A', 'C', 'M'], exclude_when='is_on_contract is null') }}
)

select * from final
