{#- invoices: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (invoice_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'invoices') }}
),

cleaned as (
    select
        nullif(trim(invoice_id), '') as invoice_id,
        nullif(trim(invoice_number), '') as invoice_number,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(supplier_id), '') as supplier_id,
        nullif(trim(po_id), '') as po_id,
        invoice_date,
        received_date,
        due_date,
        amount,
        nullif(trim(payment_terms), '') as payment_terms,
        discount_offered,
        is_electronic,
        nullif(trim(match_status), '') as match_status,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['invoice_id']) }}
)

select * from final
