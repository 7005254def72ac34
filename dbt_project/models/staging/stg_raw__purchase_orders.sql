{#- purchase_orders: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (po_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'purchase_orders') }}
),

cleaned as (
    select
        nullif(trim(po_id), '') as po_id,
        nullif(trim(po_number), '') as po_number,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(supplier_id), '') as supplier_id,
        nullif(trim(requisition_id), '') as requisition_id,
        nullif(trim(contract_id), '') as contract_id,
        po_date,
        total_amount,
        nullif(trim(channel), '') as channel,
        nullif(trim(approval_method), '') as approval_method,
        nullif(trim(status), '') as status,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['po_id']) }}
)

select * from final
