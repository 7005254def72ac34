{#- Register every source of the project (raw.*, resolution.*) as a table over a file exported elsewhere, e.g.
    from the DuckDB warehouse with COPY ... TO '<path>/<schema>/<table>.parquet' (FORMAT parquet): the way the
    project is built on Spark from the same landing data as on DuckDB (dbt_project/README.md "Spark",
    tests/e2e/test_spark_parity.py). Per engine (PORTABILITY.md): Spark, an external `using parquet` table;
    DuckDB, a view over read_parquet. Seeds are not used for raw data (slow on Spark).

    dbt run-operation register_external_sources --args '{path: /abs/dir}' --target spark
-#}
{% macro register_external_sources(path, file_format='parquet') -%}
    {%- for src in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set relation = api.Relation.create(database=src.database, schema=src.schema, identifier=(src.identifier or src.name)) -%}
        {%- set location = path ~ '/' ~ src.schema ~ '/' ~ (src.identifier or src.name) ~ '.' ~ file_format -%}
        {%- do adapter.dispatch('register_external_table', 'procure')(relation, location, file_format) -%}
        {{ log('registered ' ~ relation ~ ' over ' ~ location, info=true) }}
    {%- endfor -%}
{%- endmacro %}

{% macro default__register_external_table(relation, location, file_format) -%}
    {{ exceptions.raise_compiler_error("register_external_sources: not implemented for " ~ target.type) }}
{%- endmacro %}

{% macro spark__register_external_table(relation, location, file_format) -%}
    {%- do run_query('create schema if not exists ' ~ relation.schema) -%}
    {%- do run_query('drop table if exists ' ~ relation) -%}
    {%- do run_query('create table ' ~ relation ~ ' using ' ~ file_format ~ " options (path '" ~ location ~ "')") -%}
{%- endmacro %}

{% macro duckdb__register_external_table(relation, location, file_format) -%}
    {%- do run_query('create schema if not exists ' ~ relation.schema) -%}
    {%- do run_query('create or replace view ' ~ relation ~ ' as select * from read_' ~ file_format ~ "('" ~ location ~ "')") -%}
{%- endmacro %}
