{#- payments: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (payment_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'payments') }}
),

cleaned as (
    select
        nullif(trim(payment_id), '') as payment_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(supplier_id), '') as supplier_id,
        nullif(trim(payee_name), '') as payee_name,
        nullif(trim(invoice_id), '') as invoice_id,
        nullif(trim(po_id), '') as po_id,
        nullif(trim(contract_id), '') as contract_id,
        -- the commodity key: UNSPSC as is, another scheme's code prefixed by the scheme (macros/unspsc.sql)
        {{ commodity_key("nullif(trim(commodity_code), '')", "nullif(trim(commodity_scheme), '')") }} as commodity_code,
        payment_date,
        amount,
        nullif(trim(payment_method), '') as payment_method,
        discount_taken,
        interest_paid,
        nullif(trim(bank_account), '') as bank_account,
        upper(nullif(trim(currency), '')) as currency,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['payment_id']) }}
)

select * from final
