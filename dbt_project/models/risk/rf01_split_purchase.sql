{#- RF01 split purchase (docs/red_flags.md): POs of the same agency, supplier, category (of the PO's
    lowest-numbered line) and channel class (pcard vs other), not cancelled. For each PO p, G(p) = those
    dated in [p.po_date, p.po_date + W]; when G(p) has >= 2 POs, each below T and summing to >= T, every
    PO of G(p) is flagged. Pcard: T = pcard_single, W = 0 (same day); other: T = small_purchase,
    W = window_days. T is the threshold in force on p.po_date in the PO's state. A PO whose lowest-numbered
    line has no known commodity code has no category and is never grouped (docs/kpi_rules.md: category is
    NULL for a code not in commodity_codes). A release against a competitively awarded contract (the PO
    cites a contract whose procurement_method is competitive: open or selective) is not a split purchase:
    the competition happened when the contract was awarded, and repeated small releases are how such a
    contract is used; those POs are never grouped. A PO citing a contract of unknown or non-competitive
    method still is. A PO in several qualifying groups is reported once, with the group of the earliest
    anchor (po_date, po_id). -#}
with

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

purchase_order_lines as (
    select * from {{ ref('stg_raw__purchase_order_lines') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

thresholds as (
    select * from {{ ref('stg_raw__purchase_thresholds') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

procurement_methods as (
    select * from {{ ref('dim_procurement_method') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF01', ['window_days'], 'purchase_orders') }}
),

ranked_lines as (
    select
        po_id,
        commodity_code,
        row_number() over (
            partition by po_id
            order by line_number asc nulls last
        ) as line_rank
    from purchase_order_lines
),

orders as (
    select
        purchase_orders.po_id,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        purchase_orders.po_date,
        purchase_orders.total_amount,
        commodity_codes.category_code,
        case when purchase_orders.channel = 'pcard' then 'pcard' else 'other' end as channel_class,
        case
            when purchase_orders.channel = 'pcard' then 0
            else cast(rule_parameters.window_days as int)
        end as window_days,
        thresholds.amount as threshold_amount
    from purchase_orders
    left join ranked_lines
        on
            purchase_orders.po_id = ranked_lines.po_id
            and ranked_lines.line_rank = 1
    left join commodity_codes
        on ranked_lines.commodity_code = commodity_codes.commodity_code
    left join rule_parameters
        on purchase_orders.state_code = rule_parameters.state_code
    left join contracts
        on purchase_orders.contract_id = contracts.contract_id
    left join procurement_methods
        on contracts.procurement_method = procurement_methods.procurement_method
    left join thresholds
        on {{ red_flag_threshold_in_force(
            'thresholds',
            "case when purchase_orders.channel = 'pcard' then 'pcard_single' else 'small_purchase' end",
            'purchase_orders.state_code',
            'purchase_orders.po_date') }}
    where
        purchase_orders.status != 'cancelled'
        -- releases against a competitively awarded contract
        and not coalesce(procurement_methods.is_competitive, false)
),

-- Members of G(p) lie 0..W days after p, W <= max_window, so when days are cut into buckets of
-- max_window + 1 days a member sits in p's bucket or the next one: two equi-joins on the bucket (each pair
-- found once, a member has one bucket) instead of one join whose only equality is agency x supplier x
-- category x channel class, which paired every two POs of that group across all years.
bucket_widths as (
    select case when max(window_days) > 0 then max(window_days) + 1 else 1 end as bucket_days
    from orders
),

bucketed_orders as (
    select
        orders.*,
        cast(
            floor(
                cast({{ dbt.datediff("cast('1970-01-01' as date)", 'orders.po_date', 'day') }} as {{ type_double() }})
                / cast(bucket_widths.bucket_days as {{ type_double() }})
            )
            as bigint
        ) as date_bucket
    from orders
    cross join bucket_widths
),

group_members as (
    {#- a member lies in the anchor's date bucket or the next one (a bucket is wider than any window) -#}
    {%- for bucket_offset in [0, 1] %}
        {% if not loop.first %}union all{% endif %}
        select
            anchor.po_id as anchor_po_id,
            anchor.po_date as anchor_date,
            anchor.channel_class,
            anchor.window_days,
            anchor.threshold_amount,
            member.po_id as member_po_id,
            member.po_date as member_date,
            member.total_amount as member_amount
        from bucketed_orders as anchor
        inner join bucketed_orders as member
            on
                anchor.agency_id = member.agency_id
                and anchor.supplier_id = member.supplier_id
                and anchor.category_code = member.category_code
                and anchor.channel_class = member.channel_class
                and anchor.date_bucket + {{ bucket_offset }} = member.date_bucket
        where
            anchor.po_date <= member.po_date
            and {{ dbt.datediff('anchor.po_date', 'member.po_date', 'day') }} <= anchor.window_days
    {%- endfor %}
),

qualifying_groups as (
    select
        anchor_po_id,
        anchor_date,
        channel_class,
        window_days,
        threshold_amount,
        count(*) as po_count,
        sum(member_amount) as group_amount,
        max(member_date) as last_date
    from group_members
    group by
        anchor_po_id,
        anchor_date,
        channel_class,
        window_days,
        threshold_amount
    having
        count(*) >= 2
        and max(member_amount) < threshold_amount
        and sum(member_amount) >= threshold_amount
),

flagged_members as (
    select
        group_members.member_po_id as po_id,
        qualifying_groups.anchor_po_id,
        qualifying_groups.anchor_date,
        qualifying_groups.channel_class,
        qualifying_groups.window_days,
        qualifying_groups.threshold_amount,
        qualifying_groups.po_count,
        qualifying_groups.group_amount,
        qualifying_groups.last_date,
        row_number() over (
            partition by group_members.member_po_id
            order by
                qualifying_groups.anchor_date asc nulls last,
                qualifying_groups.anchor_po_id asc nulls last
        ) as group_rank
    from qualifying_groups
    inner join group_members
        on qualifying_groups.anchor_po_id = group_members.anchor_po_id
),

final as (
    select
        {{ red_flag_columns(
            'RF01', 'split_purchase', 'purchase_order',
            entity_id='orders.po_id',
            state_code='orders.state_code',
            agency_id='orders.agency_id',
            supplier_id='orders.supplier_id',
            amount='flagged_members.group_amount',
            detected_at='flagged_members.last_date',
            evidence=dbt.concat([
                "cast(flagged_members.po_count as " ~ dbt.type_string() ~ ")",
                "' ' ", "flagged_members.channel_class",
                "' POs of one agency, supplier and category from '",
                red_flag_date_text('flagged_members.anchor_date'), "' to '",
                red_flag_date_text('flagged_members.last_date'),
                "' (window '", "cast(flagged_members.window_days as " ~ dbt.type_string() ~ ")",
                "' days), each below T = '", red_flag_money_text('flagged_members.threshold_amount'),
                "', sum '", red_flag_money_text('flagged_members.group_amount'), "' >= T'"
            ])
        ) }}
    from flagged_members
    inner join orders
        on flagged_members.po_id = orders.po_id
    where flagged_members.group_rank = 1
)

select * from final
