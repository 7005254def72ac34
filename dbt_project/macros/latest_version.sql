{#- One row per key: the latest version wins (latest load, then the last row of that load).
    Every staging model ends with it, so the rule lives in one place. A self-join on the row's lineage
    (_load_id, _row_number identify one raw row) keeps the columns of `relation` without listing them and
    without `* exclude` or QUALIFY, which are not portable (docs: PORTABILITY). Keys are never NULL here:
    ingestion quarantines rows with an empty key column. -#}
{% macro latest_version(relation, key_columns) -%}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select
            {% for key in key_columns -%}
            {{ key }},
            {% endfor -%}
            _load_id,
            _row_number,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by
                    _loaded_at desc nulls last,
                    _load_id desc nulls last,
                    _row_number desc nulls last
            ) as version_rank
        from {{ relation }}
    ) as ranked
        on
            {% for key in key_columns -%}
            {{ relation }}.{{ key }} = ranked.{{ key }}
            and {% endfor -%}
            {{ relation }}._load_id = ranked._load_id
            and {{ relation }}._row_number = ranked._row_number
    where ranked.version_rank = 1
{%- endmacro %}
