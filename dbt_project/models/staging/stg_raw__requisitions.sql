{#- requisitions: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (requisition_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'requisitions') }}
),

cleaned as (
    select
        nullif(trim(requisition_id), '') as requisition_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        -- the commodity key: UNSPSC as is, another scheme's code prefixed by the scheme (macros/unspsc.sql)
        {{ commodity_key("nullif(trim(commodity_code), '')", "nullif(trim(commodity_scheme), '')") }} as commodity_code,
        created_date,
        approved_date,
        estimated_amount,
        nullif(trim(status), '') as status,
        upper(nullif(trim(currency), '')) as currency,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['requisition_id']) }}
)

select * from final
