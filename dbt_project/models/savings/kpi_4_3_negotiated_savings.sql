{#- KPI 4.3 Negotiated savings (KPI_CATALOGUE.md): sum(baseline - award value) / sum(baseline) over active
    awards that have a baseline (int_savings_award_baselines: the prior price x quantity where the items
    had a prior contract price, else the solicitation's estimated value, the weaker baseline; the savings
    model shows the two apart in baseline_kind). Period: award_date; state, agency, category: the
    solicitation's. Grains A, C. -#}
with

savings_lines as (
    select * from {{ ref('int_savings_lines') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        price_anomaly_rule,
        savings_amount as numerator,
        baseline_amount as denominator
    from savings_lines
    where method = 'negotiated_vs_baseline'
),

final as (
    {{ kpi_rollup('base', '4.3', 4, method='ratio', grains=['A', 'C'], exclude_when='price_anomaly_rule is not null') }}
)

select * from final
