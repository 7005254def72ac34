{#- contracts: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (contract_id): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'contracts') }}
),

cleaned as (
    select
        nullif(trim(contract_id), '') as contract_id,
        nullif(trim(contract_number), '') as contract_number,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(supplier_id), '') as supplier_id,
        nullif(trim(title), '') as title,
        nullif(trim(vehicle), '') as vehicle,
        nullif(trim(coop_program), '') as coop_program,
        nullif(trim(master_contract_id), '') as master_contract_id,
        upper(nullif(trim(lead_state_code), '')) as lead_state_code,
        nullif(trim(award_id), '') as award_id,
        nullif(trim(commodity_code), '') as commodity_code,
        nullif(trim(procurement_method), '') as procurement_method,
        signed_date,
        start_date,
        end_date,
        original_value,
        current_value,
        admin_fee_rate,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by contract_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        contract_id,
        contract_number,
        state_code,
        agency_id,
        supplier_id,
        title,
        vehicle,
        coop_program,
        master_contract_id,
        lead_state_code,
        award_id,
        commodity_code,
        procurement_method,
        signed_date,
        start_date,
        end_date,
        original_value,
        current_value,
        admin_fee_rate,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
