{#- One row per contract amendment, in the order amendment_number, amendment_date, amendment_id within its
    contract. value_change_pct = value_change / the contract's original_value (the basis of the
    large-amendment thresholds, 10% goods / services, 15% works). term_extension_days = new_end_date - the
    effective end before this amendment (the latest of end_date and earlier amendments' new_end_date);
    negative for an amendment that shortens the term, which the effective end ignores (docs/kpi_rules.md).
    Periods: fiscal periods of amendment_date in the contract state's calendar. -#}
with

amendments as (
    select * from {{ ref('stg_raw__contract_amendments') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

sequenced as (
    select
        amendments.amendment_id,
        amendments.contract_id,
        amendments.amendment_number,
        amendments.amendment_date,
        amendments.value_change,
        amendments.new_end_date,
        amendments.reason,
        -- the amendment's currency (never converted; none given = USD)
        coalesce(amendments.currency, 'USD') as currency,
        max(amendments.new_end_date) over (
            partition by amendments.contract_id
            order by
                amendments.amendment_number asc nulls last,
                amendments.amendment_date asc nulls last,
                amendments.amendment_id asc nulls last
            rows between unbounded preceding and 1 preceding
        ) as prior_latest_new_end_date,
        sum(amendments.value_change) over (
            partition by amendments.contract_id
            order by
                amendments.amendment_number asc nulls last,
                amendments.amendment_date asc nulls last,
                amendments.amendment_id asc nulls last
            rows between unbounded preceding and current row
        ) as cumulative_value_change
    from amendments
),

with_contract as (
    select
        sequenced.amendment_id,
        sequenced.contract_id,
        contracts.state_code,
        contracts.agency_id,
        contracts.supplier_key,
        contracts.vehicle,
        contracts.category_code,
        sequenced.amendment_number,
        sequenced.amendment_date,
        states.fiscal_year_start_month,
        sequenced.reason,
        contracts.original_value,
        sequenced.value_change,
        sequenced.cumulative_value_change,
        sequenced.currency,
        contracts.end_date as original_end_date,
        case
            when sequenced.prior_latest_new_end_date > contracts.end_date
                then sequenced.prior_latest_new_end_date
            else contracts.end_date
        end as prior_effective_end_date,
        sequenced.new_end_date
    from sequenced
    left join contracts
        on sequenced.contract_id = contracts.contract_id
    left join states
        on contracts.state_code = states.state_code
),

final as (
    select
        amendment_id,
        contract_id,
        state_code,
        agency_id,
        supplier_key,
        vehicle,
        category_code,
        cast(amendment_number as int) as amendment_number,
        amendment_date,
        {{ fiscal_year('amendment_date', 'fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('amendment_date', 'fiscal_year_start_month') }} as fiscal_month,
        reason,
        original_value,
        cast(value_change as decimal(18, 2)) as value_change,
        cast(value_change as {{ type_double() }})
        / nullif(cast(original_value as {{ type_double() }}), 0) as value_change_pct,
        cast(cumulative_value_change as decimal(18, 2)) as cumulative_value_change,
        cast(cumulative_value_change as {{ type_double() }})
        / nullif(cast(original_value as {{ type_double() }}), 0) as cumulative_value_change_pct,
        currency,
        original_end_date,
        prior_effective_end_date,
        new_end_date,
        {{ dbt.datediff('prior_effective_end_date', 'new_end_date', 'day') }} as term_extension_days,
        coalesce(new_end_date < prior_effective_end_date, false) as is_term_shortening
    from with_contract
)

select * from final
