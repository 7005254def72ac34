{#- contract_amendments: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (amendment_id): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'contract_amendments') }}
),

cleaned as (
    select
        nullif(trim(amendment_id), '') as amendment_id,
        nullif(trim(contract_id), '') as contract_id,
        amendment_number,
        amendment_date,
        value_change,
        new_end_date,
        nullif(trim(reason), '') as reason,
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
            partition by amendment_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        amendment_id,
        contract_id,
        amendment_number,
        amendment_date,
        value_change,
        new_end_date,
        reason,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
