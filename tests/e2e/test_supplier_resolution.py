"""End to end: supplier resolution on the default data set against the generator's truth.

The default data set (`procure generate`: scale 0.02, seed 42) is run through `procure run` (shared fixture
default_home, tests/e2e/conftest.py); the generator writes which supplier records are one real supplier to
truth/synthetic/supplier_entities.csv. Pairwise precision and recall of resolution.supplier_matches (the
Python step) and of int_suppliers_resolved (what dbt built from it) must both reach 0.95. Every record of a
supplier with several records carries evidence, no evidence names a tax id of raw.suppliers, and every record
was resolved by the step (none fell back to 'unresolved').
"""

import csv
import re
from pathlib import Path

import duckdb
import pytest

from ingestion.resolution.suppliers import pairwise_scores

pytestmark = pytest.mark.e2e

MIN_PRECISION = 0.95
MIN_RECALL = 0.95


def _truth(home: Path) -> dict[str, str]:
    with open(home / "truth" / "synthetic" / "supplier_entities.csv", newline="", encoding="utf-8") as fh:
        return {r["supplier_id"]: r["entity_id"] for r in csv.DictReader(fh)}


def _warehouse(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "procure.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("table", ["resolution.supplier_matches", "intermediate.int_suppliers_resolved"])
def test_precision_and_recall_against_the_generators_truth(default_home, table):
    truth = _truth(default_home)
    keys = dict(_warehouse(default_home, f"SELECT supplier_id, supplier_key FROM {table}"))
    assert set(keys) == set(truth), "every supplier record of the truth is resolved, and only those"
    precision, recall, tp, fp, fn = pairwise_scores(keys, truth)
    print(f"\n{table}: {len(truth)} records, {len(set(truth.values()))} true suppliers, "
          f"{len(set(keys.values()))} resolved; pairwise precision {precision:.4f} recall {recall:.4f} "
          f"(tp {tp}, fp {fp}, fn {fn})")
    assert tp > 0, "the truth has suppliers with several records: nothing would be measured"
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL, (precision, recall, tp, fp, fn)


def test_evidence_of_every_link_and_never_a_tax_id(default_home):
    rows = _warehouse(default_home, "SELECT supplier_id, method, score, matched_supplier_id, evidence, cluster_size "
                                    "FROM resolution.supplier_matches")
    for supplier_id, method, score, matched, evidence, size in rows:
        if size > 1:
            assert method in ("tax_id", "exact_name", "fuzzy_name") and score is not None, supplier_id
            assert evidence and (matched is not None or evidence.startswith("anchor of")), supplier_id
            if matched is not None:
                assert f"({matched})" in evidence, (supplier_id, evidence)
        else:
            assert (method, matched) == ("singleton", None) and evidence, supplier_id
    tax_ids = {t for (t,) in _warehouse(default_home,
                                        "SELECT DISTINCT tax_id FROM raw.suppliers WHERE tax_id IS NOT NULL")}
    forms = {f for t in tax_ids for f in (t, re.sub(r"[^0-9A-Za-z]", "", t))}
    assert forms, "the default data has tax ids: nothing would be checked"
    leaked = [(sid, e) for sid, _, _, _, e, _ in rows if any(f in e for f in forms)]
    assert not leaked, leaked[:5]


def test_dbt_takes_every_key_from_the_resolution_step(default_home):
    unresolved = _warehouse(default_home, "SELECT count(*) FROM intermediate.int_suppliers_resolved "
                                          "WHERE resolution_method = 'unresolved'")[0][0]
    assert unresolved == 0
    differ = _warehouse(default_home, """
        SELECT count(*) FROM intermediate.int_suppliers_resolved i
        JOIN resolution.supplier_matches m USING (supplier_id)
        WHERE i.supplier_key <> m.supplier_key OR i.resolution_method <> m.method""")[0][0]
    assert differ == 0
    [(suppliers, records)] = _warehouse(default_home,
                                        "SELECT count(*), sum(source_record_count) FROM marts.dim_supplier")
    [(keys, matches)] = _warehouse(default_home,
                                   "SELECT count(DISTINCT supplier_key), count(*) FROM resolution.supplier_matches")
    assert (suppliers, records) == (keys, matches)
