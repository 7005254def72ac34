{#- RF10 bid-price anomaly (docs/red_flags.md): for competitive solicitations (open, selective; any
    status) with >= 2 responsive bids, gap = (second-lowest - lowest responsive bid) / lowest (ties ranked
    by bid_id, so two equal lowest bids give a gap of 0). Flagged when the gap lies outside
    [Q1 - k IQR, Q3 + k IQR] of the gaps of the state's such solicitations (percentile_cont, linear
    interpolation). A lowest bid of 0 has no gap and takes no part. supplier = the lowest bidder. -#}
with

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

bids as (
    select * from {{ ref('stg_raw__bids') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF10', ['k'], 'solicitations') }}
),

ranked_bids as (
    select
        bids.solicitation_id,
        bids.supplier_id,
        bids.bid_amount,
        bids.submitted_date,
        row_number() over (
            partition by bids.solicitation_id
            order by bids.bid_amount asc nulls last, bids.bid_id asc nulls last
        ) as price_rank
    from bids
    inner join solicitations
        on bids.solicitation_id = solicitations.solicitation_id
    where
        bids.is_responsive
        and solicitations.method in ('open', 'selective')
),

gaps as (
    select
        solicitations.solicitation_id,
        solicitations.state_code,
        solicitations.agency_id,
        coalesce(solicitations.close_date, max(ranked_bids.submitted_date)) as detected_at,
        max(case when ranked_bids.price_rank = 1 then ranked_bids.supplier_id end) as lowest_supplier_id,
        max(case when ranked_bids.price_rank = 1 then ranked_bids.bid_amount end) as lowest_bid,
        max(case when ranked_bids.price_rank = 2 then ranked_bids.bid_amount end) as second_bid
    from ranked_bids
    inner join solicitations
        on ranked_bids.solicitation_id = solicitations.solicitation_id
    group by
        solicitations.solicitation_id,
        solicitations.state_code,
        solicitations.agency_id,
        solicitations.close_date
    having count(*) >= 2
),

relative_gaps as (
    select
        gaps.*,
        cast(gaps.second_bid - gaps.lowest_bid as {{ type_double() }})
        / nullif(cast(gaps.lowest_bid as {{ type_double() }}), 0) as relative_gap
    from gaps
),

quartiles as (
    select
        state_code,
        percentile_cont(0.25) within group (order by relative_gap) as q1,
        percentile_cont(0.75) within group (order by relative_gap) as q3
    from relative_gaps
    where relative_gap is not null
    group by state_code
),

fences as (
    select
        quartiles.state_code,
        quartiles.q1 - rule_parameters.k * (quartiles.q3 - quartiles.q1) as lower_fence,
        quartiles.q3 + rule_parameters.k * (quartiles.q3 - quartiles.q1) as upper_fence
    from quartiles
    inner join rule_parameters
        on quartiles.state_code = rule_parameters.state_code
),

flagged as (
    select
        relative_gaps.*,
        fences.lower_fence,
        fences.upper_fence
    from relative_gaps
    inner join fences
        on relative_gaps.state_code = fences.state_code
    where
        relative_gaps.relative_gap < fences.lower_fence
        or relative_gaps.relative_gap > fences.upper_fence
),

final as (
    select
        {{ red_flag_columns(
            'RF10', 'bid_price_anomaly', 'solicitation',
            entity_id='solicitation_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='lowest_supplier_id',
            amount='lowest_bid',
            detected_at='detected_at',
            evidence=dbt.concat([
                "'runner-up gap '", red_flag_number_text('relative_gap'),
                "' (lowest '", red_flag_money_text('lowest_bid'), "', second '", red_flag_money_text('second_bid'),
                "') outside the state fences ['", red_flag_number_text('lower_fence'), "', '",
                red_flag_number_text('upper_fence'), "']'"
            ])
        ) }}
    from flagged
)

select * from final
