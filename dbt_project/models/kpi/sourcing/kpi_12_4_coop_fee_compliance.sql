{#- KPI 12.4: Σ admin_fee reported / (fee rate x Σ reported sales less credits), per master agreement and
    reporting quarter (calendar quarter of invoice_date), summed up to the grains. Only master agreements
    with a fee rate (admin_fee_rate > 0). Sales less credits = Σ total of every line: credits and returns are
    negative and reduce the base (their fees are negative too). A line of a fee programme with no fee
    reported counts as 0 fee. State = the customer's state; fiscal year = of invoice_date in that state's
    calendar (a calendar quarter that straddles a fiscal-year start splits by invoice date); supplier = the
    reporting contractor's supplier_key. -#}
with

sales as (
    select * from {{ ref('fct_coop_sales') }}
),

master_quarters as (
    select
        master_contract_id,
        quarter_start_date,
        state_code,
        supplier_key,
        fiscal_year,
        admin_fee_rate,
        sum(coalesce(admin_fee, cast(0 as decimal(18, 2)))) as fee_reported,
        sum(total) as sales_less_credits
    from sales
    where
        admin_fee_rate > 0
        and fiscal_year is not null
    group by 1, 2, 3, 4, 5, 6
),

base as (
    select
        state_code,
        supplier_key as supplier_id,
        fiscal_year,
        fee_reported as numerator,
        cast(admin_fee_rate * sales_less_credits as decimal(38, 6)) as denominator
    from master_quarters
),

rolled as (
    {{ kpi_rollup('base', '12.4', 12, method='ratio', grains=['V']) }}
),

-- where credits and returns outweigh sales, the fee base is not positive and the ratio means nothing:
-- such a cell is left out (the state-year then reports no_data with the reason in kpi_definitions)
final as (
    select * from rolled
    where denominator > 0
)

select * from final
