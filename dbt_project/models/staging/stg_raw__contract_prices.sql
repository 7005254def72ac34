{#- contract_prices: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (contract_id, item_number, effective_from): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'contract_prices') }}
),

cleaned as (
    select
        nullif(trim(contract_id), '') as contract_id,
        nullif(trim(item_number), '') as item_number,
        nullif(trim(item_description), '') as item_description,
        -- the commodity key: UNSPSC as is, another scheme's code prefixed by the scheme (macros/unspsc.sql)
        {{ commodity_key("nullif(trim(commodity_code), '')", "nullif(trim(commodity_scheme), '')") }} as commodity_code,
        nullif(trim(unit_of_measure), '') as unit_of_measure,
        contract_price,
        list_price,
        effective_from,
        effective_to,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['contract_id', 'item_number', 'effective_from']) }}
)

select * from final
