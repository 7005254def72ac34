{#- Contracts with their effective term (docs/kpi_rules.md): the effective end is the latest of the original
    end_date and every amendment's new_end_date; an amendment that shortens the term does not move the
    end earlier (the rule says "latest of"). -#}
with

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

amendments as (
    select * from {{ ref('stg_raw__contract_amendments') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

amendment_summary as (
    select
        contract_id,
        max(new_end_date) as latest_new_end_date,
        count(*) as amendment_count
    from amendments
    group by contract_id
),

final as (
    select
        contracts.contract_id,
        contracts.contract_number,
        contracts.state_code,
        contracts.agency_id,
        contracts.supplier_id,
        contracts.vehicle,
        contracts.coop_program,
        contracts.master_contract_id,
        contracts.commodity_code,
        -- category only for a known commodity code, as for payments
        commodity_codes.category_code,
        contracts.procurement_method,
        contracts.signed_date,
        contracts.start_date,
        contracts.end_date as original_end_date,
        amendment_summary.latest_new_end_date,
        case
            when amendment_summary.latest_new_end_date > contracts.end_date
                then amendment_summary.latest_new_end_date
            else contracts.end_date
        end as effective_end_date,
        coalesce(amendment_summary.amendment_count, 0) as amendment_count,
        contracts.original_value,
        contracts.current_value
    from contracts
    left join amendment_summary
        on contracts.contract_id = amendment_summary.contract_id
    left join commodity_codes
        on contracts.commodity_code = commodity_codes.commodity_code
)

select * from final
