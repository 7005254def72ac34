{#- contract_amendments: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (amendment_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'contract_amendments') }}
),

cleaned as (
    select
        nullif(trim(amendment_id), '') as amendment_id,
        nullif(trim(contract_id), '') as contract_id,
        amendment_number,
        amendment_date,
        value_change,
        new_end_date,
        nullif(trim(reason), '') as reason,
        upper(nullif(trim(currency), '')) as currency,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['amendment_id']) }}
)

select * from final
