{#- RF03 sole source amended above the threshold (docs/red_flags.md): a contract procured by method
    `direct` with original_value < T and current_value >= T, T = sole_source_max in force on its start_date
    in its state. detected_at = the date of the amendment that took original_value plus the running sum of
    value changes (by amendment_date, amendment_number) to >= T; the latest amendment (or the start date)
    when the amendments do not explain the current value. -#}
with

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

amendments as (
    select * from {{ ref('stg_raw__contract_amendments') }}
),

thresholds as (
    select * from {{ ref('stg_raw__purchase_thresholds') }}
),

candidates as (
    select
        contracts.contract_id,
        contracts.state_code,
        contracts.agency_id,
        contracts.supplier_id,
        contracts.start_date,
        contracts.original_value,
        contracts.current_value,
        thresholds.amount as threshold_amount
    from contracts
    inner join thresholds
        on {{ red_flag_threshold_in_force(
            'thresholds', "'sole_source_max'", 'contracts.state_code', 'contracts.start_date') }}
    where
        contracts.procurement_method = 'direct'
        and contracts.original_value < thresholds.amount
        and contracts.current_value >= thresholds.amount
),

running_values as (
    select
        candidates.contract_id,
        amendments.amendment_date,
        candidates.original_value + sum(amendments.value_change) over (
            partition by candidates.contract_id
            order by
                amendments.amendment_date asc nulls last,
                amendments.amendment_number asc nulls last,
                amendments.amendment_id asc nulls last
            rows between unbounded preceding and current row
        ) as value_after,
        candidates.threshold_amount
    from candidates
    inner join amendments
        on candidates.contract_id = amendments.contract_id
),

crossing_dates as (
    select
        contract_id,
        min(case when value_after >= threshold_amount then amendment_date end) as crossing_date,
        max(amendment_date) as last_amendment_date
    from running_values
    group by contract_id
),

final as (
    select
        {{ red_flag_columns(
            'RF03', 'sole_source_amended_above', 'contract',
            entity_id='candidates.contract_id',
            state_code='candidates.state_code',
            agency_id='candidates.agency_id',
            supplier_id='candidates.supplier_id',
            amount='candidates.current_value',
            detected_at='coalesce(crossing_dates.crossing_date, crossing_dates.last_amendment_date, candidates.start_date)',
            evidence=dbt.concat([
                "'direct award: original value '", red_flag_money_text('candidates.original_value'),
                "' < sole_source_max '", red_flag_money_text('candidates.threshold_amount'),
                "', current value '", red_flag_money_text('candidates.current_value'), "' >= it'"
            ])
        ) }}
    from candidates
    left join crossing_dates
        on candidates.contract_id = crossing_dates.contract_id
)

select * from final
