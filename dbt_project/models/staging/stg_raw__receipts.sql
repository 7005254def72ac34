{#- receipts: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (receipt_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'receipts') }}
),

cleaned as (
    select
        nullif(trim(receipt_id), '') as receipt_id,
        nullif(trim(po_id), '') as po_id,
        line_number,
        receipt_date,
        promised_date,
        quantity_received,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['receipt_id']) }}
)

select * from final
