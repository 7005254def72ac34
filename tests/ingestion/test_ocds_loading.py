"""OCDS through the loader: a mapping with read.format ocds loads every publisher folder of the fixtures into
raw and quarantine, one load per entity and file (the files of a mapping read together), reconciled with what the importer produced; quarantined rows
say where in the JSON they came from; currencies arrive as published."""

from pathlib import Path

import duckdb
import pytest

from ingestion.common.loader import OCDS_ENTITIES, ingest, mapped_files
from ingestion.files.mapping import MappingError, load_mapping, parse_mapping
from ingestion.ocds import read_ocds
from ingestion.ocds.reader import read_ocds_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ocds"
PUBLISHERS = sorted({p.relative_to(FIXTURES).parts[0] for p in FIXTURES.rglob("*.json")})


def _mapping(tmp_path: Path) -> Path:
    m = tmp_path / "ocds.yml"
    m.write_text("version: 1\nsource: ocds_test\nread: {format: ocds}\nocds: {state_code: ZZ}\n", encoding="utf-8")
    return m


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_every_publisher_loads_and_reconciles(publisher, tmp_path):
    files = sorted((FIXTURES / publisher).rglob("*.json"))
    # read together, as the loader reads them: processes spread over files (a record and the release files of the
    # same ocid) compile into one, organisations are one row per key
    group = read_ocds_files([(f, f.name) for f in files], state_code="ZZ")
    assert not group.errors
    expected = {entity: frame.height for entity, frame in group.tables.items()}
    assert sum(expected.values()) > 0
    wh = tmp_path / "wh.duckdb"
    report = ingest(tmp_path / "landing", wh, files=mapped_files(load_mapping(_mapping(tmp_path)), files))
    assert not [load for load in report.loads if load.status == "rejected"]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        for entity in OCDS_ENTITIES:
            raw = con.execute(f"SELECT count(*) FROM raw.{entity}").fetchone()[0]
            quarantined = con.execute(f"SELECT count(*) FROM quarantine.{entity}").fetchone()[0]
            ledger = con.execute("SELECT coalesce(sum(rows_in), 0), coalesce(sum(rows_loaded), 0) FROM raw._loads "
                                 "WHERE entity = ?", [entity]).fetchone()
            assert raw + quarantined == expected[entity] == ledger[0], entity
            assert raw == ledger[1], entity
        reasons = [r for (r,) in con.execute("SELECT _reason FROM quarantine.solicitations UNION ALL "
                                               "SELECT _reason FROM quarantine.awards").fetchall()]
        assert all(".json" in r for r in reasons), reasons[:3]  # the JSON location leads each reason
        assert con.execute("SELECT count(*) FROM raw.agencies WHERE state_code <> 'ZZ'").fetchone()[0] == 0
    finally:
        con.close()


def _transaction_currencies(node) -> set[str]:
    """Every currency of an implementation transaction's value in a JSON tree (walked independently)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for tx in node.get("transactions", []) if isinstance(node.get("transactions"), list) else []:
            for key in ("value", "amount"):
                if isinstance(tx, dict) and isinstance(tx.get(key), dict) and tx[key].get("currency"):
                    found.add(tx[key]["currency"])
        for k, v in node.items():
            if k != "versionedRelease":  # its values are version histories, not OCDS objects
                found |= _transaction_currencies(v)
    elif isinstance(node, list):
        for v in node:
            found |= _transaction_currencies(v)
    return found


def test_currency_is_kept_as_published(tmp_path):
    import json

    files = sorted((FIXTURES / "mexico").rglob("*.json"))
    published = set().union(*(_transaction_currencies(json.loads(f.read_text(encoding="utf-8"))) for f in files))
    wh = tmp_path / "wh.duckdb"
    ingest(tmp_path / "landing", wh, files=mapped_files(load_mapping(_mapping(tmp_path)), files))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        currencies = {c for (c,) in con.execute("SELECT DISTINCT currency FROM raw.payments").fetchall()}
        count = con.execute("SELECT count(*) FROM raw.payments").fetchone()[0]
    finally:
        con.close()
    assert count > 0 and currencies == published and "MXN" in published


def test_an_ocds_mapping_needs_a_state_code_and_takes_no_entities(tmp_path):
    with pytest.raises(MappingError, match=r"m.yml:3: read.format ocds needs"):
        parse_mapping("version: 1\nsource: x\nread: {format: ocds}\n", Path("m.yml"))
    with pytest.raises(MappingError, match=r"m.yml:3: an OCDS mapping takes no entities"):
        parse_mapping("read: {format: ocds}\nocds: {state_code: NV}\nentities: {payments: {columns: {payment_id: a}}}\n",
                      Path("m.yml"))


def test_json_that_is_not_ocds_is_rejected_naming_the_file_and_other_files_still_load(tmp_path):
    bad = tmp_path / "not_ocds.json"
    bad.write_text('{"foo": 1}', encoding="utf-8")
    good = sorted((FIXTURES / "paraguay").rglob("*.json"))[:1]
    wh = tmp_path / "wh.duckdb"
    report = ingest(tmp_path / "landing", wh, files=mapped_files(load_mapping(_mapping(tmp_path)), [bad, *good]))
    rejected = [load for load in report.loads if load.status == "rejected"]
    assert {load.entity for load in rejected} == set(OCDS_ENTITIES)
    assert all("not_ocds.json" in load.message and "not OCDS" in load.message for load in rejected)
    assert any(load.status == "loaded" and load.rows_in > 0 for load in report.loads)
