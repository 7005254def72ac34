"""dbt: staging -> intermediate -> marts -> kpi, built (with tests) by `dbt build`."""

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.project import dbt_project


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props):
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get("schema")
        return schema or "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool="duckdb_writer",
    name="dbt_models",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()
