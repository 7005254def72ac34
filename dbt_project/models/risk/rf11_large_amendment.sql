{#- RF11 large amendment (docs/red_flags.md): (current_value - original_value) / original_value above
    goods_pct, or above works_pct when the contract's commodity is in UNSPSC segment 72 or 95 (works).
    A contract with original_value <= 0 has no growth rate. detected_at = the date of the amendment that took
    the running value past the limit; the latest amendment (or the start date) when the amendments do not
    explain the current value. -#}
with

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

amendments as (
    select * from {{ ref('stg_raw__contract_amendments') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF11', ['goods_pct', 'works_pct'], 'contracts') }}
),

growth as (
    select
        contracts.contract_id,
        contracts.state_code,
        contracts.agency_id,
        contracts.supplier_id,
        contracts.start_date,
        contracts.original_value,
        contracts.current_value,
        coalesce(substr(contracts.commodity_code, 1, 2) in ('72', '95'), false) as is_works,
        -- the limit as an exact decimal: growth is compared as value_change > limit x original_value
        cast(
            case
                when coalesce(substr(contracts.commodity_code, 1, 2) in ('72', '95'), false)
                    then rule_parameters.works_pct
                else rule_parameters.goods_pct
            end as decimal(18, 6)
        ) as limit_pct,
        cast(contracts.current_value - contracts.original_value as {{ type_double() }})
        / nullif(cast(contracts.original_value as {{ type_double() }}), 0) as growth_pct
    from contracts
    inner join rule_parameters
        on contracts.state_code = rule_parameters.state_code
    where contracts.original_value > 0
),

flagged as (
    select *
    from growth
    where current_value - original_value > limit_pct * original_value
),

running_values as (
    select
        flagged.contract_id,
        amendments.amendment_date,
        sum(amendments.value_change) over (
            partition by flagged.contract_id
            order by
                amendments.amendment_date asc nulls last,
                amendments.amendment_number asc nulls last,
                amendments.amendment_id asc nulls last
            rows between unbounded preceding and current row
        ) as change_after,
        flagged.limit_pct * flagged.original_value as limit_amount
    from flagged
    inner join amendments
        on flagged.contract_id = amendments.contract_id
),

crossing_dates as (
    select
        contract_id,
        min(case when change_after > limit_amount then amendment_date end) as crossing_date,
        max(amendment_date) as last_amendment_date
    from running_values
    group by contract_id
),

final as (
    select
        {{ red_flag_columns(
            'RF11', 'large_amendment', 'contract',
            entity_id='flagged.contract_id',
            state_code='flagged.state_code',
            agency_id='flagged.agency_id',
            supplier_id='flagged.supplier_id',
            amount='flagged.current_value - flagged.original_value',
            detected_at='coalesce(crossing_dates.crossing_date, crossing_dates.last_amendment_date, flagged.start_date)',
            evidence=dbt.concat([
                "'value grew '", red_flag_number_text('flagged.growth_pct'), "' ('",
                red_flag_money_text('flagged.original_value'), "' to '", red_flag_money_text('flagged.current_value'),
                "'), limit '", red_flag_number_text('flagged.limit_pct', 2),
                "case when flagged.is_works then ' (works)' else ' (goods and services)' end"
            ])
        ) }}
    from flagged
    left join crossing_dates
        on flagged.contract_id = crossing_dates.contract_id
)

select * from final
