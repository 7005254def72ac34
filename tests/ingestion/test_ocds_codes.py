"""OCDS code lists (ingestion/ocds/codes.py): every code of the lists the importer reads becomes a canonical value,
or is known to have none (the row is quarantined saying why), or is unknown (quarantined naming the value received);
a present value is never reported as empty. Hand-written releases; the loader path through `ingest`."""

import json
from pathlib import Path

import duckdb
import pytest

from ingestion.common.loader import ingest, mapped_files
from ingestion.files.mapping import load_mapping
from ingestion.ocds import read_ocds
from ingestion.ocds.codes import CODE_LISTS, Codes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ocds"


def release(**sections) -> dict:
    return {"ocid": "ocds-c1-1", "id": "r1", "date": "2021-03-01T00:00:00Z", "tag": ["tender"],
            "buyer": {"id": "b", "name": "Buyer"}, "parties": [{"id": "b", "name": "Buyer", "roles": ["buyer"]}],
            **sections}


def read_one(tmp_path: Path, rel: dict, entity: str, codes: Codes | None = None) -> dict:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rel), encoding="utf-8")
    rows = read_ocds(path, state_code="ZZ", **({"codes": codes} if codes else {})).tables[entity].to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


TENDER_STATUS = {  # OCDS 1.1 tender.status: (solicitations.status, start of the problem or None)
    "planning": ("planning", "tender.status: 'planning' has no canonical counterpart in solicitations.status: "),
    "planned": ("planned", "tender.status: 'planned' has no canonical counterpart in solicitations.status: "),
    "active": ("open", None),
    "cancelled": ("cancelled", None),
    "unsuccessful": ("closed", None),
    "complete": ("awarded", None),
    "withdrawn": ("cancelled", None),
    "Adjudicada": ("Adjudicada", "tender.status: 'Adjudicada' is not a code this mapping knows (known: active, "),
}


def test_the_tables_cover_every_ocds_1_1_tender_status():
    assert set(CODE_LISTS["tender.status"].codes) == {k for k in TENDER_STATUS if k != "Adjudicada"}


@pytest.mark.parametrize("code", sorted(TENDER_STATUS))
def test_tender_status(code, tmp_path):
    row = read_one(tmp_path, release(tender={"id": "t", "title": "T", "status": code}), "solicitations")
    status, problem = TENDER_STATUS[code]
    assert row["status"] == status
    if problem is None:
        assert (row["_problem"], row["_problem_columns"]) == (None, None)
    else:
        assert row["_problem"].startswith(problem) and row["_problem_columns"] == "status"
        assert "required value is empty" not in row["_problem"]


def test_complete_tender_whose_awards_all_failed_is_closed(tmp_path):
    rel = release(tender={"id": "t", "status": "complete"},
                  awards=[{"id": "1", "status": "unsuccessful"}, {"id": "2", "status": "cancelled"}])
    assert read_one(tmp_path, rel, "solicitations")["status"] == "closed"
    rel["awards"][0]["status"] = "active"
    assert read_one(tmp_path, rel, "solicitations")["status"] == "awarded"


BID_STATUS = {  # bids.details.status -> (is_responsive, start of the problem or None)
    "valid": ("true", None), "qualified": ("true", None),
    "disqualified": ("false", None), "not-qualified": ("false", None),
    "invited": ("invited", "bids.details.status: 'invited' has no canonical counterpart in bids.is_responsive: an "
                           "invited supplier has not submitted a bid"),
    "pending": ("pending", "bids.details.status: 'pending' has no canonical counterpart"),
    "withdrawn": ("withdrawn", "bids.details.status: 'withdrawn' has no canonical counterpart"),
    "active": ("active", "bids.details.status: 'active' is not a code this mapping knows"),
}


@pytest.mark.parametrize("code", sorted(BID_STATUS))
def test_bid_status(code, tmp_path):
    rel = release(tender={"id": "t"}, bids={"details": [{"id": "b1", "status": code, "tenderers": [{"name": "X"}]}]})
    row = read_one(tmp_path, rel, "bids")
    value, problem = BID_STATUS[code]
    assert row["is_responsive"] == value
    assert (row["_problem"] or "").startswith(problem or "") and bool(row["_problem"]) == bool(problem)


