{#- Savings by method (published, kpi.savings). Every row names its method, so a savings figure is never
    shown without how it was measured (KPI_CATALOGUE.md rules); negotiated (projected, at award) and
    realised (on purchases) savings are separate methods, never summed together. Grain: one row per
    method x baseline_kind x state_code x agency_id x category_code x fiscal_year, where a NULL grain
    column means "all": state x FY, state x agency x FY, state x category x FY, and the same three over all
    fiscal years (fiscal_year NULL). Rows whose agency or category is unknown count only in the coarser
    grains. Sums are DECIMAL from the line-level int_savings_lines. baseline, actual, savings and lines_count
    are the headline: they leave out lines whose award's solicitation is flagged as a bid price anomaly
    (RF10), whose savings are in flagged_savings_amount and flagged_lines_count instead. -#}
with

lines as (
    select * from {{ ref('int_savings_lines') }}
),

-- one copy of each line per grain, the columns that grain does not split by set to NULL ("all")
{%- set grain_sets = [
    {'refine': none, 'by_year': true},
    {'refine': 'agency_id', 'by_year': true},
    {'refine': 'category_code', 'by_year': true},
    {'refine': none, 'by_year': false},
    {'refine': 'agency_id', 'by_year': false},
    {'refine': 'category_code', 'by_year': false},
] %}
{%- set null_string = 'cast(null as ' ~ dbt.type_string() ~ ')' %}
expanded as (
    {%- for grain in grain_sets %}
        select
            method,
            baseline_kind,
            basis,
            savings_stage,
            state_code,
            {{ 'agency_id' if grain.refine == 'agency_id' else null_string }} as grain_agency_id,
            {{ 'category_code' if grain.refine == 'category_code' else null_string }} as grain_category_code,
            {{ 'fiscal_year' if grain.by_year else 'cast(null as int)' }} as grain_fiscal_year,
            baseline_amount,
            actual_amount,
            savings_amount,
            price_anomaly_rule
        from lines
        {%- if grain.refine %}
            where {{ grain.refine }} is not null
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

rolled_up as (
    select
        method,
        baseline_kind,
        basis,
        savings_stage,
        state_code,
        grain_agency_id as agency_id,
        grain_category_code as category_code,
        grain_fiscal_year as fiscal_year,
        -- the headline: lines whose transaction is not flagged as a price anomaly
        cast(coalesce(sum(case when price_anomaly_rule is null then baseline_amount end), 0) as decimal(38, 4))
            as baseline_amount,
        cast(coalesce(sum(case when price_anomaly_rule is null then actual_amount end), 0) as decimal(38, 4))
            as actual_amount,
        cast(coalesce(sum(case when price_anomaly_rule is null then savings_amount end), 0) as decimal(38, 4))
            as savings_amount,
        count(case when price_anomaly_rule is null then 1 end) as lines_count,
        -- shown apart: the savings of lines flagged as a price anomaly (red flag RF10 on the award's
        -- solicitation), which a single outlier bid can make larger than all the rest
        cast(coalesce(sum(case when price_anomaly_rule is not null then savings_amount end), 0) as decimal(38, 4))
            as flagged_savings_amount,
        count(case when price_anomaly_rule is not null then 1 end) as flagged_lines_count
    from expanded
    group by
        method,
        baseline_kind,
        basis,
        savings_stage,
        state_code,
        grain_agency_id,
        grain_category_code,
        grain_fiscal_year
),

final as (
    select
        method,
        cast(
            case method
                when 'list_price_discount' then 'List-price discount (cooperative sales reports)'
                when 'cooperative_vs_noncooperative' then 'Cooperative vs non-cooperative prices'
                when 'competitive_bid' then 'Competitive bid (runner-up bid - award)'
                when 'negotiated_vs_baseline' then 'Negotiated vs baseline (projected at award)'
                when 'realised_in_payments' then 'Realised in payments (baseline - paid price)'
                when 'historical_price' then 'Historical price (prior fiscal year)'
                when 'maverick_leakage' then 'Leakage to off-contract buying'
            end as {{ dbt.type_string() }}
        ) as method_label,
        baseline_kind,
        basis,
        savings_stage,
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        baseline_amount,
        actual_amount,
        savings_amount,
        cast(savings_amount as {{ type_double() }})
        / nullif(cast(baseline_amount as {{ type_double() }}), 0) as savings_rate,
        cast(lines_count as bigint) as lines_count,
        flagged_savings_amount,
        cast(flagged_lines_count as bigint) as flagged_lines_count
    from rolled_up
)

select * from final
