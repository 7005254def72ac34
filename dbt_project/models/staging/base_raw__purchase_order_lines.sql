{#- purchase_order_lines, every line whatever its status: trimmed strings (empty -> NULL), one row per
    primary key (po_id, line_number): the latest load wins. stg_raw__purchase_order_lines reads the lines that
    are spend (not cancelled); marts.fct_purchase_order_lines_cancelled the cancelled ones. -#}
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
        -- the commodity key: UNSPSC as is, another scheme's code prefixed by the scheme (macros/unspsc.sql)
        {{ commodity_key("nullif(trim(commodity_code), '')", "nullif(trim(commodity_scheme), '')") }} as commodity_code,
        quantity,
        nullif(trim(unit_of_measure), '') as unit_of_measure,
        unit_price,
        line_amount,
        lower(nullif(trim(status), '')) as status,
        coalesce(lower(trim(status)) = 'cancelled', false) as is_cancelled,
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
