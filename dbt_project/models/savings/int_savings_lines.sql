{#- One row per savings method x source line: the line-level measurements behind the published `savings`
    model and the savings KPIs. Every row carries the method, the kind of baseline, the basis (hard,
    avoidance or list_price), the stage (projected at award, realised on purchases) and
    baseline_amount - actual_amount = savings_amount (USD, negative = the buyer paid more than the
    baseline), and price_anomaly_rule: 'RF10' when the line's award comes from a solicitation that red flag
    RF10 marks as a bid price anomaly (headline savings leave such lines out and show them apart). Taxes and shipping are not in the data (no tax or freight lines), so nothing is excluded
    for them. Methods (KPI_CATALOGUE.md "Savings: methods and pitfalls"; the yml describes each):
      list_price_discount             cooperative sales-report lines: (list - contract price) x quantity,
                                      credits and returns negative;
      cooperative_vs_noncooperative   PO lines on cooperative contracts: (median non-cooperative unit price
                                      of the same commodity + unit of measure + fiscal year - unit price)
                                      x quantity;
      competitive_bid                 awards: lowest responsive bid of another bidder - award value;
      negotiated_vs_baseline          awards: baseline (prior price x quantity, else the estimate) - award
                                      value (projected);
      realised_in_payments            paid PO lines on an award's contracts: (baseline unit price - paid
                                      unit price) x quantity;
      historical_price                PO lines: (the state's prior-fiscal-year average unit price of the
                                      same item + unit of measure - unit price) x quantity;
      maverick_leakage                off-contract PO lines where a contract price was available:
                                      (contract price - paid unit price) x quantity (mostly negative: the
                                      leakage that nets out of realised savings).
    Intermediate (not published). -#}
{{ config(schema='intermediate') }}

with

coop_sales as (
    select * from {{ ref('fct_coop_sales') }}
),

po_lines as (
    select * from {{ ref('int_savings_po_lines') }}
),

award_baselines as (
    select * from {{ ref('int_savings_award_baselines') }}
),

award_item_prices as (
    select * from {{ ref('int_savings_award_item_prices') }}
),

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

bids as (
    select * from {{ ref('stg_raw__bids') }}
),

bid_price_anomalies as (
    select * from {{ ref('rf10_bid_price_anomaly') }}
),

-- awards whose solicitation red flag RF10 marks as a bid price anomaly: the bids their savings are measured
-- against are themselves suspect, so their savings lines are kept apart from the headline
flagged_awards as (
    select distinct awards.award_id
    from awards
    inner join bid_price_anomalies
        on awards.solicitation_id = bid_price_anomalies.entity_id
),

-- list-price discount ------------------------------------------------------------------------------------

coop_lines as (
    select
        sales_line_id,
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        list_price,
        contract_price,
        -- credits and returns reduce the savings whatever sign the contractor wrote on the quantity
        case
            when order_type in ('credit', 'return') then -abs(quantity)
            else quantity
        end as quantity
    from coop_sales
    -- no list price, no discount to measure; a customer state outside the warehouse has no fiscal year
    where
        list_price is not null
        and fiscal_year is not null
),

list_price_discount as (
    select
        'list_price_discount' as method,
        'list_price' as baseline_kind,
        sales_line_id as source_id,
        cast(null as {{ dbt.type_string() }}) as award_id,
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        quantity,
        cast(list_price * quantity as decimal(38, 4)) as baseline_amount,
        cast(contract_price * quantity as decimal(38, 4)) as actual_amount
    from coop_lines
),

-- PO lines that carry a comparable unit price ------------------------------------------------------------