@pytest.mark.parametrize("code, expected, problem", [
    ("active", "active", None), ("cancelled", "cancelled", None), ("unsuccessful", "cancelled", None),
    ("pending", "pending", "awards.status: 'pending' has no canonical counterpart in awards.status: the award is proposed"),
    (None, "active", None),  # published without a status: the award was made
    ("adjudicado", "adjudicado", "awards.status: 'adjudicado' is not a code this mapping knows"),
])
def test_award_status(code, expected, problem, tmp_path):
    award = {"id": "a"} | ({"status": code} if code else {})
    row = read_one(tmp_path, release(awards=[award]), "awards")
    assert row["status"] == expected
    assert (row["_problem"] or "").startswith(problem or "") and bool(row["_problem"]) == bool(problem)


@pytest.mark.parametrize("method", ["open", "selective", "limited", "direct"])
def test_procurement_methods_are_the_canonical_ones(method, tmp_path):
    rel = release(tender={"id": "t", "procurementMethod": method}, contracts=[{"id": "k"}])
    assert read_one(tmp_path, rel, "solicitations")["method"] == method
    contract = read_one(tmp_path, rel, "contracts")
    assert (contract["procurement_method"], contract["_problem"]) == (method, None)


def test_an_unknown_method_quarantines_the_solicitation_and_the_contract_naming_the_value(tmp_path):
    rel = release(tender={"id": "t", "procurementMethod": "Licitación Pública"}, contracts=[{"id": "k"}])
    tender, contract = read_one(tmp_path, rel, "solicitations"), read_one(tmp_path, rel, "contracts")
    assert tender["method"] == contract["procurement_method"] == "Licitación Pública"
    expected = ("tender.procurementMethod: 'Licitación Pública' is not a code this mapping knows (known: open, "
                "selective, limited, direct; add it under codes: in publisher.yml)")
    assert tender["_problem"] == contract["_problem"] == expected


@pytest.mark.parametrize("codes, expected, problem", [
    (["electronicSubmission"], "true", False), (["electronicAuction"], "true", False),
    (["written"], "false", False), (["inPerson", "written"], "false", False),
    (["written", "fax"], "written,fax", True),   # unknown code decides it: not mappable
    (["fax", "electronicSubmission"], "true", False),  # electronic whatever 'fax' means
])
def test_submission_method(codes, expected, problem, tmp_path):
    row = read_one(tmp_path, release(tender={"id": "t", "submissionMethod": codes}), "solicitations")
    assert row["is_electronic_submission"] == expected
    assert bool(row["_problem"]) == problem
    if problem:
        assert row["_problem"].startswith("tender.submissionMethod: 'fax' is not a code this mapping knows")


@pytest.mark.parametrize("code, problem", [("pending", None), ("active", None), ("terminated", None),
                                           ("cancelled", "contracts.status: 'cancelled' has no canonical counterpart"),
                                           ("Vigente", "contracts.status: 'Vigente' is not a code this mapping knows")])
def test_contract_status_is_checked(code, problem, tmp_path):
    row = read_one(tmp_path, release(contracts=[{"id": "k", "status": code}]), "contracts")
    assert (row["_problem"] or "").startswith(problem or "") and bool(row["_problem"]) == bool(problem)
    assert row["_problem_columns"] is None  # contracts have no status column


def test_a_cancelled_contract_does_not_make_the_requisition_ordered(tmp_path):
    rel = release(planning={"budget": {"amount": {"amount": 5, "currency": "USD"}}}, tender={"id": "t"},
                  contracts=[{"id": "k", "status": "cancelled"}])
    assert read_one(tmp_path, rel, "requisitions")["status"] == "approved"
    rel["contracts"].append({"id": "k2", "status": "active"})
    assert read_one(tmp_path, rel, "requisitions")["status"] == "ordered"


def test_real_publisher_pending_award():
    """Mexico (CDMX) publishes an award 'pending' in its second release: quarantined as having no counterpart."""
    mx = read_ocds(FIXTURES / "mexico/cdmx/releases/OCDS-87SD3T-SEFIN-DRM-A-001-2016-02.json", state_code="ZZ")
    award = mx.tables["awards"].to_dicts()
    assert [(a["status"], a["_problem_columns"]) for a in award] == [("pending", "status")]
    assert award[0]["_problem"].startswith("awards.status: 'pending' has no canonical counterpart in awards.status")
    assert all(p is None for e, df in mx.tables.items() if e != "awards" for p in df["_problem"].to_list())


