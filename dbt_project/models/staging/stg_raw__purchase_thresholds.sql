{#- purchase_thresholds: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (state_code, threshold_type, effective_from): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'purchase_thresholds') }}
),

cleaned as (
    select
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(threshold_type), '') as threshold_type,
        amount,
        effective_from,
        effective_to,
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
            partition by state_code, threshold_type, effective_from
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        state_code,
        threshold_type,
        amount,
        effective_from,
        effective_to,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
