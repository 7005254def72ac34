{#- purchase_order_lines, every line whatever its status: trimmed strings (empty -> NULL), one row per
    primary key (po_id, line_number): the latest load wins. A line is cancelled when its own status says so,
    or when its purchase order's does (a cancelled PO commits nothing, whatever its lines say): cancelled_by
    tells which. stg_raw__purchase_order_lines reads the lines that are spend (not cancelled);
    marts.fct_purchase_order_lines_cancelled the cancelled ones. A line whose PO is not staged is not
    cancelled by it (its header is unknown: held_back_rows names it). -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'purchase_order_lines') }}
),

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
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
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

latest as (
    {{ latest_version('cleaned', ['po_id', 'line_number']) }}
),

final as (
    select
        latest.*,
        case
            when latest.status = 'cancelled' then 'line'
            when purchase_orders.status = 'cancelled' then 'purchase_order'
        end as cancelled_by,
        coalesce(latest.status = 'cancelled' or purchase_orders.status = 'cancelled', false) as is_cancelled
    from latest
    left join purchase_orders
        on latest.po_id = purchase_orders.po_id
)

select * from final
