{#- suppliers: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (supplier_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'suppliers') }}
),

cleaned as (
    select
        nullif(trim(supplier_id), '') as supplier_id,
        nullif(trim(supplier_name), '') as supplier_name,
        nullif(trim(tax_id), '') as tax_id,
        nullif(trim(city), '') as city,
        upper(nullif(trim(supplier_state), '')) as supplier_state,
        nullif(trim(postal_code), '') as postal_code,
        nullif(trim(contact_email), '') as contact_email,
        is_small_business,
        is_diverse_business,
        registration_valid_from,
        registration_valid_to,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['supplier_id']) }}
)

select * from final
