"""The supplier resolution step in the Dagster code location: after raw.suppliers, before dbt's
int_suppliers_resolved (whose source is its table), in procure_job but not in the ingest-only job; and it
materialises on a small warehouse."""

import dagster as dg
import duckdb

from tests.conftest import _PATH_VARS as PATH_VARS

KEY = dg.AssetKey(["resolution", "supplier_matches"])



def test_the_step_sits_between_raw_suppliers_and_dbt(defs):
    graph = defs.get_repository_def().asset_graph
    assert graph.get(KEY).parent_keys == {dg.AssetKey(["raw", "suppliers"])}
    assert KEY in graph.get(dg.AssetKey(["intermediate", "int_suppliers_resolved"])).parent_keys
    assert KEY in defs.resolve_job_def("procure_job").asset_layer.selected_asset_keys
    assert KEY not in defs.resolve_job_def("ingest_job").asset_layer.selected_asset_keys


def test_the_step_materialises(tmp_path, monkeypatch):
    from ingestion.common.loader import ingest
    from orchestration.defs.resolution.assets import supplier_matches

    for var in PATH_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PROCURE_HOME", str(tmp_path / "data"))
    landing = tmp_path / "data" / "landing" / "vendor_file"
    landing.mkdir(parents=True)
    (landing / "suppliers.csv").write_text(
        "supplier_id,supplier_name,tax_id\nV1,Acme Holdings Inc,41-2345678\nV2,ACME HOLDINGS INC.,\nV3,Zeta Labs,\n",
        encoding="utf-8")
    warehouse = tmp_path / "data" / "warehouse" / "procure.duckdb"
    ingest(tmp_path / "data" / "landing", warehouse)
    result = dg.materialize([supplier_matches], instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [materialization] = result.asset_materializations_for_node("resolution__supplier_matches")
    assert materialization.metadata["records"].value == 3 and materialization.metadata["suppliers"].value == 2
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT supplier_key) FROM resolution.supplier_matches").fetchone()[0] == 2
    finally:
        con.close()
