{#- Custom schemas are used verbatim (staging, intermediate, marts, kpi, seeds), not prefixed with the
    target schema: downstream tools (Dagster asset keys [schema, model], Soda contracts) name them so. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
