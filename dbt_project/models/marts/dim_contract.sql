{#- One row per contract (every vehicle). Terms come from int_contracts_effective_terms (the effective end is
    the latest of end_date and every amendment's new_end_date: an amendment that shortens the term is
    ignored, docs/kpi_rules.md). A participating addendum carries its master agreement's number and lead state.

    Successor rule (has_successor, KPIs 2.5 and 11.4): contract S succeeds contract P when
      - S is another contract of the same state_code and the same category (UNSPSC family, not NULL),
      - of the same vehicle class: agency (and then the same agency_id), statewide, or cooperative
        (cooperative_master and participating_addendum together), and neither is the other's master,
      - S starts later than P (S.start_date > P.start_date), and
      - S starts within 180 days of P's effective end, either side:
        P.effective_end - 180 <= S.start_date <= P.effective_end + 180.
    When several contracts qualify, the successor is the one starting first (then the lowest contract_id). -#}
with

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

terms as (
    select * from {{ ref('int_contracts_effective_terms') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

methods as (
    select * from {{ ref('dim_procurement_method') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

contract_terms as (
    select
        contracts.contract_id,
        contracts.contract_number,
        contracts.title,
        contracts.state_code,
        contracts.agency_id,
        contracts.supplier_id,
        suppliers.supplier_key,
        contracts.vehicle,
        case
            when contracts.vehicle in ('cooperative_master', 'participating_addendum') then 'cooperative'
            else contracts.vehicle
        end as vehicle_class,
        contracts.coop_program,
        contracts.master_contract_id,
        contracts.lead_state_code,
        contracts.award_id,
        contracts.procurement_method,
        contracts.commodity_code,
        terms.category_code,
        contracts.signed_date,
        contracts.start_date,
        contracts.end_date,
        terms.effective_end_date,
        terms.amendment_count,
        contracts.original_value,
        contracts.current_value,
        -- the contract's currency (never converted; none given = USD)
        coalesce(contracts.currency, 'USD') as currency,
        contracts.admin_fee_rate
    from contracts
    inner join terms
        on contracts.contract_id = terms.contract_id
    left join suppliers
        on contracts.supplier_id = suppliers.supplier_id
),

successor_candidates as (
    select
        predecessor.contract_id,
        successor.contract_id as successor_contract_id,
        successor.start_date as successor_start_date,
        successor.signed_date as successor_signed_date,
        row_number() over (
            partition by predecessor.contract_id
            order by successor.start_date asc nulls last, successor.contract_id asc nulls last
        ) as successor_rank
    from contract_terms as predecessor
    inner join contract_terms as successor
        on
            predecessor.state_code = successor.state_code
            and predecessor.category_code = successor.category_code
            and predecessor.vehicle_class = successor.vehicle_class
            and predecessor.contract_id != successor.contract_id
            and predecessor.start_date < successor.start_date
            and successor.start_date
            >= cast({{ dbt.dateadd('day', -180, 'predecessor.effective_end_date') }} as date)
            and successor.start_date
            <= cast({{ dbt.dateadd('day', 180, 'predecessor.effective_end_date') }} as date)
    where
        (predecessor.vehicle_class != 'agency' or predecessor.agency_id = successor.agency_id)
        and coalesce(successor.master_contract_id, '') != predecessor.contract_id
        and coalesce(predecessor.master_contract_id, '') != successor.contract_id
),

successors as (
    select
        contract_id,
        successor_contract_id,
        successor_start_date,
        successor_signed_date
    from successor_candidates
    where successor_rank = 1
),

final as (
    select
        contract_terms.contract_id,
        contract_terms.contract_number,
        contract_terms.title,
        contract_terms.state_code,
        contract_terms.agency_id,
        contract_terms.supplier_id,
        contract_terms.supplier_key,
        contract_terms.vehicle,
        contract_terms.vehicle_class,
        contract_terms.vehicle in ('cooperative_master', 'participating_addendum') as is_cooperative,
        contract_terms.coop_program,
        contract_terms.master_contract_id,
        masters.contract_number as master_contract_number,
        coalesce(masters.lead_state_code, masters.state_code) as master_lead_state_code,
        contract_terms.lead_state_code,
        contract_terms.award_id,
        contract_terms.procurement_method,
        methods.is_competitive,
        contract_terms.commodity_code,
        contract_terms.category_code,
        contract_terms.signed_date,
        contract_terms.start_date,
        contract_terms.end_date,
        contract_terms.effective_end_date,
        {{ fiscal_year('contract_terms.start_date', 'states.fiscal_year_start_month') }} as start_fiscal_year,
        {{ fiscal_year('contract_terms.effective_end_date', 'states.fiscal_year_start_month') }}
            as effective_end_fiscal_year,
        cast(contract_terms.amendment_count as int) as amendment_count,
        cast(contract_terms.original_value as decimal(18, 2)) as original_value,
        cast(contract_terms.current_value as decimal(18, 2)) as current_value,
        cast(contract_terms.current_value - contract_terms.original_value as decimal(18, 2)) as value_growth,
        cast(contract_terms.current_value - contract_terms.original_value as {{ type_double() }})
        / nullif(cast(contract_terms.original_value as {{ type_double() }}), 0) as value_growth_pct,
        contract_terms.currency,
        contract_terms.admin_fee_rate,
        successors.successor_contract_id is not null as has_successor,
        successors.successor_contract_id,
        successors.successor_start_date,
        successors.successor_signed_date,
        {{ dbt.datediff('contract_terms.effective_end_date', 'successors.successor_start_date', 'day') }}
            as renewal_lead_days
    from contract_terms
    left join contract_terms as masters
        on contract_terms.master_contract_id = masters.contract_id
    left join methods
        on contract_terms.procurement_method = methods.procurement_method
    left join states
        on contract_terms.state_code = states.state_code
    left join successors
        on contract_terms.contract_id = successors.contract_id
)

select * from final
