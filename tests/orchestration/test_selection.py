"""What a daily run builds (orchestration/selection.py), on the real code location's asset graph; what it keeps of dbt's artifacts."""

from datetime import datetime, timedelta, timezone

import dagster as dg

from orchestration.selection import CHANGED_TAG, plan, run_selection
from warehouse.fingerprint import Freshness

SNAPSHOT_AT = datetime.now(timezone.utc) - timedelta(hours=1)


def _freshness(changed: list[str] | None, up_to_date: bool = False) -> Freshness:
    return Freshness(up_to_date, "why" if not up_to_date else "nothing new", "S1", 3, [], changed, SNAPSHOT_AT)


def _keys(selection) -> set[str]:
    return {k.to_user_string() for k in selection}


def test_new_receipts_build_what_reads_receipts_and_nothing_else(defs):
    instance = dg.DagsterInstance.ephemeral()
    the_plan = plan(_freshness(["receipts"]), lambda: instance)
    assert (the_plan.up_to_date, the_plan.changed, the_plan.rebuilt) == (False, ["receipts"], [])
    graph = defs.resolve_asset_graph()
    selection, tags, words = run_selection(the_plan, graph)
    keys = _keys(selection)
    # the raw data, the ledger's check asset, the snapshot; the dbt models that read receipts, down to the KPIs
    assert {"raw/receipts", "raw/payments", "published/snapshot", "staging/stg_raw__receipts", "marts/fct_invoices",
            "kpi/kpi_values"} <= keys
    # nothing that does not read receipts: other raw entities, their staging, the payments fact, the resolution
    assert not keys & {"raw/suppliers", "raw/purchase_orders", "staging/stg_raw__payments", "marts/fct_payments",
                       "marts/fct_purchase_order_lines", "resolution/supplier_matches", "marts/dim_supplier"}
    assert tags == {CHANGED_TAG: "receipts"}
    total = len(graph.materializable_asset_keys)
    assert words == f"what depends on receipts: {len(keys)} of {total} assets" and len(keys) < total / 2


def test_new_suppliers_also_rebuild_the_supplier_resolution(defs):
    selection, tags, _ = run_selection(plan(_freshness(["suppliers"]), dg.DagsterInstance.ephemeral), defs.resolve_asset_graph())
    assert {"raw/suppliers", "resolution/supplier_matches", "marts/dim_supplier"} <= _keys(selection)
    assert tags == {CHANGED_TAG: "suppliers"}


def test_a_retraction_rebuilds_everything_from_raw(defs):
    retracted = Freshness(False, "1 load(s) retracted", "S1", 3, [], None, SNAPSHOT_AT, ["L1 (src/receipts.csv)"])
    the_plan = plan(retracted, dg.DagsterInstance.ephemeral)
    assert (the_plan.changed, the_plan.full_refresh) == (None, True)
    assert run_selection(the_plan, defs.resolve_asset_graph())[:2] == (None, {})
    assert plan(_freshness(["receipts"]), dg.DagsterInstance.ephemeral).full_refresh is False


def test_changed_code_or_an_untrusted_warehouse_builds_everything(defs):
    the_plan = plan(_freshness(None), dg.DagsterInstance.ephemeral)
    assert the_plan.changed is None and not the_plan.up_to_date
    selection, tags, words = run_selection(the_plan, defs.resolve_asset_graph())
    assert (selection, tags) == (None, {}) and words.startswith("everything (")


def test_assets_materialised_after_the_snapshot_are_rebuilt_with_what_depends_on_them(defs):
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["marts", "fct_payments"])))
    # materialised before the snapshot was published: the snapshot vouches for it, nothing to do ...
    later = datetime.now(timezone.utc) + timedelta(seconds=5)
    early = plan(Freshness(True, "nothing new", "S1", 3, [], [], later), lambda: instance)
    assert early.up_to_date and early.rebuilt == []
    # ... after it (a backfill of a fiscal month, a Materialize from the UI): rebuild it and what depends on it
    the_plan = plan(_freshness([], up_to_date=True), lambda: instance)
    assert not the_plan.up_to_date
    assert the_plan.rebuilt == [dg.AssetKey(["marts", "fct_payments"])]
    assert "1 asset(s) materialised since snapshot S1 was published: marts/fct_payments" in the_plan.reason
    selection, tags, words = run_selection(the_plan, defs.resolve_asset_graph())
    keys = _keys(selection)
    assert {"marts/fct_payments", "kpi/kpi_values", "raw/payments", "published/snapshot"} <= keys
    assert not keys & {"staging/stg_raw__payments", "marts/fct_purchase_order_lines", "raw/receipts"}
    assert tags == {CHANGED_TAG: ""} and words.startswith("what depends on marts/fct_payments:")
    # the landing sensor's ingestion after the snapshot: that entity counts as changed
    instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["raw", "coop_sales"])))
    the_plan = plan(_freshness([]), lambda: instance)
    assert the_plan.entities() == ["coop_sales"]
    selection, tags, _ = run_selection(the_plan, defs.resolve_asset_graph())
    assert {"raw/coop_sales", "marts/fct_coop_sales"} <= _keys(selection) and tags == {CHANGED_TAG: "coop_sales"}


def test_old_dbt_target_folders_are_pruned(tmp_path):
    import os
    import time

    from orchestration.defs.transform.assets import prune_dbt_targets

    now = time.time()
    folders = []
    for i in range(14):  # dbt_models-0 is the newest; 0-2 written within the hour, the others days ago
        folder = tmp_path / f"dbt_models-{i}"
        (folder / "compiled").mkdir(parents=True)
        age = i * 60 if i < 3 else i * 86400
        os.utime(folder, (now - age, now - age))
        folders.append(folder)
    other = tmp_path / "manifest.json"
    other.write_text("{}")
    current = folders[13]  # the invocation that just ran (its folder's time does not matter)
    removed = prune_dbt_targets(current, keep=4)
    assert sorted(p.name for p in removed) == sorted(f"dbt_models-{i}" for i in range(3, 13))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["dbt_models-0", "dbt_models-1", "dbt_models-2",
                                                                  "dbt_models-13", "manifest.json"])
    # young folders survive even beyond the count
    assert prune_dbt_targets(current, keep=1) == []
