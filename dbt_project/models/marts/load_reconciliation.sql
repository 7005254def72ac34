{#- One row per load and entity: what became of every raw row the load brought in, in rows and money
    (macros/load_reconciliation.sql gives each raw row its outcome). Every row is published (in the entity's
    published table, with the amount found there), superseded by a later version of its key, cancelled or
    held back (purchase-order lines), or staged (entities published through dimensions and KPIs, not row for
    row); what is none of these is unaccounted, and the gate refuses a publication with an unaccounted row or
    cent. With the raw contracts (ledger = raw, per load) this closes the chain ledger -> raw -> staging ->
    marts for every load.
    keys: the staged key columns and, for each, how staging normalises the raw column ({} = the raw row):
    a later version is found by the key staging sees. -#}
{%- set text_key = "nullif(trim({}.KEY), '')" -%}
{%- set state_key = "upper(nullif(trim({}.state_code), ''))" -%}
{%- set specs = [
    {'entity': 'states', 'staged': 'stg_raw__states', 'keys': {'state_code': state_key},
     'published': 'dim_state'},
    {'entity': 'agencies', 'staged': 'stg_raw__agencies', 'keys': {'agency_id': text_key}},
    {'entity': 'commodity_codes', 'staged': 'stg_raw__commodity_codes',
     'keys': {'scheme': "upper(coalesce(nullif(trim({}.scheme), ''), 'UNSPSC'))",
              'source_code': "nullif(trim({}.commodity_code), '')"}},
    {'entity': 'commodity_crosswalk', 'staged': 'stg_raw__commodity_crosswalk',
     'keys': {'scheme': "upper(nullif(trim({}.scheme), ''))", 'commodity_code': text_key}},
    {'entity': 'purchase_thresholds', 'staged': 'stg_raw__purchase_thresholds',
     'keys': {'state_code': state_key, 'threshold_type': text_key, 'effective_from': '{}.effective_from'}},
    {'entity': 'holidays', 'staged': 'stg_raw__holidays',
     'keys': {'state_code': state_key, 'holiday_date': '{}.holiday_date'}},
    {'entity': 'suppliers', 'staged': 'stg_raw__suppliers', 'keys': {'supplier_id': text_key}},
    {'entity': 'exclusions', 'staged': 'stg_raw__exclusions', 'keys': {'exclusion_id': text_key}},
    {'entity': 'procurement_staff', 'staged': 'stg_raw__procurement_staff', 'keys': {'staff_id': text_key}},
    {'entity': 'requisitions', 'staged': 'stg_raw__requisitions', 'keys': {'requisition_id': text_key},
     'amount': 'estimated_amount'},
    {'entity': 'solicitations', 'staged': 'stg_raw__solicitations', 'keys': {'solicitation_id': text_key},
     'amount': 'estimated_value', 'published': 'fct_solicitations'},
    {'entity': 'bids', 'staged': 'stg_raw__bids', 'keys': {'bid_id': text_key},
     'amount': 'bid_amount', 'published': 'fct_bids'},
    {'entity': 'awards', 'staged': 'stg_raw__awards', 'keys': {'award_id': text_key},
     'amount': 'award_value', 'published': 'fct_awards'},
    {'entity': 'contracts', 'staged': 'stg_raw__contracts', 'keys': {'contract_id': text_key},
     'amount': 'current_value', 'published': 'dim_contract'},
    {'entity': 'contract_amendments', 'staged': 'stg_raw__contract_amendments', 'keys': {'amendment_id': text_key},
     'amount': 'value_change', 'published': 'fct_contract_amendments'},
    {'entity': 'contract_prices', 'staged': 'stg_raw__contract_prices',
     'keys': {'contract_id': text_key, 'item_number': text_key, 'effective_from': '{}.effective_from'}},
    {'entity': 'purchase_orders', 'staged': 'stg_raw__purchase_orders', 'keys': {'po_id': text_key},
     'amount': 'total_amount', 'published': 'fct_procure_to_pay'},
    {'entity': 'purchase_order_lines', 'staged': 'base_raw__purchase_order_lines',
     'keys': {'po_id': text_key, 'line_number': '{}.line_number'},
     'amount': 'line_amount', 'published': 'fct_purchase_order_lines', 'cancelled_and_held_back': true},
    {'entity': 'receipts', 'staged': 'stg_raw__receipts', 'keys': {'receipt_id': text_key}},
    {'entity': 'invoices', 'staged': 'stg_raw__invoices', 'keys': {'invoice_id': text_key},
     'amount': 'amount', 'published': 'fct_invoices'},
    {'entity': 'payments', 'staged': 'stg_raw__payments', 'keys': {'payment_id': text_key},
     'amount': 'amount', 'published': 'fct_payments'},
    {'entity': 'coop_sales', 'staged': 'stg_raw__coop_sales', 'keys': {'sales_line_id': text_key},
     'amount': 'total', 'published': 'fct_coop_sales'},
] -%}
with

raw_row_outcomes as (
    -- one select per entity (macros/load_reconciliation.sql)
    {{ load_reconciliation_union(specs) }}
),

by_load as (
    select
        entity,
        load_id,
        min(load_source) as load_source,
        min(load_file) as load_file,
        count(*) as loaded_rows,
        sum(loaded_amount) as loaded_amount,
        sum(case when outcome = 'published' then 1 else 0 end) as published_rows,
        sum(case when outcome = 'published' then accounted_amount end) as published_amount,
        sum(case when outcome = 'staged' then 1 else 0 end) as staged_rows,
        sum(case when outcome = 'staged' then accounted_amount end) as staged_amount,
        sum(case when outcome = 'cancelled' then 1 else 0 end) as cancelled_rows,
        sum(case when outcome = 'cancelled' then accounted_amount end) as cancelled_amount,
        sum(case when outcome = 'held_back' then 1 else 0 end) as held_back_rows,
        sum(case when outcome = 'held_back' then accounted_amount end) as held_back_amount,
        sum(case when outcome = 'superseded' then 1 else 0 end) as superseded_rows,
        sum(case when outcome = 'superseded' then accounted_amount end) as superseded_amount,
        sum(case when outcome = 'unaccounted' then 1 else 0 end) as unaccounted_rows,
        sum(case when outcome = 'unaccounted' then accounted_amount end) as unaccounted_amount,
        sum(accounted_amount) as accounted_amount
    from raw_row_outcomes
    group by entity, load_id
),

final as (
    select
        entity,
        load_id,
        load_source,
        load_file,
        cast(loaded_rows as bigint) as loaded_rows,
        cast(loaded_amount as decimal(18, 2)) as loaded_amount,
        cast(published_rows as bigint) as published_rows,
        cast(published_amount as decimal(18, 2)) as published_amount,
        cast(staged_rows as bigint) as staged_rows,
        cast(staged_amount as decimal(18, 2)) as staged_amount,
        cast(cancelled_rows as bigint) as cancelled_rows,
        cast(cancelled_amount as decimal(18, 2)) as cancelled_amount,
        cast(held_back_rows as bigint) as held_back_rows,
        cast(held_back_amount as decimal(18, 2)) as held_back_amount,
        cast(superseded_rows as bigint) as superseded_rows,
        cast(superseded_amount as decimal(18, 2)) as superseded_amount,
        cast(unaccounted_rows as bigint) as unaccounted_rows,
        -- money the outcomes do not account for: a row lost, or an amount that changed on its way
        case
            when loaded_amount is not null or accounted_amount is not null
                then cast(coalesce(loaded_amount, 0) - coalesce(accounted_amount, 0) as decimal(18, 2))
        end as unaccounted_amount
    from by_load
)

select * from final
