{#- solicitations: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (solicitation_id): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'solicitations') }}
),

cleaned as (
    select
        nullif(trim(solicitation_id), '') as solicitation_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(title), '') as title,
        nullif(trim(method), '') as method,
        nullif(trim(commodity_code), '') as commodity_code,
        issue_date,
        close_date,
        estimated_value,
        is_emergency,
        is_electronic_submission,
        nullif(trim(status), '') as status,
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
            partition by solicitation_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        solicitation_id,
        state_code,
        agency_id,
        title,
        method,
        commodity_code,
        issue_date,
        close_date,
        estimated_value,
        is_emergency,
        is_electronic_submission,
        status,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
