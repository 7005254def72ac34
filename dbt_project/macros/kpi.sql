{#- The KPIs computed today: kpi_id -> the model that computes it. kpi_values unions these models and
    kpi_definitions marks them is_computed; adding a KPI = one model + one line here. -#}
{#- Written as plain text "id:model, ..." rather than a returned dict so that sqlfluff's jinja templater
    renders the callers the same way dbt does. -#}
{#- Each domain keeps its own registry (macros/kpis_<domain>.sql) so that KPIs are added without touching
    a shared file; a registry may be empty. The meta-KPIs (kpis_meta: 10.3 KPI coverage, 10.5 KPIs on
    target) are computed FROM the other KPIs' rows (kpi_values_base), so they are kept out of the union that
    builds kpi_values_base (include_meta=false) and added by kpi_values itself: no cycle. -#}
{% macro computed_kpis(include_meta=true) -%}
    {%- set parts = [kpis_foundation(), kpis_p2p(), kpis_sourcing(), kpis_organisation(), kpis_savings(), kpis_risk()] -%}
    {%- if include_meta -%}
        {%- set parts = parts + [kpis_meta()] -%}
    {%- endif -%}
    {{ parts | map('trim') | reject('equalto', '') | join(',\n') }}
{%- endmacro %}


{% macro kpis_foundation() -%}
    1.1:kpi_1_1_spend_under_management,
    7.2:kpi_7_2_invoice_to_pay_time,
    12.2:kpi_12_2_maverick_spend
{%- endmacro %}


{#- The columns of a KPI row, in the published order: unions of KPI rows are positional, so every one of
    them selects this list (with_status adds target and status). -#}
{% macro kpi_value_columns(with_status=false) -%}
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
    value,
    excluded_rows
    {%- if with_status %},
    target,
    status,
    basis
    {%- endif %}
{%- endmacro %}


{#- The union of the KPI models of a registry text ("id:model, ..."); by default every computed KPI
    except the meta-KPIs (used by kpi_values_base). -#}
{% macro union_computed_kpis(registry=none) -%}
    {%- set entries = (computed_kpis(include_meta=false) if registry is none else registry).split(',') %}
    {%- for entry in entries %}
    {%- set model_name = entry.split(':')[1] | trim %}
    select
        {{ kpi_value_columns() }}
    from {{ ref(model_name) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- The KPI ids of a registry text as a SQL list: '1.1', '7.2', ...; by default every computed KPI. -#}
{% macro computed_kpi_id_list(registry=none) -%}
    {%- set entries = (computed_kpis() if registry is none else registry).split(',') -%}
    {%- for entry in entries -%}
        '{{ entry.split(':')[0] | trim }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- The type of a stored numerator and denominator: wide enough in scale that every KPI's numerator and
    denominator are stored exactly (spend / 1e6, fee rate x sales), so that value = numerator / denominator
    holds on every published row of a ratio KPI and sums can be re-aggregated. -#}
{% macro kpi_number_type() -%}
    decimal(38, 8)
{%- endmacro %}


{#- value = numerator / denominator, computed from the stored (cast) numerator and denominator, so that the
    published value is exactly the ratio of the published columns; NULL when the denominator is 0 or NULL. -#}
{% macro kpi_ratio(numerator, denominator) -%}
    cast(cast({{ numerator }} as {{ kpi_number_type() }}) as {{ type_double() }})
    / nullif(cast(cast({{ denominator }} as {{ kpi_number_type() }}) as {{ type_double() }}), 0)
{%- endmacro %}


{#- Rolls a per-row KPI base up to the grains written to kpi_values (docs/kpi_rules.md, "Grains"):
    always state x fiscal year, plus that grain refined by each dimension in `grains`, one at a time:
    'A' agency_id, 'C' category_code, 'V' supplier_id, 'M' fiscal_month. A NULL grain column means "all".
    The base relation has state_code, fiscal_year and the columns of the dimensions asked for, and
      - method 'ratio':  numerator and denominator columns (DECIMAL), value = sum / nullif(sum, 0);
      - method 'median': an elapsed_days column, value = its median, numerator = its sum, denominator = count.
    `exclude_when` is a SQL condition on a base row (never NULL) that marks it as a data problem or an
    unknown input (a negative duration, a channel the source does not give): such rows are left out of
    numerator, denominator and median and counted in excluded_rows; without it, excluded_rows is NULL ("this
    KPI excludes no rows by rule"). A cell whose rows are all excluded has NULL value: no_data, never 0.
    For method 'median' the default is 'elapsed_days < 0': a cycle time cannot be negative, so a negative
    one is a data problem (dates missing or swapped), not a fast process; pass exclude_when=false for a
    duration that may be negative by meaning (a successor contract starting before its predecessor ends).
    Rates come from summed numerators and denominators at each grain, never from averaged rates.
    Rows whose refining dimension is NULL (e.g. a payment without a category) appear only in the coarser
    grains. -#}
{% macro kpi_rollup(base, kpi_id, attribute_id, method='ratio', grains=['A', 'M'], exclude_when=none) -%}
    {%- set columns = {'A': 'agency_id', 'C': 'category_code', 'V': 'supplier_id', 'M': 'fiscal_month'} -%}
    {%- set grain_sets = [none] + grains -%}
    {%- if exclude_when is none and method == 'median' -%}
        {%- set exclude_when = 'elapsed_days < 0' -%}
    {%- elif exclude_when is sameas false -%}
        {%- set exclude_when = none -%}
    {%- endif -%}
    {%- set kept = 'not (' ~ exclude_when ~ ')' if exclude_when is not none else 'true' -%}
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
        cast(sum(case when {{ kept }} then elapsed_days end) as {{ kpi_number_type() }}) as numerator,
        cast(count(case when {{ kept }} then elapsed_days end) as {{ kpi_number_type() }}) as denominator,
        percentile_cont(0.5) within group (
            order by case when {{ kept }} then cast(elapsed_days as {{ type_double() }}) end
        ) as value,
        {%- else %}
        cast(sum(case when {{ kept }} then numerator end) as {{ kpi_number_type() }}) as numerator,
        cast(sum(case when {{ kept }} then denominator end) as {{ kpi_number_type() }}) as denominator,
        {{ kpi_ratio('sum(case when ' ~ kept ~ ' then numerator end)', 'sum(case when ' ~ kept ~ ' then denominator end)') }} as value,
        {%- endif %}
        {%- if exclude_when is not none %}
        cast(count(case when {{ exclude_when }} then 1 end) as bigint) as excluded_rows
        {%- else %}
        cast(null as bigint) as excluded_rows
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


{#- For KPIs that cannot be summed from rows (distinct counts, concentration, top-N): one copy of each base
    row per grain of kpi_rollup (state x fiscal year, then refined by each letter of `grains`), with the
    other grain columns NULL ("all"), so the caller groups by the seven grain columns and computes its
    non-additive measure per grain. `columns` are the extra base columns carried along. As in kpi_rollup, a
    row whose refining dimension is NULL appears only in the coarser grains. -#}
{% macro kpi_grain_expand(base, grains, columns) -%}
    {%- set grain_columns = {'A': 'agency_id', 'C': 'category_code', 'V': 'supplier_id', 'M': 'fiscal_month'} -%}
    {%- for grain in [none] + grains %}
    select
        state_code,
        {%- for letter in ['A', 'C', 'V'] %}
        {{ grain_columns[letter] if grain == letter else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as {{ grain_columns[letter] }},
        {%- endfor %}
        fiscal_year,
        {{ 'fiscal_month' if grain == 'M' else 'cast(null as int)' }} as fiscal_month,
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ base }}
    {%- if grain %}
    where {{ grain_columns[grain] }} is not null
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- Target, status and basis of KPI rows (docs/kpi_rules.md "Status against target", "Spend basis"), as CTEs
    to splice into a model's WITH list after CTEs named `definitions` (seed kpi_definitions), `targets` (seed
    kpi_targets), `spend_basis` (int_spend_basis) and `inputs_missing` (int_kpi_inputs_missing: a KPI whose
    inputs the state does not deliver is no_data there, value, numerator and denominator NULL, never a
    figure made from what is absent). A KPI whose definition has basis 'spend' takes the
    state-year's spend basis, any other the basis of its definition (NULL for a KPI that measures no money);
    the result is the CTE `kpi_status`, with the published columns of kpi_values. Targets are data, the most
    specific matching row winning: state + year, then state, then year, then the all-states-all-years row. -#}
{% macro kpi_status_ctes(kpi_rows) -%}
target_periods as (
    select distinct
        kpi_id,
        state_code,
        fiscal_year
    from {{ kpi_rows }}
),

ranked_targets as (
    select
        target_periods.kpi_id,
        target_periods.state_code,
        target_periods.fiscal_year,
        targets.target,
        targets.near_tolerance,
        targets.on_tolerance,
        row_number() over (
            partition by target_periods.kpi_id, target_periods.state_code, target_periods.fiscal_year
            order by
                case when targets.state_code is not null then 2 else 0 end
                + case when targets.fiscal_year is not null then 1 else 0 end desc,
                targets.target asc nulls last
        ) as target_rank
    from target_periods
    inner join targets
        on
            target_periods.kpi_id = targets.kpi_id
            and (targets.state_code is null or target_periods.state_code = targets.state_code)
            and (targets.fiscal_year is null or target_periods.fiscal_year = targets.fiscal_year)
),

applicable_targets as (
    select
        kpi_id,
        state_code,
        fiscal_year,
        target,
        coalesce(near_tolerance, 0) as near_tolerance,
        coalesce(on_tolerance, 0) as on_tolerance
    from ranked_targets
    where target_rank = 1
),

kpi_status as (
    select
        {{ kpi_rows }}.kpi_id,
        {{ kpi_rows }}.attribute_id,
        {{ kpi_rows }}.state_code,
        {{ kpi_rows }}.agency_id,
        {{ kpi_rows }}.category_code,
        {{ kpi_rows }}.supplier_id,
        {{ kpi_rows }}.fiscal_year,
        {{ kpi_rows }}.fiscal_month,
        -- a KPI whose inputs the state does not deliver is no_data there, whatever its rows computed
        case when inputs_missing.kpi_id is null then cast({{ kpi_rows }}.numerator as {{ kpi_number_type() }}) end
            as numerator,
        case when inputs_missing.kpi_id is null then cast({{ kpi_rows }}.denominator as {{ kpi_number_type() }}) end
            as denominator,
        case when inputs_missing.kpi_id is null then cast({{ kpi_rows }}.value as {{ type_double() }}) end as value,
        cast({{ kpi_rows }}.excluded_rows as bigint) as excluded_rows,
        cast(applicable_targets.target as {{ type_double() }}) as target,
        case
            when {{ kpi_rows }}.value is null or inputs_missing.kpi_id is not null then 'no_data'
            when applicable_targets.target is null then 'no_target'
            when
                definitions.direction = 'up'
                and {{ kpi_rows }}.value >= applicable_targets.target - applicable_targets.on_tolerance
                then 'on_target'
            when
                definitions.direction = 'up'
                and {{ kpi_rows }}.value >= applicable_targets.target - applicable_targets.near_tolerance
                then 'near'
            when definitions.direction = 'up' then 'off'
            when
                definitions.direction = 'down'
                and {{ kpi_rows }}.value <= applicable_targets.target + applicable_targets.on_tolerance
                then 'on_target'
            when
                definitions.direction = 'down'
                and {{ kpi_rows }}.value <= applicable_targets.target + applicable_targets.near_tolerance
                then 'near'
            when definitions.direction = 'down' then 'off'
            -- a target on a KPI without a better direction ("context") cannot be judged
            else 'no_target'
        end as status,
        cast(
            case when definitions.basis = 'spend' then spend_basis.basis else definitions.basis end
            as {{ dbt.type_string() }}
        ) as basis
    from {{ kpi_rows }}
    left join definitions
        on {{ kpi_rows }}.kpi_id = definitions.kpi_id
    left join spend_basis
        on
            {{ kpi_rows }}.state_code = spend_basis.state_code
            and {{ kpi_rows }}.fiscal_year = spend_basis.fiscal_year
    left join inputs_missing
        on
            {{ kpi_rows }}.kpi_id = inputs_missing.kpi_id
            and {{ kpi_rows }}.state_code = inputs_missing.state_code
    left join applicable_targets
        on
            {{ kpi_rows }}.kpi_id = applicable_targets.kpi_id
            and {{ kpi_rows }}.state_code = applicable_targets.state_code
            and {{ kpi_rows }}.fiscal_year = applicable_targets.fiscal_year
)
{%- endmacro %}
