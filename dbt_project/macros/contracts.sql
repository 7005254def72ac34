{#- Whether a spend line (payment, invoice, PO line) is on a contract and inside its effective term, from the
    contract found in the warehouse (`contract_id`, NULL when not found) and the contract the line names
    (`recorded_contract_id`): on contract when found; not on contract when the line names none; unknown (NULL)
    when it names a contract the warehouse does not have (held back, quarantined, never delivered). Within
    term: `on_date` between `start_date` and `end_date` (the effective end), unknown as above. -#}
{% macro contract_status_columns(contract_id, recorded_contract_id, on_date, start_date, end_date) -%}
        case
            when {{ contract_id }} is not null then true
            when {{ recorded_contract_id }} is null then false
        end as is_on_contract,
        case
            when {{ contract_id }} is not null
                then coalesce(
                        {{ on_date }} >= {{ start_date }}
                        and {{ on_date }} <= {{ end_date }},
                        false
                    )
            when {{ recorded_contract_id }} is null then false
        end as is_within_contract_term
{%- endmacro %}
