{#- KPI 8.4: median requisition-to-PO days of non-catalog lines minus the same median for catalog /
    punch-out lines (positive = catalog buying is faster). One item per PO line (the line inherits its
    PO's channel and requisition-to-PO days; the category is the line's) of POs that are not cancelled
    and whose requisition has an approved_date. Not a ratio: numerator = the difference of the two medians,
    denominator = 1, value = numerator; a grain where either side has no line has a NULL value (no_data). -#}
with

po_lines as (
    select * from {{ ref('fct_purchase_order_lines') }}
),

purchase_orders as (
    select * from {{ ref('fct_procure_to_pay') }}
),

timed_lines as (
    select
        po_lines.state_code,
        po_lines.agency_id,
        po_lines.category_code,
        po_lines.fiscal_year,
        po_lines.fiscal_month,
        po_lines.is_catalog_channel,
        purchase_orders.requisition_to_po_days as elapsed_days
    from po_lines
    inner join purchase_orders
        on po_lines.po_id = purchase_orders.po_id
    where
        po_lines.fiscal_year is not null
        and po_lines.po_status != 'cancelled'
        and purchase_orders.requisition_to_po_days is not null
),

catalog_lines as (
    select * from timed_lines
    where is_catalog_channel
),

other_lines as (
    select * from timed_lines
    where not is_catalog_channel
),

catalog_medians as (
    {{ kpi_rollup('catalog_lines', '8.4', 8, method='median', grains=['A', 'C', 'M']) }}
),

other_medians as (
    {{ kpi_rollup('other_lines', '8.4', 8, method='median', grains=['A', 'C', 'M']) }}
),

grain_keys as (
    select
        kpi_id,
        attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month
    from catalog_medians
    union
    select
        kpi_id,
        attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month
    from other_medians
),

differences as (
    select
        grain_keys.kpi_id,
        grain_keys.attribute_id,
        grain_keys.state_code,
        grain_keys.agency_id,
        grain_keys.category_code,
        grain_keys.supplier_id,
        grain_keys.fiscal_year,
        grain_keys.fiscal_month,
        other_medians.value - catalog_medians.value as median_difference,
        -- negative requisition-to-PO days are left out of both medians (kpi_rollup) and counted here
        coalesce(catalog_medians.excluded_rows, 0) + coalesce(other_medians.excluded_rows, 0) as excluded_rows
    from grain_keys
    left join catalog_medians
        on
            grain_keys.state_code = catalog_medians.state_code
            and coalesce(grain_keys.agency_id, '') = coalesce(catalog_medians.agency_id, '')
            and coalesce(grain_keys.category_code, '') = coalesce(catalog_medians.category_code, '')
            and grain_keys.fiscal_year = catalog_medians.fiscal_year
            and coalesce(grain_keys.fiscal_month, 0) = coalesce(catalog_medians.fiscal_month, 0)
    left join other_medians
        on
            grain_keys.state_code = other_medians.state_code
            and coalesce(grain_keys.agency_id, '') = coalesce(other_medians.agency_id, '')
            and coalesce(grain_keys.category_code, '') = coalesce(other_medians.category_code, '')
            and grain_keys.fiscal_year = other_medians.fiscal_year
            and coalesce(grain_keys.fiscal_month, 0) = coalesce(other_medians.fiscal_month, 0)
),

final as (
    select
        kpi_id,
        attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        -- medians are whole or half days: exact
        cast(median_difference as {{ kpi_number_type() }}) as numerator,
        case when median_difference is not null then cast(1 as {{ kpi_number_type() }}) end as denominator,
        median_difference as value,
        cast(excluded_rows as bigint) as excluded_rows
    from differences
)

select * from final
