{#- Parents in quarantine: one row per parent entity and key (trimmed) that ingestion refused, with the file,
    row and reason of its latest refused version. held_back_rows names them for the children they leave
    without a parent. -#}
with

purchase_orders as (
    select * from {{ source('quarantine', 'purchase_orders') }}
),

solicitations as (
    select * from {{ source('quarantine', 'solicitations') }}
),

contracts as (
    select * from {{ source('quarantine', 'contracts') }}
),

invoices as (
    select * from {{ source('quarantine', 'invoices') }}
),

po_lines as (
    select * from {{ source('quarantine', 'purchase_order_lines') }}
),

refused as (
    select
        'purchase_orders' as parent_entity,
        nullif(trim(po_id), '') as parent_key,
        _file,
        _row_number,
        _reason,
        _loaded_at
    from purchase_orders
    union all
    select
        'solicitations' as parent_entity,
        nullif(trim(solicitation_id), '') as parent_key,
        _file,
        _row_number,
        _reason,
        _loaded_at
    from solicitations
    union all
    select
        'contracts' as parent_entity,
        nullif(trim(contract_id), '') as parent_key,
        _file,
        _row_number,
        _reason,
        _loaded_at
    from contracts
    union all
    select
        'invoices' as parent_entity,
        nullif(trim(invoice_id), '') as parent_key,
        _file,
        _row_number,
        _reason,
        _loaded_at
    from invoices
    union all
    select
        'purchase_order_lines' as parent_entity,
        -- the key as held_back_rows writes it: po_id/line_number (a line number as received, e.g. '5')
        {{ dbt.concat(["trim(po_id)", "'/'", "trim(line_number)"]) }} as parent_key,
        _file,
        _row_number,
        _reason,
        _loaded_at
    from po_lines
    where nullif(trim(po_id), '') is not null and nullif(trim(line_number), '') is not null
),

ranked as (
    select
        refused.*,
        row_number() over (
            partition by refused.parent_entity, refused.parent_key
            order by refused._loaded_at desc, refused._file desc, refused._row_number desc
        ) as version_rank
    from refused
    where refused.parent_key is not null
),

final as (
    select
        parent_entity,
        parent_key,
        _file as parent_file,
        _row_number as parent_row_number,
        _reason as parent_reason
    from ranked
    where version_rank = 1
)

select * from final
