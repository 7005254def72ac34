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

final as (
    {{ latest_version('cleaned', ['state_code', 'threshold_type', 'effective_from']) }}
)

select * from final
