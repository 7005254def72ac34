{#- Facts incremental by period: the portable pattern of docs (PORTABILITY "Incremental models"): whole
    periods are reprocessed. A period is the first day of the calendar month of the fact's event date; every
    state's fiscal year starts on a month boundary, so a calendar month is exactly one fiscal month of every
    state (the fact's fiscal_year / fiscal_month columns name it in each state's calendar).

    Which periods a build writes (the plan, incremental_by_period_plan):
    - backfill: vars period_start and period_end (ISO dates, end exclusive) -> exactly the months in
      [period_start, period_end). Written rows keep the table's watermark (a backfill does not advance it).
    - first build, --full-refresh, or a table without the period columns or another column the model documents
      (built before they existed; on_schema_change would add it empty to the months not rewritten): every
      period. Written rows carry the watermark max(_loaded_at) over every upstream raw source.
    - otherwise (incremental): let W = max(_loaded_through) of the table (every raw row loaded at or before W
      is reflected in every period). If W is unknown, or a raw source upstream of the fact other than its
      drivers has rows loaded after W (a dimension changed: states, contracts, suppliers, ...), every period.
      Else only the periods touched by the driver rows loaded after W: the periods their keys' rows have in
      the table now (where earlier versions live: "latest version wins" can move a record to another month)
      and the periods of their current versions (incremental_by_period_changes gives the per-fact rule).
      New watermark: max(_loaded_at) over every upstream raw source.
    The periods written are first cleared (pre-hook, in the model's transaction) and then rewritten from the
    full query restricted to them: a period that became empty is emptied too, which delete+insert alone
    (it deletes only the periods present in the new rows) and Spark's dynamic insert_overwrite would miss.
    Seeds are not watched (none is upstream of the facts today); model or seed changes need --full-refresh.
    On DuckDB / Postgres: delete+insert with unique_key = the period column; on Spark: insert_overwrite
    partitioned by it (the clearing pre-hook drops the partitions instead of deleting). -#}

{% macro incremental_by_period_config(period_column='period_month') -%}
    {%- set cfg = {
        'materialized': 'incremental',
        'on_schema_change': 'sync_all_columns',
        'pre_hook': ["{{ incremental_by_period_clear('" ~ period_column ~ "') }}"],
    } -%}
    {#- `is defined`: sqlfluff's jinja templater renders the models without dbt's context -#}
    {%- if target is defined and target.type == 'spark' -%}
        {%- do cfg.update({'incremental_strategy': 'insert_overwrite', 'partition_by': [period_column]}) -%}
    {%- else -%}
        {%- do cfg.update({'incremental_strategy': 'delete+insert', 'unique_key': period_column}) -%}
    {%- endif -%}
    {{ return(cfg) }}
{%- endmacro %}


{#- The plan of this build for the current model: a dict with
    mode ('full' | 'backfill' | 'incremental'), periods (ISO dates; incremental mode), start / end (backfill),
    predicate (SQL on the period column selecting the rows to write), loaded_through (SQL timestamp literal
    for _loaded_through), invocation (SQL string literal of dbt's invocation id), reason (for the log). -#}
{% macro incremental_by_period_plan(period_column='period_month', log_plan=true) -%}
    {%- set start = var('period_start', none) -%}
    {%- set end = var('period_end', none) -%}
    {%- if (start is none) != (end is none) -%}
        {{ exceptions.raise_compiler_error("give both vars period_start and period_end (ISO dates, end exclusive), or neither") }}
    {%- endif -%}
    {%- set plan = {
        'mode': 'full', 'periods': [], 'start': start, 'end': end,
        'predicate': '1 = 1', 'loaded_through': 'cast(null as timestamp)',
        'invocation': "cast('" ~ (invocation_id if invocation_id is defined else '') ~ "' as " ~ dbt.type_string() ~ ")",
        'reason': 'first build or full refresh',
    } -%}
    {#- Parse time, and unit tests (whose inputs are fixtures, not tables): every row, no introspection. -#}
    {%- if execute is not defined or not execute or model.resource_type != 'model' -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- if start is not none -%}
        {%- do plan.update({
            'mode': 'backfill',
            'predicate': period_column ~ " >= cast('" ~ start ~ "' as date) and " ~ period_column ~ " < cast('" ~ end ~ "' as date)",
            'reason': 'backfill of [' ~ start ~ ', ' ~ end ~ ')',
        }) -%}
    {%- endif -%}
    {%- set full_refresh = should_full_refresh() -%}
    {%- if full_refresh and start is not none -%}
        {%- do plan.update({'mode': 'full', 'predicate': '1 = 1', 'reason': 'full refresh (the backfill window is ignored)'}) -%}
    {%- endif -%}
    {%- set sources = procure_upstream_raw_sources(model.unique_id) -%}
    {%- set changes = incremental_by_period_changes(model.name) -%}
    {#- the period columns and every documented column: a table built before one existed is rebuilt whole -#}
    {%- set missing_columns = procure_missing_columns(this, [period_column, '_loaded_through'] + (model.columns.keys() | list))
                              if is_incremental() else [] -%}
    {%- set has_columns = is_incremental() and not missing_columns -%}
    {%- set predates = 'the table predates its column(s) ' ~ (missing_columns | join(', ')) ~ ': rebuilding every period' -%}
    {%- set state = procure_watermarks(this if has_columns else none, sources, changes.drivers) -%}
    {%- if plan.mode == 'backfill' -%}
        {%- if has_columns -%}
            {%- do plan.update({'loaded_through': procure_timestamp_literal(state.watermark)}) -%}
        {%- elif is_incremental() -%}
            {%- do plan.update({'mode': 'full', 'predicate': '1 = 1', 'reason': predates}) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if plan.mode == 'full' -%}
        {%- do plan.update({'loaded_through': procure_timestamp_literal(state.loaded_through)}) -%}
        {%- if is_incremental() and not has_columns -%}
            {%- do plan.update({'reason': predates}) -%}
        {%- elif is_incremental() and state.watermark is none -%}
            {%- do plan.update({'reason': 'no watermark in the table: rebuilding every period'}) -%}
        {%- elif is_incremental() and state.changed_others -%}
            {%- do plan.update({'reason': 'rows loaded into ' ~ (state.changed_others | join(', '))
                                ~ ' since the last build (not a driver of this fact): rebuilding every period'}) -%}
        {%- elif is_incremental() -%}
            {%- set periods = procure_query_column(changes.sql | replace('__WATERMARK__', procure_timestamp_literal(state.watermark))) -%}
            {%- do plan.update({
                'mode': 'incremental',
                'periods': periods,
                'predicate': (period_column ~ ' in (' ~ procure_date_literals(periods) ~ ')') if periods else '1 = 0',
                'reason': (periods | length) ~ ' period(s) touched by rows loaded into '
                          ~ (changes.drivers | join(', ')) ~ ' after ' ~ state.watermark
                          ~ ((': ' ~ (periods | join(', '))) if periods else ''),
            }) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if log_plan -%}
        {{ log(model.name ~ ': ' ~ plan.mode ~ ' (' ~ plan.reason ~ ')', info=true) }}
    {%- endif -%}
    {{ return(plan) }}
{%- endmacro %}


{#- Pre-hook: clear the periods this build rewrites (only when the table already exists and is not being
    rebuilt whole). Rendered at run time, before any change, so it plans on the same state as the model. -#}
{% macro incremental_by_period_clear(period_column='period_month') -%}
    {%- if execute and model.resource_type == 'model' and is_incremental() -%}
        {%- set plan = incremental_by_period_plan(period_column, log_plan=false) -%}
        {%- if plan.mode == 'incremental' and not plan.periods -%}
            {#- nothing to clear -#}
        {%- elif target.type == 'spark' -%}
            {%- if plan.mode == 'full' -%}
                truncate table {{ this }}
            {%- elif plan.mode == 'incremental' -%}
                alter table {{ this }} drop if exists
                {% for p in plan.periods %} partition ({{ period_column }} = date '{{ p }}'){{ ',' if not loop.last }}{% endfor %}
            {%- else -%}
                {#- Spark cannot drop a range of partitions in one statement: list the months of the window. -#}
                alter table {{ this }} drop if exists
                {% for p in procure_months(plan.start, plan.end) %} partition ({{ period_column }} = date '{{ p }}'){{ ',' if not loop.last }}{% endfor %}
            {%- endif -%}
        {%- else -%}
            delete from {{ this }} where {{ plan.predicate }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- Every raw source upstream of a node (through models), as [{'name', 'relation'}], found in the graph. -#}
{% macro procure_upstream_raw_sources(unique_id) -%}
    {%- set found = [] -%}
    {%- set seen = [] -%}
    {%- do procure_collect_sources(unique_id, found, seen) -%}
    {{ return(found | sort(attribute='name')) }}
{%- endmacro %}

{% macro procure_collect_sources(unique_id, found, seen) -%}
    {%- for dep in graph.nodes[unique_id].depends_on.nodes if dep not in seen -%}
        {%- do seen.append(dep) -%}
        {%- if dep in graph.sources -%}
            {%- set src = graph.sources[dep] -%}
            {%- do found.append({
                'name': src.name,
                'relation': api.Relation.create(database=src.database, schema=src.schema, identifier=(src.identifier or src.name)),
            }) -%}
        {%- elif dep in graph.nodes -%}
            {%- do procure_collect_sources(dep, found, seen) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{#- The relation of a model upstream of the current one, read by the planning queries only (a ref() there
    would add a dependency the graph does not need; the model is upstream already). -#}
{% macro procure_model_relation(name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no model named " ~ name) }}
{%- endmacro %}


{#- The names (of `names`) that are not columns of the relation, in order, without duplicates. -#}
{% macro procure_missing_columns(relation, names) -%}
    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for name in names if name | lower not in present and name | lower not in missing -%}
        {%- do missing.append(name | lower) -%}
    {%- endfor -%}
    {{ return(missing) }}
{%- endmacro %}


{#- watermark: the table's max(_loaded_through) (none without a table); loaded_through: max(_loaded_at) over
    every upstream raw source; changed_others: the non-driver sources with rows loaded after the watermark.
    Timestamps travel as strings (cast to the engine's string type) so they round-trip exactly, and are
    compared by the engine, not as text. -#}
{% macro procure_watermarks(relation, sources, drivers) -%}
    {%- set state = {'watermark': none, 'loaded_through': none, 'changed_others': []} -%}
    {%- if not sources -%}
        {{ return(state) }}
    {%- endif -%}
    {%- set ts = dbt.type_string() -%}
    {%- set query -%}
        with
        watermark as (
            select
            {%- if relation is not none %} max(_loaded_through) as loaded_through from {{ relation }}
            {%- else %} cast(null as timestamp) as loaded_through
            {%- endif %}
        ),
        loads as (
            {%- for src in sources %}
            select '{{ src.name }}' as source_name, max(_loaded_at) as loaded_at from {{ src.relation }}
            {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
        )
        select
            loads.source_name,
            cast(watermark.loaded_through as {{ ts }}) as watermark,
            cast(max(loads.loaded_at) over () as {{ ts }}) as loaded_through,
            case when loads.loaded_at > watermark.loaded_through then 1 else 0 end as is_newer
        from loads
        cross join watermark
    {%- endset -%}
    {%- for row in run_query(query).rows -%}
        {%- do state.update({'watermark': row[1], 'loaded_through': row[2]}) -%}
        {%- if row[3] == 1 and row[0] not in drivers -%}
            {%- do state.changed_others.append(row[0]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(state) }}
{%- endmacro %}


{% macro procure_timestamp_literal(value) -%}
    {{ return("cast(null as timestamp)" if value is none else "cast('" ~ value ~ "' as timestamp)") }}
{%- endmacro %}


{% macro procure_date_literals(values) -%}
    {%- set out = [] -%}
    {%- for v in values -%}{%- do out.append("cast('" ~ v ~ "' as date)") -%}{%- endfor -%}
    {{ return(out | join(', ')) }}
{%- endmacro %}


{#- The first column of a query, as strings, sorted, without NULLs. -#}
{% macro procure_query_column(query) -%}
    {%- set values = [] -%}
    {%- for row in run_query(query).rows if row[0] is not none -%}
        {%- do values.append(row[0] | string) -%}
    {%- endfor -%}
    {{ return(values | unique | sort | list) }}
{%- endmacro %}


{#- First days of the months in [start, end) (ISO dates). -#}
{% macro procure_months(start, end) -%}
    {%- set months = [] -%}
    {%- set y = start[0:4] | int -%}
    {%- set m = start[5:7] | int -%}
    {%- set ey = end[0:4] | int -%}
    {%- set em = end[5:7] | int -%}
    {%- for i in range((ey - y) * 12 + em - m + (1 if end[8:10] != '01' else 0)) -%}
        {%- set k = (y * 12 + m - 1 + i) -%}
        {%- do months.append('%04d-%02d-01' | format(k // 12, k % 12 + 1)) -%}
    {%- endfor -%}
    {{ return(months) }}
{%- endmacro %}
