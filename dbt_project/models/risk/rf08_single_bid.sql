{#- RF08 single bid (docs/red_flags.md): a competitive solicitation (method open or selective), not
    cancelled, with exactly one bid (responsive or not). amount = that bid; supplier = its bidder. -#}
with

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

bids as (
    select * from {{ ref('stg_raw__bids') }}
),

bid_counts as (
    select
        solicitation_id,
        count(*) as bid_count,
        max(supplier_id) as supplier_id,
        max(bid_amount) as bid_amount,
        max(submitted_date) as submitted_date
    from bids
    group by solicitation_id
),

final as (
    select
        {{ red_flag_columns(
            'RF08', 'single_bid', 'solicitation',
            entity_id='solicitations.solicitation_id',
            state_code='solicitations.state_code',
            agency_id='solicitations.agency_id',
            supplier_id='bid_counts.supplier_id',
            amount='bid_counts.bid_amount',
            detected_at='coalesce(solicitations.close_date, bid_counts.submitted_date)',
            evidence=dbt.concat([
                "'one bid ('", red_flag_money_text('bid_counts.bid_amount'), "') on a '",
                'solicitations.method', "' solicitation'"
            ])
        ) }}
    from solicitations
    inner join bid_counts
        on solicitations.solicitation_id = bid_counts.solicitation_id
    where
        solicitations.method in ('open', 'selective')
        and solicitations.status != 'cancelled'
        and bid_counts.bid_count = 1
)

select * from final
