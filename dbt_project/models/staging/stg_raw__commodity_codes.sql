{#- commodity_codes: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (commodity_code): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'commodity_codes') }}
),

cleaned as (
    select
        nullif(trim(commodity_code), '') as commodity_code,
        nullif(trim(commodity_title), '') as commodity_title,
        nullif(trim(segment_code), '') as segment_code,
        nullif(trim(segment_title), '') as segment_title,
        nullif(trim(family_code), '') as family_code,
        nullif(trim(family_title), '') as family_title,
        nullif(trim(class_code), '') as class_code,
        nullif(trim(class_title), '') as class_title,
        is_addressable,
        is_po_exempt,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['commodity_code']) }}
)

select * from final
