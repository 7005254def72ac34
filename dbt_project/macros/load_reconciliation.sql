{#- What became of each raw row of one entity, for models/marts/load_reconciliation.sql: one row per raw row
    with its load, its amount as loaded and its outcome, and the amount that outcome accounts for:
    - superseded: a version of its key from a later load won (a row that lost to a row of its own load was
      hidden, not superseded: ingestion quarantines such rows, so it is unaccounted);
    - published: it is the staged version and its key is in the entity's published table (amount: the table's);
    - cancelled / held_back (purchase-order lines): in fct_purchase_order_lines_cancelled / held_back_rows;
    - staged: an entity published through other tables (dimensions, KPIs), not row for row: the staged row;
    - unaccounted: none of these (a loss between raw and the marts: the gate fails on it).
    spec: entity, staged (its staging model), keys ({staged key column: the expression that normalises the
    raw column as staging does}), amount (money column, same name in raw, staging and published), published
    (table keyed by the same columns), published_amount (its money column when named otherwise),
    cancelled_and_held_back (purchase_order_lines only). -#}
{% macro load_reconciliation_rows(spec) -%}
    {%- set keys = spec['keys'] -%}
    {%- set key_names = keys.keys() | list -%}
    {%- set amount = spec.get('amount') -%}
    {%- set published = spec.get('published') -%}
    {%- set published_amount = spec.get('published_amount', amount) -%}
    {%- set apart = spec.get('cancelled_and_held_back', false) -%}
    {%- set money = 'decimal(18, 2)' -%}
    select
        '{{ spec["entity"] }}' as entity,
        raw_rows._load_id as load_id,
        raw_rows._source as load_source,
        raw_rows._file as load_file,
        {{ "cast(raw_rows." ~ amount ~ " as " ~ money ~ ")" if amount else "cast(null as " ~ money ~ ")" }}
            as loaded_amount,
        case
            when current_rows._row_number is null and later._load_id <> raw_rows._load_id then 'superseded'
            when current_rows._row_number is null then 'unaccounted'
            {%- if published %}
            when published_rows.{{ key_names[0] }} is not null then 'published'
            {%- endif %}
            {%- if apart %}
            when cancelled_rows.po_id is not null then 'cancelled'
            when held_rows.child_key is not null then 'held_back'
            {%- endif %}
            {%- if not published %}
            else 'staged'
            {%- else %}
            else 'unaccounted'
            {%- endif %}
        end as outcome,
        {%- if amount %}
        case
            when current_rows._row_number is null and later._load_id <> raw_rows._load_id
                then cast(raw_rows.{{ amount }} as {{ money }})
            when current_rows._row_number is null then null
            {%- if published %}
            when published_rows.{{ key_names[0] }} is not null
                then cast(published_rows.{{ published_amount }} as {{ money }})
            {%- endif %}
            {%- if apart %}
            when cancelled_rows.po_id is not null then cast(cancelled_rows.cancelled_amount as {{ money }})
            when held_rows.child_key is not null then cast(held_rows.amount as {{ money }})
            {%- endif %}
            {%- if not published %}
            else cast(current_rows.{{ amount }} as {{ money }})
            {%- endif %}
        end
        {%- else %}
        cast(null as {{ money }})
        {%- endif %} as accounted_amount
    from {{ source('raw', spec['entity']) }} as raw_rows
    left join {{ ref(spec['staged']) }} as current_rows
        on
            raw_rows._load_id = current_rows._load_id
            and raw_rows._row_number = current_rows._row_number
    left join {{ ref(spec['staged']) }} as later
        on
            {% for name, expression in keys.items() -%}
            {{ "and " if not loop.first }}later.{{ name }} = {{ expression | replace('{}', 'raw_rows') }}
            {% endfor %}
    {%- if published %}
    left join {{ ref(published) }} as published_rows
        on
            {% for name in key_names -%}
            {{ "and " if not loop.first }}published_rows.{{ name }} = current_rows.{{ name }}
            {% endfor %}
    {%- endif %}
    {%- if apart %}
    left join {{ ref('fct_purchase_order_lines_cancelled') }} as cancelled_rows
        on
            cancelled_rows.po_id = current_rows.po_id
            and cancelled_rows.line_number = current_rows.line_number
    left join {{ ref('held_back_rows') }} as held_rows
        on
            held_rows.child_entity = 'purchase_order_lines'
            and held_rows.handling = 'held_back'
            and held_rows.child_key = {{ dbt.concat(["current_rows.po_id", "'/'",
                "cast(current_rows.line_number as " ~ dbt.type_string() ~ ")"]) }}
    {%- endif %}
{%- endmacro %}


{#- The union of load_reconciliation_rows over specs; a key expression's KEY stands for its column's name. -#}
{% macro load_reconciliation_union(specs) -%}
    {%- for spec in specs -%}
        {%- set keys = {} -%}
        {%- for name, expression in spec['keys'].items() -%}
            {%- do keys.update({name: expression | replace('KEY', name)}) -%}
        {%- endfor -%}
        {%- set resolved = dict(spec) -%}
        {%- do resolved.update({'keys': keys}) %}
    {{ "union all" if not loop.first }}
    {{ load_reconciliation_rows(resolved) }}
    {%- endfor %}
{%- endmacro %}
