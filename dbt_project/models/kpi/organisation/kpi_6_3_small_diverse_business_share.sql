{#- KPI 6.3: addressable purchases (amount > 0) paid to a certified small or diverse business / addressable
    purchases. A resolved supplier is small / diverse when any of its records is certified (dim_supplier).
    A supplier whose records say neither (a source without certification data, or a supplier missing from
    suppliers) is unknown: its spend is left out and counted in excluded_rows, never counted as "not small".
    Grains: state, agency and category x fiscal year.
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

suppliers as (
    select * from {{ ref('dim_supplier') }}
),

base as (
    select
        spend.state_code,
        spend.agency_id,
        spend.category_code,
        spend.fiscal_year,
        case
            when suppliers.is_small_business or suppliers.is_diverse_business then spend.amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        -- known: certified either way (true), or neither on both counts (false); else unknown
        (suppliers.is_small_business or suppliers.is_diverse_business) is not null as is_known,
        spend.amount as denominator
    from spend
    left join suppliers
        on spend.supplier_key = suppliers.supplier_key
    where
        spend.fiscal_year is not null
        and spend.amount > 0
        and spend.is_addressable
),

final as (
    {{ kpi_rollup('base', '6.3', 6, method='ratio', grains=['A', 'C'], exclude_when='not is_known') }}
)

select * from final
