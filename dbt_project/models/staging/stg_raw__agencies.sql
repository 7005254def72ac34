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

final as (
    {{ latest_version('cleaned', ['agency_id']) }}
)

select * from final
