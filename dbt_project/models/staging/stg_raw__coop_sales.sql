{#- coop_sales: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (sales_line_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'coop_sales') }}
),

cleaned as (
    select
        nullif(trim(sales_line_id), '') as sales_line_id,
        nullif(trim(master_contract_id), '') as master_contract_id,
        nullif(trim(coop_program), '') as coop_program,
        nullif(trim(supplier_id), '') as supplier_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(customer_type), '') as customer_type,
        nullif(trim(customer_name), '') as customer_name,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(customer_po_number), '') as customer_po_number,
        nullif(trim(contractor_order_number), '') as contractor_order_number,
        nullif(trim(order_type), '') as order_type,
        po_date,
        ship_date,
        invoice_date,
        nullif(trim(invoice_number), '') as invoice_number,
        nullif(trim(product_number), '') as product_number,
        nullif(trim(product_description), '') as product_description,
        -- the commodity key: UNSPSC as is, another scheme's code prefixed by the scheme (macros/unspsc.sql)
        {{ commodity_key("nullif(trim(commodity_code), '')", "nullif(trim(commodity_scheme), '')") }} as commodity_code,
        nullif(trim(unit_of_measure), '') as unit_of_measure,
        list_price,
        contract_price,
        quantity,
        total,
        admin_fee,
        nullif(trim(dealer), '') as dealer,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['sales_line_id']) }}
)

select * from final
