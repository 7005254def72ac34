with

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

final as (
    select
        commodity_code,
        commodity_title,
        segment_code,
        segment_title,
        family_code,
        family_title,
        class_code,
        class_title,
        -- the procurement category is the UNSPSC family (docs/kpi_rules.md)
        family_code as category_code,
        family_title as category_title,
        is_addressable,
        is_po_exempt
    from commodity_codes
)

select * from final
