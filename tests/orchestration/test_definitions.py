"""The Dagster code location loads, with every layer wired: raw -> dbt -> gate checks -> publication."""

import dagster as dg

from procure_cli.runner import dbt_parse


def test_definitions_load(procure_home):
    from orchestration.environment import export_environment

    export_environment()
    dbt_parse()
    from orchestration.definitions import defs
    from ingestion.common.schema import load_schema

    repo = defs.get_repository_def()
    keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    for name in load_schema():
        assert f"raw/{name}" in keys
        assert f"staging/stg_raw__{name}" in keys
    for key in ("marts/fct_payments", "marts/dim_date", "kpi/kpi_values", "kpi/kpi_definitions", "published/snapshot"):
        assert key in keys
    job = defs.resolve_job_def("procure_job")
    assert job.executor_def.name == "in_process"
    check_keys = {k.name for k in repo.asset_graph.asset_check_keys}
    assert {"fct_payments_passes_soda_contract", "kpi_values_passes_soda_contract"} <= check_keys
    blocking = {k.name for k in repo.asset_graph.asset_check_keys if repo.asset_graph.get_check_spec(k).blocking}
    assert {"fct_payments_passes_soda_contract", "kpi_values_passes_soda_contract"} <= blocking
    # staging reads the ingestion assets: lineage connects raw -> dbt by key
    upstream = repo.asset_graph.get(dg.AssetKey(["staging", "stg_raw__payments"])).parent_keys
    assert dg.AssetKey(["raw", "payments"]) in upstream
    # publication waits for the gated tables
    published_parents = repo.asset_graph.get(dg.AssetKey(["published", "snapshot"])).parent_keys
    assert {dg.AssetKey(["marts", "fct_payments"]), dg.AssetKey(["kpi", "kpi_values"])} <= published_parents
