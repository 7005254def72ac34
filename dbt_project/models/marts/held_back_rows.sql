{#- One row per child row whose parent is not in staging: a PO line without its purchase order, a bid or
    award without its solicitation, a contract amendment or price-list entry without its contract, an invoice
    naming a purchase order that is not there, a receipt of a PO line that is not there, a payment of an
    invoice (else of a purchase order) that is not there, a purchase order naming a contract that is not there
    (its lines count as off contract: the contract that would say otherwise is unknown). Each says what was done with it (handling) and why the parent is missing:
    quarantined (its file, row and reason) or never delivered.
    - purchase_order_lines: held_back (not in fct_purchase_order_lines: no state, agency or date to place it);
    - the others: kept_parent_unknown (in their fact or staging, the parent's columns NULL: a price list of an
      unknown contract prices nothing, a receipt of an unknown line counts for no delivery KPI).
    The gate reconciles: the facts plus the held-back rows are every staged row. -#}
with

po_lines as (
    select * from {{ ref('stg_raw__purchase_order_lines') }}
),

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

bids as (
    select * from {{ ref('stg_raw__bids') }}
),

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

amendments as (
    select * from {{ ref('stg_raw__contract_amendments') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

contract_prices as (
    select * from {{ ref('stg_raw__contract_prices') }}
),

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

receipts as (
    select * from {{ ref('stg_raw__receipts') }}
),

all_po_lines as (
    select * from {{ ref('base_raw__purchase_order_lines') }}
),

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

quarantined_parents as (
    select * from {{ ref('stg_quarantine__parents') }}
),

orphans as (
    select
        'purchase_order_lines' as child_entity,
        {{ dbt.concat(["po_lines.po_id", "'/'", "cast(po_lines.line_number as " ~ dbt.type_string() ~ ")"]) }}
            as child_key,
        po_lines._file as child_file,
        po_lines._row_number as child_row_number,
        po_lines.line_amount as amount,
        'purchase_orders' as parent_entity,
        po_lines.po_id as parent_key,
        'held_back' as handling
    from po_lines
    left join purchase_orders
        on po_lines.po_id = purchase_orders.po_id
    where purchase_orders.po_id is null
    union all
    select
        'bids' as child_entity,
        bids.bid_id as child_key,
        bids._file as child_file,
        bids._row_number as child_row_number,
        bids.bid_amount as amount,
        'solicitations' as parent_entity,
        bids.solicitation_id as parent_key,
        'kept_parent_unknown' as handling
    from bids
    left join solicitations
        on bids.solicitation_id = solicitations.solicitation_id
    where solicitations.solicitation_id is null
    union all
    select
        'awards' as child_entity,
        awards.award_id as child_key,
        awards._file as child_file,
        awards._row_number as child_row_number,
        awards.award_value as amount,
        'solicitations' as parent_entity,
        awards.solicitation_id as parent_key,
        'kept_parent_unknown' as handling
    from awards
    left join solicitations
        on awards.solicitation_id = solicitations.solicitation_id
    where solicitations.solicitation_id is null
    union all
    select
        'contract_amendments' as child_entity,
        amendments.amendment_id as child_key,
        amendments._file as child_file,
        amendments._row_number as child_row_number,
        amendments.value_change as amount,
        'contracts' as parent_entity,
        amendments.contract_id as parent_key,
        'kept_parent_unknown' as handling
    from amendments
    left join contracts
        on amendments.contract_id = contracts.contract_id
    where contracts.contract_id is null
    union all
    select
        'contract_prices' as child_entity,
        {{ dbt.concat(["contract_prices.contract_id", "'/'", "contract_prices.item_number", "'/'",
            "cast(contract_prices.effective_from as " ~ dbt.type_string() ~ ")"]) }} as child_key,
        contract_prices._file as child_file,
        contract_prices._row_number as child_row_number,
        cast(null as decimal(18, 2)) as amount,
        'contracts' as parent_entity,
        contract_prices.contract_id as parent_key,
        'kept_parent_unknown' as handling
    from contract_prices
    left join contracts
        on contract_prices.contract_id = contracts.contract_id
    where contracts.contract_id is null
    union all
    select
        'invoices' as child_entity,
        invoices.invoice_id as child_key,
        invoices._file as child_file,
        invoices._row_number as child_row_number,
        invoices.amount,
        'purchase_orders' as parent_entity,
        invoices.po_id as parent_key,
        'kept_parent_unknown' as handling
    from invoices
    left join purchase_orders
        on invoices.po_id = purchase_orders.po_id
    where invoices.po_id is not null and purchase_orders.po_id is null
    union all
    select
        'receipts' as child_entity,
        receipts.receipt_id as child_key,
        receipts._file as child_file,
        receipts._row_number as child_row_number,
        cast(null as decimal(18, 2)) as amount,
        'purchase_order_lines' as parent_entity,
        {{ dbt.concat(["receipts.po_id", "'/'", "cast(receipts.line_number as " ~ dbt.type_string() ~ ")"]) }}
            as parent_key,
        'kept_parent_unknown' as handling
    from receipts
    left join all_po_lines
        on
            receipts.po_id = all_po_lines.po_id
            and receipts.line_number = all_po_lines.line_number
    where all_po_lines.po_id is null
    union all
    select
        'payments' as child_entity,
        payments.payment_id as child_key,
        payments._file as child_file,
        payments._row_number as child_row_number,
        payments.amount,
        'invoices' as parent_entity,
        payments.invoice_id as parent_key,
        'kept_parent_unknown' as handling
    from payments
    left join invoices
        on payments.invoice_id = invoices.invoice_id
    where payments.invoice_id is not null and invoices.invoice_id is null
    union all
    select
        'payments' as child_entity,
        payments.payment_id as child_key,
        payments._file as child_file,
        payments._row_number as child_row_number,
        payments.amount,
        'purchase_orders' as parent_entity,
        payments.po_id as parent_key,
        'kept_parent_unknown' as handling
    from payments
    left join purchase_orders
        on payments.po_id = purchase_orders.po_id
    -- a payment is listed once: for its missing invoice if it has one, else for its missing PO
    left join invoices
        on payments.invoice_id = invoices.invoice_id
    where
        payments.po_id is not null and purchase_orders.po_id is null
        and (payments.invoice_id is null or invoices.invoice_id is not null)
    union all
    select
        'purchase_orders' as child_entity,
        purchase_orders.po_id as child_key,
        purchase_orders._file as child_file,
        purchase_orders._row_number as child_row_number,
        purchase_orders.total_amount as amount,
        'contracts' as parent_entity,
        purchase_orders.contract_id as parent_key,
        'kept_parent_unknown' as handling
    from purchase_orders
    left join contracts
        on purchase_orders.contract_id = contracts.contract_id
    where purchase_orders.contract_id is not null and contracts.contract_id is null
),

final as (
    select
        orphans.child_entity,
        orphans.child_key,
        orphans.child_file,
        orphans.child_row_number,
        cast(orphans.amount as decimal(18, 2)) as amount,
        orphans.parent_entity,
        orphans.parent_key,
        orphans.handling,
        case when quarantined_parents.parent_key is not null then 'quarantined' else 'not_delivered' end
            as parent_status,
        quarantined_parents.parent_file,
        quarantined_parents.parent_row_number,
        quarantined_parents.parent_reason
    from orphans
    left join quarantined_parents
        on
            orphans.parent_entity = quarantined_parents.parent_entity
            and orphans.parent_key = quarantined_parents.parent_key
)

select * from final
