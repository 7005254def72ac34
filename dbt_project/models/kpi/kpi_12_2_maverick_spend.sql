{#- KPI 12.2 (docs/kpi_rules.md): spend with no (known) contract in a covered category / spend in covered
    categories; covered = a statewide or participating-addendum contract of the buying state in the
    same UNSPSC family was in its effective term on the spend date. A spend line naming a contract the
    warehouse does not have is not maverick spend for want of data: it is left out and counted in
    excluded_rows.
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
            when not is_on_contract then amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        amount as denominator
    from spend
    where
        fiscal_year is not null
        -- refunds and voids are not purchases: shares are of gross spend (docs/kpi_rules.md)
        and amount > 0
        and is_in_covered_category
),

final as (
    {{ kpi_rollup('base', '12.2', 12, method='ratio', grains=['A', 'C', 'M'], exclude_when='is_on_contract is null') }}
)

select * from final
