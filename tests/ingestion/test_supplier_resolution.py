"""Supplier resolution (ingestion/resolution/suppliers.py) on small hand-made cases, and its table in a warehouse."""

import hashlib
import random
from pathlib import Path

import duckdb
import pytest

from ingestion.common.loader import ingest
from ingestion.resolution.suppliers import (
    COLUMNS,
    FUZZY_MIN_SCORE,
    SupplierRecord,
    clean_tax_id,
    normalise_name,
    pairwise_scores,
    resolve_records,
    resolve_suppliers,
    split_legal_form,
)
from ingestion.synthetic.generator import _variant

R = SupplierRecord


def _resolve(*records: SupplierRecord) -> dict[str, dict]:
    return {row["supplier_id"]: row for row in resolve_records(records).rows}


def _same(rows: dict[str, dict], *ids: str) -> bool:
    return len({rows[i]["supplier_key"] for i in ids}) == 1


@pytest.mark.parametrize("name", ["Hernandez Ltd", "Smith, Jones and Brown", "Walker Group", "Acme Holdings Inc",
                                  "Miller LLC", "Baker PLC", "Campbell-Clark", "Davis and Sons"])
def test_every_spelling_variant_of_the_generator_normalises_to_one_name(name):
    canon = normalise_name(name)
    assert {normalise_name(_variant(name, style)) for style in range(5)} == {canon}


def test_legal_forms_and_punctuation_are_spelled_one_way():
    assert normalise_name("The Acme Co., L.L.C.") == "ACME CO LLC"
    assert normalise_name("  ACME   COMPANY LLC ") == "ACME CO LLC"
    assert normalise_name("O'Neil & Sons Corporation") == "ONEIL AND SONS CORP"
    assert normalise_name("Acme Grp P.L.C.") == normalise_name("ACME GROUP PLC")
    assert normalise_name("Café Olé Limited") == "CAFE OLE LTD"
    assert split_legal_form("JACKSON LLC SUPPLY") == ("JACKSON SUPPLY", frozenset({"LLC"}))
    assert split_legal_form("SMITH AND CO") == ("SMITH", frozenset({"CO"}))
    assert split_legal_form("LLC") == ("LLC", frozenset())
    assert clean_tax_id(" 41-2345678 ") == "412345678"
    assert clean_tax_id("123-45-6789") is None  # a placeholder
    assert clean_tax_id("000-00-0000") is None and clean_tax_id("N/A") is None and clean_tax_id("") is None


def test_spelling_variants_merge_with_and_without_a_tax_id():
    rows = _resolve(
        R("V1", "Acme Holdings, Inc.", "41-2345678"),
        R("V2", "ACME HOLDINGS INCORPORATED ", "412345678"),
        R("V3", " acme holdings inc.", None),
        R("V4", "Baker & Sons Grp", None),
        R("V5", "BAKER AND SONS GROUP", None),
    )
    assert _same(rows, "V1", "V2", "V3") and _same(rows, "V4", "V5") and not _same(rows, "V1", "V4")
    assert rows["V2"]["method"] == "tax_id" and rows["V2"]["matched_supplier_id"] == "V1"
    assert rows["V3"]["method"] == "exact_name" and rows["V3"]["score"] == 100
    assert rows["V1"]["matched_supplier_id"] is None and rows["V1"]["evidence"].startswith("anchor of 3 records")
    assert rows["V1"]["cluster_size"] == 3 and rows["V1"]["key_basis"] == "tax_id"
    assert rows["V4"]["key_basis"] == "name"


def test_different_tax_ids_never_merge_even_with_identical_names_nor_through_a_record_without_one():
    rows = _resolve(
        R("V1", "Springfield County Treasurer", "31-4159265"),
        R("V2", "Springfield County Treasurer", "27-1828182"),
        R("V3", "SPRINGFIELD COUNTY TREASURER", None),  # fits both: ambiguous
        R("V4", "Northwind Trading Partners", "14-1421356"),
        R("V5", "Northwind Tradng Partners", None),  # a typo of V4 and of V6 alike
        R("V6", "Northwind Trading Partners LLC", "17-3205080"),
    )
    assert len({rows[i]["supplier_key"] for i in ("V1", "V2", "V3")}) == 3
    assert rows["V3"]["method"] == "singleton" and rows["V3"]["evidence"].startswith("ambiguous")
    assert not _same(rows, "V4", "V6")
    assert not (_same(rows, "V5", "V4") and _same(rows, "V5", "V6"))


