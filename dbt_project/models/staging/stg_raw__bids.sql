{#- bids: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (bid_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'bids') }}
),

cleaned as (
    select
        nullif(trim(bid_id), '') as bid_id,
        nullif(trim(solicitation_id), '') as solicitation_id,
        nullif(trim(supplier_id), '') as supplier_id,
        submitted_date,
        bid_amount,
        is_responsive,
        upper(nullif(trim(currency), '')) as currency,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['bid_id']) }}
)

select * from final
