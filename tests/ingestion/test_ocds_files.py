"""OCDS releases of one contracting process spread over several files (ingestion/ocds/reader.py, loading.py): they
are compiled together, in one ingest and across ingests, and the files of a mapping load in one pass (one
validation and one transaction per entity, each file still with its own ledger row). Hand-written releases."""

import json
from pathlib import Path

import duckdb
import pytest

from ingestion.common.loader import OCDS_ENTITIES, ingest, mapped_files
from ingestion.files.mapping import load_mapping
from ingestion.ocds.reader import read_ocds_files

OCID = "ocds-f1-1"
TENDER = {"ocid": OCID, "id": "r-tender", "date": "2022-01-10T09:00:00Z", "tag": ["tender"],
          "buyer": {"id": "b", "name": "Roads Dept"},
          "parties": [{"id": "b", "name": "Roads Dept", "roles": ["buyer"]}],
          "tender": {"id": "T1", "title": "Bridge repair", "status": "active", "procurementMethod": "open",
                     "value": {"amount": 1000, "currency": "USD"},
                     "tenderPeriod": {"startDate": "2022-01-10", "endDate": "2022-02-10"}}}
AWARD = {"ocid": OCID, "id": "r-award", "date": "2022-03-01T09:00:00Z", "tag": ["award"],
         "parties": [{"id": "s", "name": "Acme", "roles": ["supplier"]}],
         "tender": {"id": "T1", "status": "complete"},
         "awards": [{"id": "A1", "status": "active", "date": "2022-03-01", "value": {"amount": 950, "currency": "USD"},
                     "suppliers": [{"id": "s", "name": "Acme"}]}]}
OTHER = {"ocid": "ocds-f1-2", "id": "r-other", "date": "2022-01-05", "tag": ["tender"],
         "buyer": {"id": "b", "name": "Parks Dept"},
         "tender": {"id": "T2", "title": "Benches", "status": "active", "procurementMethod": "direct"}}


def write(folder: Path, name: str, *releases: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"uri": "x", "releases": list(releases)}), encoding="utf-8")
    return path


def mapping(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    m = folder / "publisher.yml"
    m.write_text("version: 1\nsource: pub\nfiles: ['*.json']\nread: {format: ocds}\nocds: {state_code: ZZ}\n",
                 encoding="utf-8")
    return m


def query(wh: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_read_together_the_releases_of_one_ocid_compile_across_files(tmp_path):
    # the award release sorts first by file name, but its date is later: date order decides, not file order
    a = write(tmp_path, "a.json", AWARD)
    b = write(tmp_path, "b.json", TENDER, OTHER)
    group = read_ocds_files([(a, "a.json"), (b, "b.json")], state_code="ZZ")
    assert (group.errors, group.problems, group.releases) == ({}, {}, {0: 1, 1: 2})
    tenders = {t["solicitation_id"]: t for t in group.tables["solicitations"].to_dicts()}
    t = tenders[f"{OCID}/T1"]
    # title, method and period from the tender release, status from the later award release
    assert (t["title"], t["method"], t["status"], t["issue_date"], t["estimated_value"]) == (
        "Bridge repair", "open", "awarded", "2022-01-10", "1000")
    assert t["_location"] == f"b.json releases[0] + a.json releases[0] compiled (ocid {OCID}) tender"
    assert t["_files"] == [1, 0]  # the files it drew on, in release order: the award's file is the newest
    assert tenders["ocds-f1-2/T2"]["_files"] == [1]
    award = group.tables["awards"].to_dicts()
    assert [(x["award_id"], x["solicitation_id"], x["published_date"]) for x in award] == [
        (f"{OCID}/A1", f"{OCID}/T1", "2022-03-01")]
    # read one by one, the same files give two solicitations of the same process that disagree
    alone = read_ocds_files([(a, "a.json")], state_code="ZZ").tables["solicitations"].to_dicts()
    assert [(x["title"], x["status"]) for x in alone] == [(None, "awarded")]


def test_a_record_and_a_release_file_of_the_same_ocid_compile_once(tmp_path):
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"ocid": OCID, "releases": [TENDER]}), encoding="utf-8")
    release = write(tmp_path, "release.json", TENDER, AWARD)
    group = read_ocds_files([(record, "record.json"), (release, "release.json")], state_code="ZZ")
    assert [t["status"] for t in group.tables["solicitations"].to_dicts()] == ["awarded"]
    # the tender release is in both files: published twice, kept once (the later in reading order), reported
    assert group.problems == {0: [f"record.json releases[0] (ocid {OCID}): duplicate release id 'r-tender'; "
                                  "release.json releases[0] kept instead"]}


