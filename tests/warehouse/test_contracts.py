"""Every published table has a contract, every contract names a published table, and each contract carries the
gate's standard rules. The published interface is read from dbt's manifest (models tagged `published`), parsed
here into a scratch target so the test works in a fresh clone and never races another dbt run.
"""

import json
import os
import subprocess

import pytest
import yaml

from orchestration.environment import DBT_PROJECT_DIR, dbt_executable
from warehouse.gate import CONTRACTS_DIR, gated_datasets

PUBLISHED_TAG = "published"


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """(schema, table) -> the manifest node of every published model (table = the alias when there is one)."""
    tmp = tmp_path_factory.mktemp("dbt")
    env = {**os.environ, "PROCURE_DBT_TARGET": "lint", "PROCURE_WAREHOUSE": ":memory:",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"), "--quiet"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    manifest = json.loads((tmp / "target" / "manifest.json").read_text())
    return {
        (node["schema"], node.get("alias") or node["name"]): node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and PUBLISHED_TAG in (node.get("tags") or [])
    }


def _contract(schema: str, table: str) -> dict:
    return yaml.safe_load((CONTRACTS_DIR / schema / f"{table}.yml").read_text())


def _checks(doc: dict) -> list[tuple[str, dict, str | None]]:
    """(type, body, column) of every check in a contract."""
    out = [(*next(iter(c.items())), None) for c in doc.get("checks") or []]
    for col in doc.get("columns") or []:
        out += [(*next(iter(c.items())), col["name"]) for c in col.get("checks") or []]
    return out


def test_every_published_table_has_a_contract_and_every_contract_a_published_table(published):
    assert len(published) == 26  # with fct_purchase_order_lines_cancelled, held_back_rows, load_reconciliation, kpi_coverage
    gated = {(s, t) for s, t in gated_datasets() if s != "raw"}
    assert gated == set(published), (
        f"published without a contract: {sorted(set(published) - gated)}; "
        f"contract without a published table: {sorted(gated - set(published))}"
    )
    for schema, table in published:
        assert _contract(schema, table)["dataset"] == f"procure/{schema}/{table}"


def test_contract_columns_are_the_documented_columns_of_the_model(published):
    for (schema, table), node in published.items():
        documented = list(node["columns"])
        contracted = [c["name"] for c in _contract(schema, table)["columns"]]
        assert contracted == documented, f"{schema}.{table}: contract columns differ from the model's documentation"


def test_every_published_contract_has_the_standard_rules(published):
    for schema, table in published:
        doc = _contract(schema, table)
        checks = _checks(doc)
        types = [t for t, _, _ in checks]
        names = [body.get("name") for _, body, _ in checks]
        where = f"{schema}.{table}"
        assert all(names) and len(names) == len(set(names)), f"{where}: every check needs a unique name"
        assert "schema" in types, where
        volume = [b for t, b, _ in checks if t == "row_count" and "${var.VOLUME_MIN}" in str(b.get("threshold"))]
        if table in ("held_back_rows", "load_reconciliation"):  # rows set aside / one row per load: their count
            # is no sign of a bad build, and more of them must not block a publication
            assert volume == [] and "variables" not in doc, where
        else:
            assert len(volume) == 1 and set(doc["variables"]) >= {"VOLUME_MIN", "VOLUME_MAX"}, where
        grain = [(b, c) for t, b, c in checks if t == "duplicate"]
        assert len(grain) == 1, f"{where}: one duplicate check, on the table's grain"
        body, column = grain[0]
        key = [column] if column else body["columns"]
        if column:  # a single-column key must never be missing
            assert ("missing", column) in [(t, c) for t, _, c in checks], where
        assert set(key) <= {c["name"] for c in doc["columns"]}, where


def test_facts_check_their_foreign_keys_and_dates(published):
    for schema, table in published:
        if not table.startswith("fct_"):
            continue
        checks = _checks(_contract(schema, table))
        references = {c for t, b, c in checks if t == "invalid" and "valid_reference_data" in b}
        assert "state_code" in references, f"{schema}.{table}: state_code must refer to dim_state"
        # a safety net only: ingest quarantines dates outside each column's window (canonical_schema.yml), and
        # the gate's window may not be narrower than ingest's, or a row ingest accepted would block publication
        windows = [b for t, b, _ in checks if t == "failed_rows" and "DATE '" in str(b.get("expression"))]
        assert windows, f"{schema}.{table}: no date window"


MONEY_TABLES_WITH_CURRENCY = {"fct_payments", "fct_awards", "fct_solicitations", "fct_bids", "dim_contract",
                              "fct_contract_amendments"}


def test_tables_with_a_currency_hold_it_to_the_states_currency(published):
    # Amounts are never converted: every money row must be in its state's currency (dim_state.currency).
    with_currency = {t for (s, t), node in published.items() if "currency" in node["columns"] and t != "dim_state"}
    assert with_currency == MONEY_TABLES_WITH_CURRENCY
    assert "currency" in published[("marts", "dim_state")]["columns"]
    for table in sorted(with_currency):
        checks = _checks(_contract("marts", table))
        (body,) = [b for t, b, _ in checks if t == "failed_rows" and b.get("qualifier") == "state_currency"]
        assert body["name"] == "currency is the state's currency", table
        query = body["query"]
        assert f"FROM marts.{table} AS t" in query and "marts.dim_state" in query, table
        assert "AS state_currency" in query and "AS rows" in query, table
        assert ("missing", "currency") in [(t, c) for t, _, c in checks], table
