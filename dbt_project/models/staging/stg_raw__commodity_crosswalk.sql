{#- commodity_crosswalk: a user's translation of another scheme's codes into UNSPSC. Trimmed strings,
    upper-case scheme, one row per (scheme, commodity_code): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'commodity_crosswalk') }}
),

cleaned as (
    select
        upper(nullif(trim(scheme), '')) as scheme,
        nullif(trim(commodity_code), '') as commodity_code,
        nullif(trim(unspsc_code), '') as unspsc_code,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['scheme', 'commodity_code']) }}
)

select * from final
