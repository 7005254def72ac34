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

final as (
    {{ latest_version('cleaned', ['exclusion_id']) }}
)

select * from final
