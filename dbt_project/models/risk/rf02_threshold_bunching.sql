{#- RF02 threshold bunching (docs/red_flags.md): per agency and fiscal year (the PO state's calendar), POs
    not cancelled and not pcard, with T = small_purchase in force on each PO's date: flagged when the count
    in [0.9 T, T) is >= min_count and that count / the count in [0.5 T, T) is >= min_share.
    amount = the total of the POs in [0.9 T, T); detected_at = the latest of their dates. -#}
with

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

thresholds as (
    select * from {{ ref('stg_raw__purchase_thresholds') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF02', ['min_count', 'min_share'], 'purchase_orders') }}
),

orders as (
    select
        purchase_orders.po_id,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.po_date,
        {{ fiscal_year('purchase_orders.po_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        purchase_orders.total_amount,
        thresholds.amount as threshold_amount,
        coalesce(
            purchase_orders.total_amount >= 0.9 * thresholds.amount
            and purchase_orders.total_amount < thresholds.amount,
            false
        ) as is_just_below,
        coalesce(
            purchase_orders.total_amount >= 0.5 * thresholds.amount
            and purchase_orders.total_amount < thresholds.amount,
            false
        ) as is_in_upper_half
    from purchase_orders
    left join states
        on purchase_orders.state_code = states.state_code
    left join thresholds
        on {{ red_flag_threshold_in_force(
            'thresholds', "'small_purchase'", 'purchase_orders.state_code', 'purchase_orders.po_date') }}
    where
        purchase_orders.status != 'cancelled'
        and purchase_orders.channel != 'pcard'
),

agency_years as (
    select
        state_code,
        agency_id,
        fiscal_year,
        sum(case when is_just_below then 1 else 0 end) as just_below_count,
        sum(case when is_in_upper_half then 1 else 0 end) as upper_half_count,
        sum(case when is_just_below then total_amount else 0 end) as just_below_amount,
        max(case when is_just_below then po_date end) as last_just_below_date,
        min(threshold_amount) as min_threshold_amount,
        max(threshold_amount) as max_threshold_amount
    from orders
    where fiscal_year is not null
    group by
        state_code,
        agency_id,
        fiscal_year
),

flagged as (
    select
        agency_years.*,
        cast(agency_years.just_below_count as {{ type_double() }})
        / nullif(cast(agency_years.upper_half_count as {{ type_double() }}), 0) as just_below_share
    from agency_years
    inner join rule_parameters
        on agency_years.state_code = rule_parameters.state_code
    where
        agency_years.just_below_count >= rule_parameters.min_count
        and cast(agency_years.just_below_count as {{ type_double() }})
        >= rule_parameters.min_share * cast(agency_years.upper_half_count as {{ type_double() }})
),

final as (
    select
        {{ red_flag_columns(
            'RF02', 'threshold_bunching', 'agency_year',
            entity_id=dbt.concat(['agency_id', "':'", 'cast(fiscal_year as ' ~ dbt.type_string() ~ ')']),
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='null',
            amount='just_below_amount',
            detected_at='last_just_below_date',
            evidence=dbt.concat([
                "cast(just_below_count as " ~ dbt.type_string() ~ ")",
                "' POs in [0.9 T, T) of '", "cast(upper_half_count as " ~ dbt.type_string() ~ ")",
                "' in [0.5 T, T) (share '", red_flag_number_text('just_below_share', 2),
                "'), T = small_purchase '", red_flag_money_text('max_threshold_amount'),
                "', FY'", "cast(fiscal_year as " ~ dbt.type_string() ~ ")"
            ])
        ) }}
    from flagged
)

select * from final