priced_lines as (
    select
        *,
        {{ dbt.concat(['po_id', "'#'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']) }} as source_id
    from po_lines
    where
        quantity > 0
        and unit_price is not null
        and unit_of_measure is not null
        and fiscal_year is not null
),

-- cooperative vs non-cooperative -------------------------------------------------------------------------

noncoop_medians as (
    select
        commodity_code,
        unit_of_measure,
        fiscal_year,
        percentile_cont(0.5) within group (order by cast(unit_price as {{ type_double() }})) as median_unit_price
    from priced_lines
    where
        not is_cooperative
        and commodity_code is not null
    group by
        commodity_code,
        unit_of_measure,
        fiscal_year
),

cooperative_vs_noncooperative as (
    select
        'cooperative_vs_noncooperative' as method,
        'noncooperative_median' as baseline_kind,
        priced_lines.source_id,
        cast(null as {{ dbt.type_string() }}) as award_id,
        priced_lines.state_code,
        priced_lines.agency_id,
        priced_lines.category_code,
        priced_lines.fiscal_year,
        priced_lines.fiscal_month,
        priced_lines.quantity,
        cast(
            {{ decimal_from_double('noncoop_medians.median_unit_price', 18, 4) }}
            * priced_lines.quantity as decimal(38, 4)
        )
            as baseline_amount,
        cast(priced_lines.unit_price * priced_lines.quantity as decimal(38, 4)) as actual_amount
    from priced_lines
    inner join noncoop_medians
        on
            priced_lines.commodity_code = noncoop_medians.commodity_code
            and priced_lines.unit_of_measure = noncoop_medians.unit_of_measure
            and priced_lines.fiscal_year = noncoop_medians.fiscal_year
    where priced_lines.is_cooperative
),

-- competitive bid ----------------------------------------------------------------------------------------

runner_up_bids as (
    -- the lowest responsive bid from anyone but the winner
    select
        award_baselines.award_id,
        min(bids.bid_amount) as runner_up_amount
    from award_baselines
    inner join awards
        on award_baselines.award_id = awards.award_id
    inner join bids
        on
            award_baselines.solicitation_id = bids.solicitation_id
            and awards.supplier_id != bids.supplier_id
    where bids.is_responsive
    group by award_baselines.award_id
),

competitive_bid as (
    select
        'competitive_bid' as method,
        'runner_up_bid' as baseline_kind,
        award_baselines.award_id as source_id,
        award_baselines.award_id,
        award_baselines.state_code,
        award_baselines.agency_id,
        award_baselines.category_code,
        award_baselines.fiscal_year,
        award_baselines.fiscal_month,
        cast(null as decimal(18, 4)) as quantity,
        cast(runner_up_bids.runner_up_amount as decimal(38, 4)) as baseline_amount,
        cast(award_baselines.award_value as decimal(38, 4)) as actual_amount
    from award_baselines
    inner join runner_up_bids
        on award_baselines.award_id = runner_up_bids.award_id
),

-- negotiated (projected) vs baseline ---------------------------------------------------------------------

negotiated_vs_baseline as (
    select
        'negotiated_vs_baseline' as method,
        baseline_kind,
        award_id as source_id,
        award_id,
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        cast(null as decimal(18, 4)) as quantity,
        cast(baseline_amount as decimal(38, 4)) as baseline_amount,
        cast(award_value as decimal(38, 4)) as actual_amount
    from award_baselines
    where baseline_kind is not null
),

-- realised in payments -----------------------------------------------------------------------------------

realised_in_payments as (
    select
        'realised_in_payments' as method,
        award_baselines.baseline_kind,
        priced_lines.source_id,
        award_baselines.award_id,
        priced_lines.state_code,
        priced_lines.agency_id,
        priced_lines.category_code,
        priced_lines.paid_fiscal_year as fiscal_year,
        priced_lines.paid_fiscal_month as fiscal_month,
        priced_lines.quantity,
        -- the item's own prior price, else the award's price scaled by its baseline / award value
        cast(
            coalesce(
                award_item_prices.prior_price,
                cast(priced_lines.contract_price * award_baselines.baseline_price_ratio as decimal(18, 4))
            ) * priced_lines.quantity
            as decimal(38, 4)
        ) as baseline_amount,
        cast(priced_lines.unit_price * priced_lines.quantity as decimal(38, 4)) as actual_amount
    from priced_lines
    inner join award_baselines
        on priced_lines.award_id = award_baselines.award_id
    left join award_item_prices
        on
            priced_lines.award_id = award_item_prices.award_id
            and priced_lines.item_number = award_item_prices.item_number
            and priced_lines.unit_of_measure = award_item_prices.unit_of_measure
    where
        award_baselines.baseline_kind is not null
        and priced_lines.contract_price is not null
        and priced_lines.paid_fiscal_year is not null
),

-- historical price ---------------------------------------------------------------------------------------

item_year_prices as (
    select
        state_code,
        item_number,
        unit_of_measure,
        fiscal_year,
        cast(sum(unit_price * quantity) as {{ type_double() }}) / nullif(cast(sum(quantity) as {{ type_double() }}), 0)
            as average_unit_price
    from priced_lines
    where item_number is not null
    group by
        state_code,
        item_number,
        unit_of_measure,
        fiscal_year
),

historical_price as (
    select
        'historical_price' as method,
        'prior_year_price' as baseline_kind,
        priced_lines.source_id,
        cast(null as {{ dbt.type_string() }}) as award_id,
        priced_lines.state_code,
        priced_lines.agency_id,
        priced_lines.category_code,
        priced_lines.fiscal_year,
        priced_lines.fiscal_month,
        priced_lines.quantity,
        cast(
            {{ decimal_from_double('prior_year.average_unit_price', 18, 4) }}
            * priced_lines.quantity as decimal(38, 4)
        )
            as baseline_amount,
        cast(priced_lines.unit_price * priced_lines.quantity as decimal(38, 4)) as actual_amount
    from priced_lines
    inner join item_year_prices as prior_year
        on
            priced_lines.state_code = prior_year.state_code
            and priced_lines.item_number = prior_year.item_number
            and priced_lines.unit_of_measure = prior_year.unit_of_measure
            and priced_lines.fiscal_year = prior_year.fiscal_year + 1
),

-- leakage to maverick buying -----------------------------------------------------------------------------

maverick_leakage as (
    select
        'maverick_leakage' as method,
        'available_contract_price' as baseline_kind,
        source_id,
        cast(null as {{ dbt.type_string() }}) as award_id,
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        quantity,
        cast(available_contract_price * quantity as decimal(38, 4)) as baseline_amount,
        cast(unit_price * quantity as decimal(38, 4)) as actual_amount
    from priced_lines
    where
        contract_id is null
        and available_contract_price is not null
),

unioned as (
    select * from list_price_discount
    union all
    select * from cooperative_vs_noncooperative
    union all
    select * from competitive_bid
    union all
    select * from negotiated_vs_baseline
    union all
    select * from realised_in_payments
    union all
    select * from historical_price
    union all
    select * from maverick_leakage
),

flagged_lines as (
    select
        unioned.*,
        flagged_awards.award_id as flagged_award_id
    from unioned
    left join flagged_awards
        on unioned.award_id = flagged_awards.award_id
),

final as (
    select
        cast(method as {{ dbt.type_string() }}) as method,
        cast(baseline_kind as {{ dbt.type_string() }}) as baseline_kind,
        cast(
            case
                when method = 'list_price_discount' then 'list_price'
                -- NIGP counts cooperative-vs-market prices as cost avoidance; an estimate or a losing bid
                -- reduces no budget either
                when method in ('cooperative_vs_noncooperative', 'competitive_bid') then 'avoidance'
                when baseline_kind = 'estimate' then 'avoidance'
                else 'hard'
            end as {{ dbt.type_string() }}
        ) as basis,
        cast(
            case when method in ('negotiated_vs_baseline', 'competitive_bid') then 'projected' else 'realised' end
            as {{ dbt.type_string() }}
        ) as savings_stage,
        cast(source_id as {{ dbt.type_string() }}) as source_id,
        award_id,
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        cast(quantity as decimal(18, 4)) as quantity,
        baseline_amount,
        actual_amount,
        cast(baseline_amount - actual_amount as decimal(38, 4)) as savings_amount,
        cast(case when flagged_award_id is not null then 'RF10' end as {{ dbt.type_string() }})
            as price_anomaly_rule
    from flagged_lines
    where
        fiscal_year is not null
        and state_code is not null
)

select * from final
