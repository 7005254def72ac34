{#- The KPIs computed today: kpi_id -> the model that computes it. kpi_values unions these models and
    kpi_definitions marks them is_computed; adding a KPI = one model + one line here. -#}
{#- Written as plain text "id:model, ..." rather than a returned dict so that sqlfluff's jinja templater
    renders the callers the same way dbt does. -#}
{#- Each domain keeps its own registry (macros/kpis_<domain>.sql) so that KPIs are added without touching
    a shared file; a registry may be empty. -#}
{% macro computed_kpis() -%}
    {%- set parts = [kpis_foundation(), kpis_p2p(), kpis_sourcing(), kpis_organisation(), kpis_savings(), kpis_risk()] -%}
    {{ parts | map('trim') | reject('equalto', '') | join(',\n') }}
{%- endmacro %}


{% macro kpis_foundation() -%}
    1.1:kpi_1_1_spend_under_management,
    7.2:kpi_7_2_invoice_to_pay_time,
    12.2:kpi_12_2_maverick_spend
{%- endmacro %}


{#- The union of every computed KPI model (used by kpi_values). -#}
{% macro union_computed_kpis() -%}
    {%- for entry in computed_kpis().split(',') %}
    {%- set model_name = entry.split(':')[1] | trim %}
    select
        kpi_id,
        attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        numerator,
        denominator,
        value
    from {{ ref(model_name) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- The computed KPI ids as a SQL list: '1.1', '7.2', ... -#}
{% macro computed_kpi_id_list() -%}
    {%- for entry in computed_kpis().split(',') -%}
        '{{ entry.split(':')[0] | trim }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- Rolls a per-row KPI base up to the grains written to kpi_values (docs/kpi_rules.md, "Grains"):
    always state x fiscal year, plus that grain refined by each dimension in `grains`, one at a time:
    'A' agency_id, 'C' category_code, 'V' supplier_id, 'M' fiscal_month. A NULL grain column means "all".
    The base relation has state_code, fiscal_year and the columns of the dimensions asked for, and
      - method 'ratio':  numerator and denominator columns (DECIMAL), value = sum / nullif(sum, 0);
      - method 'median': an elapsed_days column, value = its median, numerator = its sum, denominator = count.
    Rates come from summed numerators and denominators at each grain, never from averaged rates.
    Rows whose refining dimension is NULL (e.g. a payment without a category) appear only in the coarser
    grains. -#}
{% macro kpi_rollup(base, kpi_id, attribute_id, method='ratio', grains=['A', 'M']) -%}
    {%- set columns = {'A': 'agency_id', 'C': 'category_code', 'V': 'supplier_id', 'M': 'fiscal_month'} -%}
    {%- set grain_sets = [none] + grains -%}
    {%- for grain in grain_sets %}
    select
        cast('{{ kpi_id }}' as {{ dbt.type_string() }}) as kpi_id,
        cast({{ attribute_id }} as int) as attribute_id,
        state_code,
        {%- for letter in ['A', 'C', 'V'] %}
        {{ columns[letter] if grain == letter else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as {{ columns[letter] }},
        {%- endfor %}
        fiscal_year,
        {{ 'fiscal_month' if grain == 'M' else 'cast(null as int)' }} as fiscal_month,
        {%- if method == 'median' %}
        cast(sum(elapsed_days) as decimal(38, 4)) as numerator,
        cast(count(elapsed_days) as decimal(38, 4)) as denominator,
        percentile_cont(0.5) within group (order by cast(elapsed_days as {{ type_double() }})) as value
        {%- else %}
        cast(sum(numerator) as decimal(38, 4)) as numerator,
        cast(sum(denominator) as decimal(38, 4)) as denominator,
        cast(sum(numerator) as {{ type_double() }})
        / nullif(cast(sum(denominator) as {{ type_double() }}), 0) as value
        {%- endif %}
    from {{ base }}
    {%- if grain %}
    where {{ columns[grain] }} is not null
    {%- endif %}
    group by
        state_code,
        {%- if grain %}
        {{ columns[grain] }},
        {%- endif %}
        fiscal_year
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
