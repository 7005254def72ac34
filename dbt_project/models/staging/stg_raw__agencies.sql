{#- agencies: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (agency_id): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'agencies') }}
),

cleaned as (
    select
        nullif(trim(agency_id), '') as agency_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_name), '') as agency_name,
        nullif(trim(agency_type), '') as agency_type,
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
            partition by agency_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        agency_id,
        state_code,
        agency_name,
        agency_type,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
