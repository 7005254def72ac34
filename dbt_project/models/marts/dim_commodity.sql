{#- One row per commodity code of any scheme (the key transactions use: stg_raw__commodity_codes). The
    procurement category is the UNSPSC family for UNSPSC codes and codes crosswalked to UNSPSC, else the
    scheme's own category (docs/kpi_rules.md). -#}
with

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

final as (
    select
        commodity_codes.commodity_code,
        commodity_codes.scheme,
        commodity_codes.source_code,
        commodity_codes.commodity_title,
        commodity_codes.segment_code,
        commodity_codes.segment_title,
        commodity_codes.family_code,
        commodity_codes.family_title,
        commodity_codes.class_code,
        commodity_codes.class_title,
        commodity_codes.category_code,
        coalesce(
            case when commodity_codes.scheme = 'UNSPSC' then commodity_codes.family_title end,
            categories.commodity_title,
            commodity_codes.category_code
        ) as category_title,
        commodity_codes.crosswalk_unspsc_code,
        commodity_codes.is_addressable,
        commodity_codes.is_po_exempt
    from commodity_codes
    left join commodity_codes as categories
        on commodity_codes.category_code = categories.commodity_code
)

select * from final