def test_one_ingest_loads_the_compiled_process_once_attributed_to_its_newest_file(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "pub"
    mapping(folder)
    write(folder, "day1.json", TENDER, OTHER)
    write(folder, "day2.json", AWARD)
    wh = tmp_path / "wh.duckdb"
    report = ingest(landing, wh)
    assert {(load.file, load.status) for load in report.loads} == {
        ("pub/day1.json", "loaded"), ("pub/day2.json", "loaded")}
    assert len(report.loads) == 2 * len(OCDS_ENTITIES)  # one ledger row per file and entity
    rows = query(wh, "SELECT solicitation_id, title, status, _file, _row_number FROM raw.solicitations ORDER BY 1")
    assert rows == [(f"{OCID}/T1", "Bridge repair", "awarded", "pub/day2.json", 1),
                    ("ocds-f1-2/T2", "Benches", "open", "pub/day1.json", 1)]
    ledger = query(wh, "SELECT file, rows_in, rows_loaded FROM raw._loads WHERE entity = 'solicitations' ORDER BY 1")
    assert ledger == [("pub/day1.json", 1, 1), ("pub/day2.json", 1, 1)]
    # one pass: the files of an entity are validated and committed together (one finish time per entity)
    per_entity = query(wh, "SELECT entity, count(DISTINCT finished_at), count(*) FROM raw._loads GROUP BY 1")
    assert {e: (stamps, n) for e, stamps, n in per_entity} == {e: (1, 2) for e in OCDS_ENTITIES}


def test_a_later_ingest_compiles_new_releases_with_the_files_loaded_before(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "pub"
    mapping(folder)
    write(folder, "day1.json", TENDER, OTHER)
    wh = tmp_path / "wh.duckdb"
    ingest(landing, wh)
    assert query(wh, "SELECT status FROM raw.solicitations WHERE solicitation_id = 'ocds-f1-1/T1'") == [("open",)]
    write(folder, "day2.json", AWARD)
    report = ingest(landing, wh)
    assert {load.file for load in report.loads if load.status == "skipped_duplicate"} == {"pub/day1.json"}
    # day2's load holds the whole process compiled with day1's release: the title comes from day1
    latest = query(wh, "SELECT title, status, _file FROM raw.solicitations WHERE solicitation_id = 'ocds-f1-1/T1' "
                       "ORDER BY _loaded_at DESC LIMIT 1")
    assert latest == [("Bridge repair", "awarded", "pub/day2.json")]
    # the process that day2 does not touch is not loaded again
    assert query(wh, "SELECT count(*) FROM raw.solicitations WHERE solicitation_id = 'ocds-f1-2/T2'") == [(1,)]
    assert query(wh, "SELECT count(*) FROM raw.awards") == [(1,)]
    # and an ingest with nothing new reads nothing
    assert all(load.status == "skipped_duplicate" for load in ingest(landing, wh).loads)


@pytest.mark.parametrize("n", [40])
def test_many_small_files_every_row_loaded_or_quarantined(tmp_path, n):
    landing = tmp_path / "landing"
    folder = landing / "pub"
    mapping(folder)
    for i in range(n):  # process i: a tender in file i, its award in file i+1 (the last award stands alone)
        tender = json.loads(json.dumps(TENDER).replace(OCID, f"ocds-f1-n{i}"))
        award = json.loads(json.dumps(AWARD).replace(OCID, f"ocds-f1-n{i - 1}"))
        write(folder, f"f{i:03d}.json", *([tender, award] if i else [tender]))
    wh = tmp_path / "wh.duckdb"
    report = ingest(landing, wh)
    assert not [load for load in report.loads if load.status != "loaded"]
    solicitations = dict(query(wh, "SELECT solicitation_id, status FROM raw.solicitations"))
    assert len(solicitations) == n and query(wh, "SELECT count(*) FROM quarantine.solicitations") == [(0,)]
    # every process but the last has its award in the next file: compiled to awarded, owned by the next file
    assert sum(status == "awarded" for status in solicitations.values()) == n - 1
    owned = dict(query(wh, "SELECT solicitation_id, _file FROM raw.solicitations"))
    assert owned["ocds-f1-n0/T1"] == "pub/f001.json" and owned[f"ocds-f1-n{n - 1}/T1"] == f"pub/f{n - 1:03d}.json"
    totals = query(wh, "SELECT sum(rows_in), sum(rows_loaded) + sum(rows_quarantined) FROM raw._loads")
    counted = sum(query(wh, f"SELECT (SELECT count(*) FROM raw.{e}) + (SELECT count(*) FROM quarantine.{e})")[0][0]
                  for e in OCDS_ENTITIES)
    assert totals == [(counted, counted)] and counted > 2 * n


def test_real_publisher_planning_tender_award_and_contract_in_four_files():
    """Paraguay (DNCP) publishes each stage of process 274231 as its own file (tests/fixtures/ocds/SOURCE.md)."""
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "ocds" / "paraguay" / "releases"
    files = sorted(folder.glob("274231-*.json"))
    assert [f.name.rsplit("-", 1)[-1] for f in files] == ["award.json", "tender.json", "planning.json", "contract.json"]
    alone = [read_ocds_files([(f, f.name)], state_code="ZZ").tables for f in files]
    # one by one, the award names no solicitation and the planning no agency: both would be quarantined
    assert alone[0]["awards"]["solicitation_id"].to_list() == [None]
    assert alone[2]["requisitions"]["agency_id"].to_list() == [None]
    group = read_ocds_files([(f, f.name) for f in files], state_code="ZZ")
    assert (group.errors, group.problems) == ({}, {})
    tables = {e: df.to_dicts() for e, df in group.tables.items()}
    (req,), (tender,), (award,), (contract,) = (tables[e] for e in ("requisitions", "solicitations", "awards", "contracts"))
    assert award["solicitation_id"] == tender["solicitation_id"] and tender["status"] == "awarded"
    assert req["agency_id"] == tender["agency_id"] == contract["agency_id"] is not None
    assert req["status"] == "ordered"  # the process went as far as a contract
    assert (contract["award_id"], contract["supplier_id"]) == (award["award_id"], award["supplier_id"])
    # release order: planning, tender, award, contract; the contract's file is the newest
    assert contract["_files"] == [2, 1, 0, 3]