def test_tax_id_veto_holds_when_the_names_chain_through_records_without_a_tax_id():
    # V2 is exactly V1's name and V3 fuzzily V2's; V3 has another tax id: V1-V2 may link, never V1-V3
    rows = _resolve(
        R("V1", "Riverside Medical Supplies", "22-3606797"),
        R("V2", "RIVERSIDE MEDICAL SUPPLIES", None),
        R("V3", "Riverside Medical Suppliez", "16-1803398"),
    )
    assert _same(rows, "V1", "V2") and not _same(rows, "V1", "V3")


def test_a_name_only_record_joins_the_tax_id_record_with_the_same_normalised_name():
    # as Nevada's purchase orders name vendors: upper case, a stray space, no tax id, often no legal form
    rows = _resolve(
        R("VEN12345", "Desert Office Supply, Inc.", "69-3147180"),
        R("NV-PO-DESERT-OFFICE-SUPPLY-INC", " DESERT OFFICE SUPPLY INC", None),
        R("NV-PO-DESERT-OFFICE-SUPPLY", "DESERT OFFICE SUPPLY", None),
    )
    assert _same(rows, "VEN12345", "NV-PO-DESERT-OFFICE-SUPPLY-INC", "NV-PO-DESERT-OFFICE-SUPPLY")
    assert rows["NV-PO-DESERT-OFFICE-SUPPLY-INC"]["method"] == "exact_name"
    assert "without the legal form" in rows["NV-PO-DESERT-OFFICE-SUPPLY"]["evidence"]


def test_a_name_without_legal_form_that_fits_two_companies_is_left_apart():
    rows = _resolve(R("V1", "Hernandez Ltd", "57-7215664"), R("V2", "Hernandez LLC", "26-4575131"),
                    R("V3", "HERNANDEZ", None), R("V4", "hernandez ltd.", None))
    assert _same(rows, "V1", "V4") and not _same(rows, "V1", "V2")
    assert rows["V3"]["method"] == "singleton" and rows["V3"]["evidence"].startswith("ambiguous")


def test_a_typo_links_fuzzily_with_its_score_and_evidence():
    rows = _resolve(R("V1", "Silver State Plumbing Services", "30-1029995"),
                    R("V2", "SILVER STATE PLUMBING SERVCIES", None))
    assert _same(rows, "V1", "V2") and rows["V2"]["method"] == "fuzzy_name"
    assert FUZZY_MIN_SCORE <= rows["V2"]["score"] < 100
    assert rows["V2"]["evidence"].startswith("name 'SILVER STATE PLUMBING SERVCIES' (V2) ~ 'Silver State")
    assert f"{rows['V2']['score']:.1f}" in rows["V2"]["evidence"]


@pytest.mark.parametrize("a, b", [
    ("North Star Supply", "North Shore Supply"),   # similar, but different companies
    ("Walker and Sons", "Walter and Sons"),        # two surnames (each used by other suppliers below)
    ("Welch-Duncan", "Duncan-Welch"),              # the same words in another order
    ("Acme Supply LLC", "Acme Supply Inc"),        # different legal forms
    ("District 5 Water Authority", "District 6 Water Authority"),
])
def test_unrelated_similar_names_do_not_merge(a, b):
    others = [R("W1", "Walker Inc", None), R("W2", "Walter Group", None), R("W3", "Walker-Hill", None),
              R("W4", "Hill-Walter", None), R("W5", "Walker, Ross and Moss", None), R("W6", "Walter LLC", None)]
    rows = _resolve(R("A", a, None), R("B", b, None), *others)
    assert not _same(rows, "A", "B")


def test_keys_are_stable_under_input_order_and_do_not_reveal_a_tax_id():
    records = [
        R("V1", "Acme Holdings Inc", "41-2345678"), R("V2", "ACME HOLDINGS INC", None),
        R("V3", "Baker & Sons", None), R("V4", "BAKER AND SONS", None), R("V5", "Hernandez Ltd", "98-7654321"),
        R("V6", "Hernandez LLC", None), R("V7", "HERNANDEZ", None), R("V8", "Silver State Plumbing Services", None),
        R("V9", "Silver State Plumbng Services", None), R("V10", "Tax 412345678 Holdings", "41-2345678"),
    ]
    first = resolve_records(records).rows
    for seed in range(5):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        assert resolve_records(shuffled).rows == first
    rows = {r["supplier_id"]: r for r in first}
    # the key of a supplier with a tax id is the v1 key (md5 of 'tax:' and the cleaned tax id): it did not move
    assert rows["V1"]["supplier_key"] == hashlib.md5(b"tax:412345678").hexdigest()
    for row in first:
        assert "412345678" not in row["supplier_key"] and "987654321" not in row["supplier_key"]
        assert "2345678" not in row["evidence"] and "7654321" not in row["evidence"], row
    assert "[tax id]" in rows["V10"]["evidence"]  # a name that carries the tax id is masked in the evidence


