{#- receipts: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (receipt_id): the latest load wins. -#}
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

versioned as (
    select
        *,
        row_number() over (
            partition by receipt_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        receipt_id,
        po_id,
        line_number,
        receipt_date,
        promised_date,
        quantity_received,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
