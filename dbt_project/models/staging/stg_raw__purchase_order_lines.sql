{#- purchase_order_lines: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (po_id, line_number): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'purchase_order_lines') }}
),

cleaned as (
    select
        nullif(trim(po_id), '') as po_id,
        line_number,
        nullif(trim(item_number), '') as item_number,
        nullif(trim(item_description), '') as item_description,
        nullif(trim(commodity_code), '') as commodity_code,
        quantity,
        nullif(trim(unit_of_measure), '') as unit_of_measure,
        unit_price,
        line_amount,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['po_id', 'line_number']) }}
)

select * from final
