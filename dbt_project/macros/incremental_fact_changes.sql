{#- Per fact: its driver sources and the query of the periods touched by driver rows loaded after the
    watermark (__WATERMARK__, a timestamp literal). Used by incremental_by_period_plan (docs there).

    Why each rule is complete (every period whose rows differ from a full rebuild is listed), given that
    the non-driver sources did not change (else every period is rebuilt):
    - A fact row is a function of its key's current version in the driver entities (staging keeps the
      latest version of each key) and of unchanged dimensions. A key with a row loaded after W is "changed";
      an unchanged key's row is as before, in the same period.
    - A changed key's row can leave the period its earlier version was in (listed: the table's period for
      the key), appear in the period of its current version (listed: from staging), or disappear (its old
      period is listed and rebuilt without it).
    fct_payments: drivers payments; key payment_id; period of payment_date.
    fct_invoices: drivers invoices, payments (first positive payment and totals per invoice), purchase_orders
      and purchase_order_lines (po_date and commodity of the invoiced PO); key invoice_id; period of
      received_date. An invoice changes when its own row does, when a payment naming it in any version
      changes (a new version may name another invoice: every version's invoice_id is listed), or when its
      (current) PO's header or lines change.
    fct_purchase_order_lines: drivers purchase_orders, purchase_order_lines; a PO's lines share its header's
      po_date, so the key is po_id; period of po_date.
    fct_coop_sales: drivers coop_sales; key sales_line_id; period of invoice_date. -#}
{% macro incremental_by_period_changes(model_name) -%}
    {%- if model_name == 'fct_payments' -%}
        {%- set sql -%}
            with changed as ({{ procure_keys_loaded_after_watermark('payment_id', ['payments']) }})
            {{ procure_periods_of_changed('payment_id', 'stg_raw__payments', 'payment_date') }}
        {%- endset -%}
        {{ return({'drivers': ['payments'], 'sql': sql}) }}
    {%- elif model_name == 'fct_invoices' -%}
        {%- set sql -%}
            with
            new_payments as ({{ procure_keys_loaded_after_watermark('payment_id', ['payments']) }}),
            changed_pos as ({{ procure_keys_loaded_after_watermark('po_id', ['purchase_orders', 'purchase_order_lines']) }}),
            changed as (
                {{ procure_keys_loaded_after_watermark('invoice_id', ['invoices']) }}
                union
                select invoice_id from {{ procure_raw_relation('payments') }}
                where invoice_id is not null and payment_id in (select payment_id from new_payments)
                union
                select invoice_id from {{ procure_model_relation('stg_raw__invoices') }}
                where po_id in (select po_id from changed_pos)
            )
            {{ procure_periods_of_changed('invoice_id', 'stg_raw__invoices', 'received_date') }}
        {%- endset -%}
        {{ return({'drivers': ['invoices', 'payments', 'purchase_order_lines', 'purchase_orders'], 'sql': sql}) }}
    {%- elif model_name == 'fct_purchase_order_lines' -%}
        {%- set sql -%}
            with changed as ({{ procure_keys_loaded_after_watermark('po_id', ['purchase_orders', 'purchase_order_lines']) }})
            {{ procure_periods_of_changed('po_id', 'stg_raw__purchase_orders', 'po_date') }}
        {%- endset -%}
        {{ return({'drivers': ['purchase_order_lines', 'purchase_orders'], 'sql': sql}) }}
    {%- elif model_name == 'fct_coop_sales' -%}
        {%- set sql -%}
            with changed as ({{ procure_keys_loaded_after_watermark('sales_line_id', ['coop_sales']) }})
            {{ procure_periods_of_changed('sales_line_id', 'stg_raw__coop_sales', 'invoice_date') }}
        {%- endset -%}
        {{ return({'drivers': ['coop_sales'], 'sql': sql}) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("incremental_by_period_changes: no rule for model " ~ model_name) }}
{%- endmacro %}


{#- The keys of the rows of the raw drivers loaded after the watermark (__WATERMARK__ is filled in later). -#}
{% macro procure_keys_loaded_after_watermark(key, drivers) -%}
    {%- for driver in drivers -%}
        select {{ key }} from {{ procure_raw_relation(driver) }} where _loaded_at > __WATERMARK__
        {%- if not loop.last %} union {% endif -%}
    {%- endfor -%}
{%- endmacro %}


{#- The periods to rewrite for the keys in CTE `changed`: where their rows sit in the table now (earlier
    versions) and the periods of their current versions in staging. -#}
{% macro procure_periods_of_changed(key, staging_model, date_column) -%}
            select period_month from {{ this }} where {{ key }} in (select {{ key }} from changed)
            union
            select cast({{ dbt.date_trunc('month', date_column) }} as date)
            from {{ procure_model_relation(staging_model) }}
            where {{ key }} in (select {{ key }} from changed)
{%- endmacro %}


{#- The relation of raw.<name> (a source), found in the graph. -#}
{% macro procure_raw_relation(name) -%}
    {%- for src in graph.sources.values() if src.source_name == 'raw' and src.name == name -%}
        {{ return(api.Relation.create(database=src.database, schema=src.schema, identifier=(src.identifier or src.name))) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no source raw." ~ name) }}
{%- endmacro %}
