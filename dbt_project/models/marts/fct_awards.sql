{#- One row per award. State, agency, method and category are the solicitation's (docs/kpi_rules.md 4.1,
    12.1); the supplier is the award's, resolved to supplier_key. Periods are fiscal periods of award_date in
    the solicitation state's calendar. The contract is the one that cites the award (contracts.award_id);
    when several do, the first signed (then the lowest contract_id). -#}
with

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

solicitations as (
    select * from {{ ref('fct_solicitations') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

ranked_contracts as (
    select
        award_id,
        contract_id,
        signed_date,
        count(*) over (partition by award_id) as citing_contract_count,
        row_number() over (
            partition by award_id
            order by signed_date asc nulls last, contract_id asc nulls last
        ) as contract_rank
    from contracts
    where award_id is not null
),

award_contracts as (
    select
        award_id,
        contract_id,
        signed_date,
        citing_contract_count
    from ranked_contracts
    where contract_rank = 1
),

final as (
    select
        awards.award_id,
        awards.solicitation_id,
        solicitations.state_code,
        solicitations.agency_id,
        solicitations.method,
        solicitations.is_competitive,
        solicitations.is_emergency,
        solicitations.commodity_code,
        solicitations.category_code,
        awards.supplier_id,
        suppliers.supplier_key,
        awards.status,
        awards.status = 'active' as is_active,
        solicitations.issue_date,
        awards.award_date,
        {{ fiscal_year('awards.award_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('awards.award_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        {{ dbt.datediff('solicitations.issue_date', 'awards.award_date', 'day') }} as solicitation_to_award_days,
        awards.published_date,
        {{ dbt.datediff('awards.award_date', 'awards.published_date', 'day') }} as award_to_publication_days,
        cast(awards.award_value as decimal(18, 2)) as award_value,
        -- the award's currency (never converted; none given = USD)
        coalesce(awards.currency, 'USD') as currency,
        award_contracts.contract_id,
        cast(coalesce(award_contracts.citing_contract_count, 0) as int) as citing_contract_count,
        award_contracts.signed_date as contract_signed_date,
        {{ fiscal_year('award_contracts.signed_date', 'states.fiscal_year_start_month') }} as signed_fiscal_year,
        {{ dbt.datediff('awards.award_date', 'award_contracts.signed_date', 'day') }} as award_to_signature_days
    from awards
    left join solicitations
        on awards.solicitation_id = solicitations.solicitation_id
    left join states
        on solicitations.state_code = states.state_code
    left join suppliers
        on awards.supplier_id = suppliers.supplier_id
    left join award_contracts
        on awards.award_id = award_contracts.award_id
)

select * from final
