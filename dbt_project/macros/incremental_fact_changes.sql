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
            with changed as (
                select payment_id from {{ procure_raw_relation('payments') }} where _loaded_at > __WATERMARK__
            )
            select period_month from {{ this }} where payment_id in (select payment_id from changed)
            union
            select cast({{ dbt.date_trunc('month', 'payment_date') }} as date)
            from {{ procure_model_relation('stg_raw__payments') }}
            where payment_id in (select payment_id from changed)
        {%- endset -%}
        {{ return({'drivers': ['payments'], 'sql': sql}) }}
    {%- elif model_name == 'fct_invoices' -%}
        {%- set sql -%}
            with
            new_payments as (
                select payment_id from {{ procure_raw_relation('payments') }} where _loaded_at > __WATERMARK__
            ),
            changed_pos as (
                select po_id from {{ procure_raw_relation('purchase_orders') }} where _loaded_at > __WATERMARK__
                union
                select po_id from {{ procure_raw_relation('purchase_order_lines') }} where _loaded_at > __WATERMARK__
            ),
            changed as (
                select invoice_id from {{ procure_raw_relation('invoices') }} where _loaded_at > __WATERMARK__
                union
                select invoice_id from {{ procure_raw_relation('payments') }}
                where invoice_id is not null and payment_id in (select payment_id from new_payments)
                union
                select invoice_id from {{ procure_model_relation('stg_raw__invoices') }}
                where po_id in (select po_id from changed_pos)
            )
            select period_month from {{ this }} where invoice_id in (select invoice_id from changed)
            union
            select cast({{ dbt.date_trunc('month', 'received_date') }} as date)
            from {{ procure_model_relation('stg_raw__invoices') }}
            where invoice_id in (select invoice_id from changed)
        {%- endset -%}
        {{ return({'drivers': ['invoices', 'payments', 'purchase_order_lines', 'purchase_orders'], 'sql': sql}) }}
    {%- elif model_name == 'fct_purchase_order_lines' -%}
        {%- set sql -%}
            with changed as (
                select po_id from {{ procure_raw_relation('purchase_orders') }} where _loaded_at > __WATERMARK__
                union
                select po_id from {{ procure_raw_relation('purchase_order_lines') }} where _loaded_at > __WATERMARK__
            )
            select period_month from {{ this }} where po_id in (select po_id from changed)
            union
            select cast({{ dbt.date_trunc('month', 'po_date') }} as date)
            from {{ procure_model_relation('stg_raw__purchase_orders') }}
            where po_id in (select po_id from changed)
        {%- endset -%}
        {{ return({'drivers': ['purchase_order_lines', 'purchase_orders'], 'sql': sql}) }}
    {%- elif model_name == 'fct_coop_sales' -%}
        {%- set sql -%}
            with changed as (
                select sales_line_id from {{ procure_raw_relation('coop_sales') }} where _loaded_at > __WATERMARK__
            )
            select period_month from {{ this }} where sales_line_id in (select sales_line_id from changed)
            union
            select cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            from {{ procure_model_relation('stg_raw__coop_sales') }}
            where sales_line_id in (select sales_line_id from changed)
        {%- endset -%}
        {{ return({'drivers': ['coop_sales'], 'sql': sql}) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("incremental_by_period_changes: no rule for model " ~ model_name) }}
{%- endmacro %}


{#- The relation of raw.<name> (a source), found in the graph. -#}
{% macro procure_raw_relation(name) -%}
    {%- for src in graph.sources.values() if src.source_name == 'raw' and src.name == name -%}
        {{ return(api.Relation.create(database=src.database, schema=src.schema, identifier=(src.identifier or src.name))) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no source raw." ~ name) }}
{%- endmacro %}
