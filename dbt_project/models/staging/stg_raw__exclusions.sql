{#- exclusions: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (exclusion_id): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'exclusions') }}
),

cleaned as (
    select
        nullif(trim(exclusion_id), '') as exclusion_id,
        nullif(trim(excluded_name), '') as excluded_name,
        nullif(trim(tax_id), '') as tax_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(authority), '') as authority,
        start_date,
        end_date,
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
            partition by exclusion_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        exclusion_id,
        excluded_name,
        tax_id,
        state_code,
        authority,
        start_date,
        end_date,
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
