{#- bids: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (bid_id): the latest load wins. -#}
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
            partition by bid_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        bid_id,
        solicitation_id,
        supplier_id,
        submitted_date,
        bid_amount,
        is_responsive,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