def test_placeholder_tax_ids_do_not_merge_unrelated_suppliers():
    rows = _resolve(R("V1", "Alpha Fencing", "000000000"), R("V2", "Beta Catering", "00-0000000"))
    assert not _same(rows, "V1", "V2")


def test_pairwise_scores():
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    assert pairwise_scores({"a": "x", "b": "x", "c": "x", "d": "y", "e": "z"}, truth) == (1.0, 1.0, 3, 0, 0)
    # a-b right, c split off (2 pairs missed), d-e merged wrongly (1 pair)
    assert pairwise_scores({"a": "x", "b": "x", "c": "y", "d": "z", "e": "z"}, truth) == (0.5, 1 / 3, 1, 1, 2)
    # records missing from the matches are singletons; nothing predicted: precision 1
    assert pairwise_scores({}, truth) == (1.0, 0.0, 0, 0, 3)


def _suppliers_csv(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("supplier_id,supplier_name,tax_id\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_resolve_suppliers_reads_the_latest_versions_and_replaces_its_table(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _suppliers_csv(landing / "vendor_file" / "suppliers.csv",
                   ["V1,Acme Holdings Inc,41-2345678", "V2,ACME HOLDINGS INC,", "V3,Baker & Sons,"])
    ingest(landing, wh)
    report = resolve_suppliers(wh)
    assert (report.records, report.clusters, report.by_method.get("exact_name")) == (3, 2, 2)  # V1: the anchor
    con = duckdb.connect(str(wh), read_only=True)
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
                          "'resolution' AND table_name = 'supplier_matches' ORDER BY ordinal_position").fetchall()
    assert [c for c, _ in columns] == list(COLUMNS)
    assert dict(columns)["score"] == "DECIMAL(5,2)"
    loaded = con.execute("SELECT max(_loaded_at) FROM raw.suppliers").fetchone()[0]
    assert con.execute("SELECT DISTINCT _loaded_at FROM resolution.supplier_matches").fetchall() == [(loaded,)]
    con.close()

    # a corrected file: V2 is renamed (its latest version wins), V4 is new; the table is replaced, not appended
    _suppliers_csv(landing / "vendor_file" / "suppliers__fix.csv", ["V2,Baker and Sons,", "V4,Zeta Labs,"])
    ingest(landing, wh)
    resolve_suppliers(wh)
    con = duckdb.connect(str(wh), read_only=True)
    rows = dict(con.execute("SELECT supplier_id, supplier_key FROM resolution.supplier_matches").fetchall())
    con.close()
    assert sorted(rows) == ["V1", "V2", "V3", "V4"]
    assert rows["V2"] == rows["V3"] != rows["V1"]


def test_resolve_suppliers_on_an_empty_warehouse(tmp_path):
    report = resolve_suppliers(tmp_path / "wh.duckdb")
    assert (report.records, report.clusters) == (0, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM resolution.supplier_matches").fetchone()[0] == 0
    con.close()


def test_the_dbt_source_documents_the_table_columns():
    import yaml

    path = Path(__file__).parents[2] / "dbt_project" / "models" / "intermediate" / "_resolution__sources.yml"
    [source] = yaml.safe_load(path.read_text())["sources"]
    [table] = source["tables"]
    assert (source["schema"], table["name"]) == ("resolution", "supplier_matches")
    assert [c["name"] for c in table["columns"]] == list(COLUMNS)


def test_the_dbt_pre_hook_creates_the_same_columns():
    """int_suppliers_resolved creates the table empty on a warehouse the step never ran on: same columns."""
    import re

    models = Path(__file__).parents[2] / "dbt_project" / "models"
    sql = (models / "intermediate" / "int_suppliers_resolved.sql").read_text()
    hook = sql[sql.index("create table if not exists"):sql.index("]) }}")]
    declared = re.findall(r"(\w+) (?:\{\{ dbt\.type_\w+\(\) \}\}|decimal\(5, 2\))", hook)
    assert declared == list(COLUMNS)
