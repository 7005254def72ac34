{#- The KPIs computed today: kpi_id -> the model that computes it. kpi_values unions these models and
    kpi_definitions marks them is_computed; adding a KPI = one model + one line here. -#}
{#- Written as plain text "id:model, ..." rather than a returned dict so that sqlfluff's jinja templater
    renders the callers the same way dbt does. -#}
{% macro computed_kpis() -%}
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


{#- Rolls a per-row KPI base up to the grains written to kpi_values (docs/kpis.md):
    state x FY; state x agency x FY; state x FY x month. A NULL grain column means "all".
    The base relation has state_code, agency_id, fiscal_year, fiscal_month and
      - method 'ratio':  numerator and denominator columns (DECIMAL), value = sum / nullif(sum, 0);
      - method 'median': an elapsed_days column, value = its median, numerator = its sum, denominator = count.
    Rates come from summed numerators and denominators at each grain, never from averaged rates. -#}
{% macro kpi_rollup(base, kpi_id, attribute_id, method='ratio') -%}
    {%- set grains = [
        {'agency': false, 'month': false},
        {'agency': true, 'month': false},
        {'agency': false, 'month': true},
    ] -%}
    {%- for grain in grains %}
    select
        cast('{{ kpi_id }}' as {{ dbt.type_string() }}) as kpi_id,
        cast({{ attribute_id }} as int) as attribute_id,
        state_code,
        {{ 'agency_id' if grain.agency else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as agency_id,
        cast(null as {{ dbt.type_string() }}) as category_code,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        fiscal_year,
        {{ 'fiscal_month' if grain.month else 'cast(null as int)' }} as fiscal_month,
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
    group by
        state_code,
        {%- if grain.agency %}
        agency_id,
        {%- endif %}
        {%- if grain.month %}
        fiscal_month,
        {%- endif %}
        fiscal_year
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
