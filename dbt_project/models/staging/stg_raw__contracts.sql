{#- contracts: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (contract_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

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
        -- the commodity key: UNSPSC as is, another scheme's code prefixed by the scheme (macros/unspsc.sql)
        {{ commodity_key("nullif(trim(commodity_code), '')", "nullif(trim(commodity_scheme), '')") }} as commodity_code,
        nullif(trim(procurement_method), '') as procurement_method,
        signed_date,
        start_date,
        end_date,
        original_value,
        current_value,
        admin_fee_rate,
        upper(nullif(trim(currency), '')) as currency,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['contract_id']) }}
)

select * from final
