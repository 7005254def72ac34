{#- Helpers of the red-flag models (models/risk, docs/red_flags.md). -#}

{#- The parameters of one rule, one row per state of `states_relation` (any relation with a state_code
    column): a column per parameter name. Seed red_flag_parameters holds them as data; a row with an empty
    state applies to every state and a state's own row wins. A state with no value for a parameter gets
    NULL, which makes every comparison with it unknown: nothing is flagged on a missing parameter. -#}
{% macro red_flag_parameters(rule_id, parameters, states_relation) -%}
    select
        states.state_code,
        {%- for parameter in parameters %}
        coalesce(
            max(
                case
                    when params.parameter = '{{ parameter }}' and params.state_code = states.state_code
                        then params.value
                end
            ),
            max(
                case
                    when params.parameter = '{{ parameter }}' and nullif(trim(params.state_code), '') is null
                        then params.value
                end
            )
        ) as {{ parameter }}{{ "," if not loop.last }}
        {%- endfor %}
    from (select distinct state_code from {{ states_relation }}) as states
    cross join {{ ref('red_flag_parameters') }} as params
    where params.rule_id = '{{ rule_id }}'
    group by states.state_code
{%- endmacro %}


{#- Join condition: the purchase_thresholds row whose type is `threshold_type_expr` (a SQL expression,
    e.g. "'small_purchase'") in force on `date_expr` in `state_expr`
    (effective_from <= date <= coalesce(effective_to, infinity)). -#}
{% macro red_flag_threshold_in_force(alias, threshold_type_expr, state_expr, date_expr) -%}
    {{ alias }}.state_code = {{ state_expr }}
    and {{ alias }}.threshold_type = {{ threshold_type_expr }}
    and {{ alias }}.effective_from <= {{ date_expr }}
    and ({{ alias }}.effective_to is null or {{ alias }}.effective_to >= {{ date_expr }})
{%- endmacro %}


{#- Normalised name of RF12 (docs/red_flags.md), which differs from the supplier-resolution name of
    macros/supplier_names.sql: upper case; every character that is not a letter, digit or space becomes a
    space; the words INC, INCORPORATED, CORP, CORPORATION, LLC, CO, COMPANY, LTD, LP, LLP dropped wherever
    they stand; spaces collapsed; trimmed. Each word is padded with its own two spaces first, so adjacent
    legal-form words (ACME CO INC) are each matched by the space-delimited pattern (RE2 has no lookahead
    and the patterns stay backslash-free). -#}
{% macro red_flag_normalised_name(name_expr) -%}
    {%- set letters_digits = regexp_replace_all('upper(' ~ name_expr ~ ')', '[^A-Z0-9 ]', ' ') -%}
    {%- set padded = dbt.concat(["' '", "replace(" ~ letters_digits ~ ", ' ', '  ')", "' '"]) -%}
    {%- set dropped = regexp_replace_all(
        padded, ' (INC|INCORPORATED|CORP|CORPORATION|LLC|CO|COMPANY|LTD|LP|LLP) ', ' ') -%}
    trim({{ regexp_replace_all(dropped, '[ ]+', ' ') }})
{%- endmacro %}


{#- Normalised invoice number of RF13: upper case, letters and digits only, leading zeros removed. -#}
{% macro red_flag_normalised_invoice_number(number_expr) -%}
    {{ regexp_replace_all(regexp_replace_all('upper(' ~ number_expr ~ ')', '[^A-Z0-9]', ''), '^0+', '') }}
{%- endmacro %}


{#- Money and dates as text for the evidence column (cast, portable). -#}
{% macro red_flag_money_text(expr) -%}
    cast(cast({{ expr }} as decimal(18, 2)) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro red_flag_number_text(expr, scale=4) -%}
    cast(cast({{ expr }} as decimal(18, {{ scale }})) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro red_flag_date_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro %}


{#- The column list of every rule model and of red_flags, with the types they share. -#}
{% macro red_flag_columns(rule_id, rule_name, entity_type, entity_id, state_code, agency_id, supplier_id, amount, detected_at, evidence) -%}
    cast('{{ rule_id }}' as {{ dbt.type_string() }}) as rule_id,
    cast('{{ rule_name }}' as {{ dbt.type_string() }}) as rule_name,
    cast('{{ entity_type }}' as {{ dbt.type_string() }}) as entity_type,
    cast({{ entity_id }} as {{ dbt.type_string() }}) as entity_id,
    cast({{ state_code }} as {{ dbt.type_string() }}) as state_code,
    cast({{ agency_id }} as {{ dbt.type_string() }}) as agency_id,
    cast({{ supplier_id }} as {{ dbt.type_string() }}) as supplier_id,
    cast({{ amount }} as decimal(18, 2)) as amount,
    cast({{ detected_at }} as date) as detected_at,
    cast({{ evidence }} as {{ dbt.type_string() }}) as evidence
{%- endmacro %}


{#- The rule models in rule order, comma-separated (red_flags unions them); plain text as in
    computed_kpis, so that sqlfluff's jinja templater renders red_flags as dbt does. -#}
{% macro red_flag_rule_models() -%}
    rf01_split_purchase, rf02_threshold_bunching, rf03_sole_source_amended_above, rf04_spend_outside_term,
    rf05_payment_above_ceiling, rf06_po_after_invoice, rf07_invoice_without_po, rf08_single_bid,
    rf09_short_submission_period, rf10_bid_price_anomaly, rf11_large_amendment, rf12_excluded_payee,
    rf13_duplicate_invoice, rf14_duplicate_payment, rf15_weekend_holiday_payment, rf16_round_amount,
    rf17_off_contract_price, rf18_coop_without_pa, rf19_coop_report_mismatch, rf20_repeat_awards
{%- endmacro %}


{#- The union of every rule model, with the columns of red_flags. -#}
{% macro union_red_flag_rules() -%}
    {%- for model_name in red_flag_rule_models().split(',') %}
    select
        rule_id,
        rule_name,
        entity_type,
        entity_id,
        state_code,
        agency_id,
        supplier_id,
        amount,
        detected_at,
        evidence
    from {{ ref(model_name | trim) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
