{#- commodity_codes: the codes of every scheme the data uses, one row per (scheme, code): the latest load
    wins. commodity_code is the key transactions use (macros/unspsc.sql commodity_key: a UNSPSC code as is,
    another scheme's prefixed by the scheme); source_code the code as received.
    category_code, the procurement category of docs/kpi_rules.md:
    - UNSPSC: the family (family_code, else the first four digits + 0000);
    - another scheme with a crosswalk entry (commodity_crosswalk): the family of the UNSPSC code it maps to,
      so its spend compares with UNSPSC-coded data;
    - otherwise: the scheme's own category_code, else parent_code, else the code itself (each code its own
      category), all prefixed by the scheme. -#}
with

source as (
    select * from {{ source('raw', 'commodity_codes') }}
),

crosswalk as (
    select * from {{ ref('stg_raw__commodity_crosswalk') }}
),

cleaned as (
    select
        upper(coalesce(nullif(trim(scheme), ''), 'UNSPSC')) as scheme,
        nullif(trim(commodity_code), '') as source_code,
        nullif(trim(commodity_title), '') as commodity_title,
        nullif(trim(parent_code), '') as parent_code,
        nullif(trim(category_code), '') as given_category_code,
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

latest as (
    {{ latest_version('cleaned', ['scheme', 'source_code']) }}
),

final as (
    select
        {{ commodity_key('latest.source_code', 'latest.scheme') }} as commodity_code,
        latest.scheme,
        latest.source_code,
        latest.commodity_title,
        latest.parent_code,
        latest.segment_code,
        latest.segment_title,
        latest.family_code,
        latest.family_title,
        latest.class_code,
        latest.class_title,
        case
            when latest.scheme = 'UNSPSC'
                then coalesce(latest.family_code, {{ unspsc_family('latest.source_code') }})
            when crosswalk.unspsc_code is not null then {{ unspsc_family('crosswalk.unspsc_code') }}
            else {{ commodity_key('coalesce(latest.given_category_code, latest.parent_code, latest.source_code)',
                                  'latest.scheme') }}
        end as category_code,
        crosswalk.unspsc_code as crosswalk_unspsc_code,
        latest.is_addressable,
        latest.is_po_exempt,
        latest._source,
        latest._file,
        latest._row_number,
        latest._load_id,
        latest._loaded_at
    from latest
    left join crosswalk
        on
            latest.scheme = crosswalk.scheme
            and latest.source_code = crosswalk.commodity_code
)

select * from final
