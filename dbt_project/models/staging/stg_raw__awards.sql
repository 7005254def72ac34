{#- awards: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (award_id): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'awards') }}
),

cleaned as (
    select
        nullif(trim(award_id), '') as award_id,
        nullif(trim(solicitation_id), '') as solicitation_id,
        nullif(trim(supplier_id), '') as supplier_id,
        award_date,
        published_date,
        award_value,
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
            partition by award_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        award_id,
        solicitation_id,
        supplier_id,
        award_date,
        published_date,
        award_value,
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