# ------------------------------------------------------------------ through the loader

def test_quarantine_reasons_show_the_received_value(tmp_path):
    rels = {"releases": [
        release(tender={"id": "t", "title": "T", "status": "planned", "procurementMethod": "open"}),
        {**release(tender={"id": "t", "title": "T", "status": "Adjudicada", "procurementMethod": "open"}),
         "ocid": "ocds-c1-2"},
        {**release(tender={"id": "t", "title": "T", "status": "active", "procurementMethod": "open"}),
         "ocid": "ocds-c1-3"},
    ]}
    data = tmp_path / "p.json"
    data.write_text(json.dumps(rels), encoding="utf-8")
    mapping = tmp_path / "ocds.yml"
    mapping.write_text("version: 1\nsource: t\nread: {format: ocds}\nocds: {state_code: ZZ}\n", encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    ingest(tmp_path / "landing", wh, files=mapped_files(load_mapping(mapping), [data]))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        quarantined = dict(con.execute("SELECT solicitation_id, status || ' | ' || _columns || ' | ' || _reason "
                                       "FROM quarantine.solicitations").fetchall())
        loaded = [r[0] for r in con.execute("SELECT solicitation_id FROM raw.solicitations").fetchall()]
    finally:
        con.close()
    assert loaded == ["ocds-c1-3/t"]
    planned = quarantined["ocds-c1-1/t"]
    assert planned.startswith("planned | status")
    assert "p.json releases[0] (ocid ocds-c1-1) tender: tender.status: 'planned' has no canonical counterpart" in planned
    unknown = quarantined["ocds-c1-2/t"]
    assert unknown.startswith("Adjudicada | status")
    assert ("tender.status: 'Adjudicada' is not a code this mapping knows (known: active, complete, unsuccessful, "
            "cancelled, withdrawn, planning, planned; add it under codes: in ocds.yml)") in unknown
    assert all("required value is empty" not in r for r in quarantined.values())


# ------------------------------------------------------------------ a publisher's own codes (ocds.codes)

def test_overrides_translate_a_publishers_codes_to_ocds_codes(tmp_path):
    codes = Codes({"tender.procurementMethod": {"Licitación Pública": "open"}, "tender.status": {"Adjudicada": "complete"},
                   "bids.details.status": {"active": "valid"}})
    rel = release(tender={"id": "t", "procurementMethod": "Licitación Pública", "status": "Adjudicada"},
                  awards=[{"id": "a", "status": "unsuccessful"}],
                  bids={"details": [{"id": "b1", "status": "active", "tenderers": [{"name": "X"}]}]})
    tender = read_one(tmp_path, rel, "solicitations", codes)
    # 'Adjudicada' is 'complete', so the rule for completed tenders applies: every award failed -> closed
    assert (tender["method"], tender["status"], tender["_problem"]) == ("open", "closed", None)
    assert read_one(tmp_path, rel, "bids", codes)["is_responsive"] == "true"
    # without the overrides the same release is not mappable, and the message lists what is known
    assert read_one(tmp_path, rel, "solicitations")["_problem"].startswith("tender.status: 'Adjudicada' is not a code")
    # an override to a code without counterpart says which code it was taken for
    planned = Codes({"tender.status": {"Planificada": "planned"}}, "py.yml")
    assert planned.map("tender.status", "Planificada") == (
        None, "tender.status: 'Planificada' (= 'planned' under codes:) has no canonical counterpart in "
              "solicitations.status: the tender is planned, not yet a solicitation (its planning block loads as a "
              "requisition)")
    assert planned.map("tender.status", "Vigente")[1] == (
        "tender.status: 'Vigente' is not a code this mapping knows (known: active, complete, unsuccessful, cancelled, "
        "withdrawn, planning, planned, Planificada; add it under codes: in py.yml)")


def test_overrides_in_the_mapping_file_apply_when_loading(tmp_path):
    data = tmp_path / "py.json"
    data.write_text(json.dumps(release(tender={"id": "t", "title": "T", "procurementMethod": "Licitación Pública",
                                               "status": "active"})), encoding="utf-8")
    mapping = tmp_path / "publisher.yml"
    mapping.write_text("version: 1\nsource: py\nread: {format: ocds}\nocds:\n  state_code: ZZ\n  codes:\n"
                       "    tender.procurementMethod:\n      \"Licitación Pública\": open\n", encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    ingest(tmp_path / "landing", wh, files=mapped_files(load_mapping(mapping), [data]))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT method, status FROM raw.solicitations").fetchall() == [("open", "open")]
        assert con.execute("SELECT count(*) FROM quarantine.solicitations").fetchone()[0] == 0
    finally:
        con.close()


@pytest.mark.parametrize("codes_yaml, error", [
    ("  codes:\n    tender.stauts:\n      x: open\n", r"^m.yml:7: ocds.codes: 'tender.stauts' is not a code list the importer reads; one of: tender.status, "),
    ("  codes:\n    tender.status:\n      Adjudicada: awarded\n",
     r"^m.yml:8: ocds.codes.tender.status: 'Adjudicada' -> 'awarded': 'awarded' is not an OCDS tender.status code; one of: active, "),
    ("  codes:\n    tender.status:\n      ok: active\n      yes: active\n", r"^m.yml:9: ocds.codes.tender.status: the publisher's code True must be text \(quote it\)"),
    ("  codes: [open]\n", r"^m.yml:6: ocds.codes maps a code list to \{publisher code: OCDS code\}"),
    ("  codes:\n    awards.status: active\n", r"^m.yml:7: ocds.codes.awards.status maps the publisher's codes to OCDS codes"),
])
def test_mistakes_in_codes_name_file_and_line(codes_yaml, error):
    from ingestion.files.mapping import MappingError, parse_mapping

    text = "version: 1\nsource: x\nread: {format: ocds}\nocds:\n  state_code: ZZ\n" + codes_yaml
    with pytest.raises(MappingError, match=error):
        parse_mapping(text, Path("m.yml"))


# ------------------------------------------------------------------ organisations given but not keyable

def test_an_organisation_given_without_id_identifier_or_name_is_not_reported_as_empty(tmp_path):
    rel = release(tender={"id": "t"},
                  awards=[{"id": "a", "suppliers": [{"address": {"locality": "Leeds"}}]}],
                  bids={"details": [{"id": "b1", "status": "valid",
                                     "tenderers": [{"roles": ["tenderer"]}, {"name": "Second Ltd"}]}]})
    award = read_one(tmp_path, rel, "awards")
    assert (award["supplier_id"], award["_problem_columns"]) == (None, "supplier_id")
    assert award["_problem"] == ("awards.suppliers: given, but without an id, identifier or name, so it cannot be "
                                 "keyed")
    bid = read_one(tmp_path, rel, "bids")  # the first tenderer that can be keyed is the bidder
    assert (bid["supplier_id"], bid["_problem"]) == ("ocds-c1-1/Second Ltd", None)
    # absent altogether: nothing was given, the loader's "required value is empty" is the truth
    assert read_one(tmp_path, release(awards=[{"id": "a"}]), "awards")["_problem"] is None


def test_loaded_reason_for_an_unkeyable_supplier_does_not_say_empty(tmp_path):
    data = tmp_path / "o.json"
    data.write_text(json.dumps(release(awards=[{"id": "a", "date": "2021-03-01", "value": {"amount": 5},
                                                "suppliers": [{"address": {"locality": "Leeds"}}]}])),
                    encoding="utf-8")
    mapping = tmp_path / "ocds.yml"
    mapping.write_text("version: 1\nsource: t\nread: {format: ocds}\nocds: {state_code: ZZ}\n", encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    ingest(tmp_path / "landing", wh, files=mapped_files(load_mapping(mapping), [data]))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        (reason, columns), = con.execute("SELECT _reason, _columns FROM quarantine.awards").fetchall()
    finally:
        con.close()
    # the release has no tender: solicitation_id is truly empty and says so; supplier_id says what was given
    assert reason == ("o.json (ocid ocds-c1-1) awards[0]: awards.suppliers: given, but without an id, identifier or "
                      "name, so it cannot be keyed; solicitation_id: required value is empty")
    assert columns.split(",") == ["supplier_id", "solicitation_id", "supplier_id"]


def test_real_publisher_override_prozorro_bid_status(tmp_path):
    """ProZorro (Ukraine) publishes bid status 'active', which no OCDS bid status list has: quarantined naming it,
    until the publisher's mapping says what it means."""
    data = FIXTURES / "ukraine/releases/ocds-be6bcu-UA-2016-06-08-000504-c-2aa52fb7af274126af4f629fd7a11a04.json"
    counts = {}
    for codes in ("", "  codes:\n    bids.details.status: {active: valid}\n"):
        mapping = tmp_path / "publisher.yml"
        mapping.write_text(f"version: 1\nsource: ua\nread: {{format: ocds}}\nocds:\n  state_code: ZZ\n{codes}",
                           encoding="utf-8")
        wh = tmp_path / f"wh{len(counts)}.duckdb"
        ingest(tmp_path / "landing", wh, files=mapped_files(load_mapping(mapping), [data]))
        con = duckdb.connect(str(wh), read_only=True)
        try:
            counts[bool(codes)] = con.execute(
                "SELECT (SELECT count(*) FROM raw.bids), (SELECT count(*) FROM raw.bids WHERE is_responsive), "
                "(SELECT list(DISTINCT _reason) FROM quarantine.bids)").fetchone()
        finally:
            con.close()
    loaded, responsive, reasons = counts[False]
    assert (loaded, responsive, len(reasons)) == (0, 0, 5)  # five bids, each reason names its location
    assert all("bids.details.status: 'active' is not a code this mapping knows (known: valid, qualified, "
               "disqualified, not-qualified, invited, pending, withdrawn; add it under codes: in publisher.yml)" in r
               and "required value is empty" not in r.split("; ")[0] for r in reasons)
    assert counts[True] == (5, 5, None)


def test_procurement_method_details_when_the_method_is_absent():
    """UK Contracts Finder gives no procurementMethod, only procurementMethodDetails 'Open procedure'."""
    uk = FIXTURES / ("uk-contracts-finder/releases/ocds-b5fd17-2c330cf9-adc8-11e6-9901-0019b9f3037b-ocds-b5fd17-"
                     "2c330cf9-adc8-11e6-9901-0019b9f3037b-59429-metofc-9mgh-ghl8ty.json")
    plain = read_ocds(uk, state_code="ZZ").tables["solicitations"].to_dicts()
    assert [(t["method"], t["_problem"]) for t in plain] == [(
        "Open procedure", "tender.procurementMethodDetails: 'Open procedure' is not a code this mapping knows (known: "
                          "none yet; add it under codes: in publisher.yml)")]
    codes = Codes({"tender.procurementMethodDetails": {"Open procedure": "open"}})
    mapped = read_ocds(uk, state_code="ZZ", codes=codes).tables["solicitations"].to_dicts()
    assert [(t["method"], t["_problem"]) for t in mapped] == [("open", None)]


def test_details_are_not_read_when_the_method_is_given_and_an_optional_column_stays_empty(tmp_path):
    codes = Codes({"tender.procurementMethodDetails": {"Open procedure": "open"}})
    rel = release(tender={"id": "t", "procurementMethod": "selective", "procurementMethodDetails": "Open procedure"})
    assert read_one(tmp_path, rel, "solicitations", codes)["method"] == "selective"
    rel = release(tender={"id": "t", "procurementMethodDetails": "Something else"}, contracts=[{"id": "k"}])
    contract = read_one(tmp_path, rel, "contracts", codes)  # optional column: empty, the contract loads
    assert (contract["procurement_method"], contract["_problem"]) == (None, None)
    assert read_one(tmp_path, rel, "solicitations", codes)["_problem_columns"] == "method"


def test_details_overrides_must_name_a_procurement_method():
    from ingestion.files.mapping import MappingError, parse_mapping

    text = ("read: {format: ocds}\nocds:\n  state_code: ZZ\n  codes:\n    tender.procurementMethodDetails:\n"
            "      Open procedure: openn\n")
    with pytest.raises(MappingError, match=r"^m.yml:6: ocds.codes.tender.procurementMethodDetails: 'Open procedure' -> "
                                           r"'openn': 'openn' is not an OCDS tender.procurementMethod code; one of: "
                                           r"open, selective, limited, direct$"):
        parse_mapping(text, Path("m.yml"))
