"""Real data end to end: the Nevada eProcurement exports (tests/fixtures/nevada_epro, slices of the real files)
with the shipped mappings (mappings/nevada_epro) and the reference tables of `procure reference`, through
`procure run` to the published snapshot. Expected values are computed here from the CSV files with the
standard csv module, not from the warehouse.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "nevada_epro"
MAPPINGS = REPO / "mappings" / "nevada_epro"
BIN = Path(sys.executable).parent
COOP = {"NASPO ValuePoint": r"naspo|valuepoint", "Sourcewell": r"sourcewell|njpa",
        "OMNIA Partners": r"omnia|u\.?s\.? communities", "MMCAP": r"mmcap"}


def _rows(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _procure(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCURE_", "DAGSTER_HOME"))}
    env.update(PROCURE_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false", SODA_CORE_TELEMETRY_ENABLED="false")
    return subprocess.run([str(BIN / "procure"), *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def nevada(tmp_path_factory):
    home = tmp_path_factory.mktemp("nevada") / "data"
    landing = home / "landing" / "nevada_epro"
    landing.mkdir(parents=True)
    for f in FIXTURES.glob("*.csv"):
        shutil.copy(f, landing / f.name)
    for m in MAPPINGS.glob("*.yml"):
        shutil.copy(m, landing / m.name)
    ref = _procure(home, "reference", "--state", "NV")
    assert ref.returncode == 0, ref.stdout + ref.stderr
    run = _procure(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return home, run


def _query(home: Path, sql: str, db: str = "published") -> list[tuple]:
    path = home / "published" / "current.duckdb" if db == "published" else home / "warehouse" / "procure.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_row_is_loaded_and_the_run_publishes(nevada):
    home, run = nevada
    assert "snapshot" in run.stdout and "published" in run.stdout
    counts = dict(_query(home, "SELECT file, rows_loaded FROM raw._loads WHERE status = 'loaded' "
                               "AND entity IN ('contracts', 'purchase_orders', 'solicitations') "
                               "OR (entity = 'suppliers' AND file LIKE '%vendors.csv')", db="warehouse"))
    assert counts == {"nevada_epro/contracts.csv": len(_rows("contracts.csv")),
                      "nevada_epro/purchase_orders.csv": len(_rows("purchase_orders.csv")),
                      "nevada_epro/bids.csv": len(_rows("bids.csv")),
                      "nevada_epro/vendors.csv": len(_rows("vendors.csv"))}
    quarantined = _query(home, "SELECT sum(rows_quarantined) FROM raw._loads", db="warehouse")[0][0]
    assert quarantined == 0


def test_the_marts_show_nevadas_agencies_and_suppliers(nevada):
    home, _ = nevada
    organisations = ({r["Organization"].strip() for r in _rows("contracts.csv")}
                     | {r["Organization"].strip() for r in _rows("purchase_orders.csv")}
                     | {r["Organization Name"].strip() for r in _rows("bids.csv")}) - {""}
    agencies = {name for (name,) in _query(home, "SELECT agency_name FROM dim_agency WHERE state_code = 'NV'")}
    assert {a.strip() for a in agencies} == organisations
    # every supplier record (vendor file records and the vendor names POs and contracts carry) is counted in
    # exactly one published supplier; records of one supplier merge, so a name may be shown in another spelling
    vendor_ids = {r["Vendor ID"] for r in _rows("vendors.csv")}
    named = ({r["Vendor"].strip() for r in _rows("contracts.csv")} | {r["Vendor"].strip() for r in _rows("purchase_orders.csv")}) - {""}
    [(records, suppliers)] = _query(home, "SELECT sum(source_record_count), count(*) FROM dim_supplier")
    assert records == len(vendor_ids) + len(named)
    assert suppliers < records  # name variants across the three files were merged
    vendor_names = {r["Vendor Name"].strip().upper() for r in _rows("vendors.csv")} - {""}
    published = {name.strip().upper() for (name,) in _query(home, "SELECT supplier_name FROM dim_supplier")}
    assert len(vendor_names & published) >= 0.9 * len(vendor_names)


def test_cooperative_contracts_are_recognised(nevada):
    home, _ = nevada
    expected: dict[str, int] = {}
    for r in _rows("contracts.csv"):
        for programme, pattern in COOP.items():
            if re.search(pattern, r["Description"], re.I):
                expected[programme] = expected.get(programme, 0) + 1
                break
    got = dict(_query(home, "SELECT coop_program, count(*) FROM dim_contract WHERE coop_program IS NOT NULL GROUP BY 1"))
    assert got == expected
    assert set(got) == set(COOP) and sum(got.values()) >= 150
    vehicles = dict(_query(home, "SELECT vehicle, count(*) FROM dim_contract WHERE coop_program IS NOT NULL GROUP BY 1"))
    assert vehicles == {"participating_addendum": sum(expected.values())}


def test_release_pos_join_their_contracts(nevada):
    home, _ = nevada
    contracts = {r["Contract #"] for r in _rows("contracts.csv")}
    releases = {r["PO #"]: r["PO #"].split(":")[0] for r in _rows("purchase_orders.csv") if ":" in r["PO #"]}
    expected_joined = sum(1 for c in releases.values() if c in contracts)
    [(with_number, joined)] = _query(home, """
        SELECT count(*), count(c.contract_id) FROM fct_procure_to_pay p
        LEFT JOIN dim_contract c ON c.contract_id = p.contract_id WHERE p.contract_id IS NOT NULL""")
    assert with_number == len(releases)
    assert joined == expected_joined
    assert joined / with_number >= 0.98


def test_kpis_this_source_supports_are_computed_and_the_rest_say_why_not(nevada):
    home, _ = nevada
    rows = _query(home, """
        SELECT v.kpi_id, v.status, d.no_data_reason FROM kpi_values v JOIN kpi_definitions d USING (kpi_id)
        WHERE v.state_code = 'NV' AND v.agency_id IS NULL AND v.category_code IS NULL AND v.supplier_id IS NULL
          AND v.fiscal_month IS NULL""")
    computed = {k for k, status, _ in rows if status != "no_data"}
    no_data = {k: reason for k, status, reason in rows if status == "no_data"}
    # 8.3 (share of solicitations submitted electronically) and 3.2 (POs) come from these exports alone
    assert {"8.3", "1.1", "2.2", "5.2", "10.2", "11.4"} <= computed
    # Payment-side KPIs cannot: Nevada's exports have no invoices or payments; nor those needing categories
    assert {"7.2", "6.6", "2.3", "6.2", "1.2", "12.2"} <= set(no_data)
    # no red-flag rule can be evaluated on these exports (no thresholds, invoices, payments, bids, awards or
    # issue dates): red-flag incidence is no_data, not a clean 0 %
    assert "11.3" in no_data
    assert all(reason for reason in no_data.values())


def _nv_fiscal_year(day) -> int:
    # Nevada's fiscal year starts on 1 July (reference states.csv): FY2025 = July 2024 .. June 2025
    return day.year + 1 if day.month >= 7 else day.year


def _money(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", "").strip())


def _committed_by_year() -> dict[int, list[dict]]:
    """The export's purchase orders as committed spend, worked out here from the CSV: every PO is a line of
    spend at its total, dated on its Sent Date; its contract is the part of a release number before ':'."""
    from datetime import datetime

    contracts = {r["Contract #"]: (datetime.strptime(r["Begin Date"], "%m/%d/%Y").date(),
                                   datetime.strptime(r["End Date"], "%m/%d/%Y").date())
                 for r in _rows("contracts.csv")}
    years: dict[int, list[dict]] = {}
    for r in _rows("purchase_orders.csv"):
        day = datetime.strptime(r["Sent Date"], "%m/%d/%Y").date()
        amount = _money(r["Total"])
        named = r["PO #"].split(":")[0] if ":" in r["PO #"] else None
        term = contracts.get(named) if named else None
        years.setdefault(_nv_fiscal_year(day), []).append({
            "amount": amount, "named": named, "known": term is not None,
            "in_term": term is not None and term[0] <= day <= term[1], "vendor": r["Vendor"]})
    return years


def test_spend_kpis_run_on_committed_spend_and_match_a_recomputation_from_the_export(nevada):
    """Nevada delivers no payments: 1.1, 5.2 and 10.2 are computed on committed spend (its purchase orders),
    say so in basis, and match the same figures worked out here from the CSV with Decimal arithmetic."""
    home, _ = nevada
    published = {(k, fy): (num, den, value, basis, excluded) for k, fy, num, den, value, basis, excluded in _query(home, """
        SELECT kpi_id, fiscal_year, numerator, denominator, value, basis, excluded_rows FROM kpi_values
        WHERE state_code = 'NV' AND kpi_id IN ('1.1', '5.2', '10.2') AND agency_id IS NULL
          AND category_code IS NULL AND supplier_id IS NULL AND fiscal_month IS NULL AND value IS NOT NULL""")}
    checked = 0
    for year, pos in _committed_by_year().items():
        purchases = [p for p in pos if p["amount"] > 0]
        if not purchases:
            continue
        # 1.1: on a known contract and inside its term / all purchases; a PO naming a contract that is not in
        # contracts.csv is unknown: left out and counted
        known = [p for p in purchases if p["known"] or p["named"] is None]
        num = sum((p["amount"] for p in known if p["in_term"]), Decimal(0))
        den = sum((p["amount"] for p in known), Decimal(0))
        got = published[("1.1", year)]
        assert (got[0], got[1], got[3], got[4]) == (num, den, "committed", len(purchases) - len(known)), year
        assert got[2] == pytest.approx(float(num / den), rel=1e-12)
        # 5.2: outside the term / on a known contract
        on_contract = [p for p in purchases if p["known"]]
        if on_contract:
            got = published[("5.2", year)]
            off = sum((p["amount"] for p in on_contract if not p["in_term"]), Decimal(0))
            assert (got[0], got[1], got[3]) == (off, sum((p["amount"] for p in on_contract), Decimal(0)), "committed")
        # 10.2: no commodity codes in this export, so no line has complete data: 0 of the spend, a measured 0
        got = published[("10.2", year)]
        assert (got[0], got[1], got[3]) == (0, sum((p["amount"] for p in purchases), Decimal(0)), "committed")
        checked += 1
    assert checked >= 3


def test_coverage_says_which_kpis_nevada_computes_and_what_would_unlock_the_rest(nevada):
    home, _ = nevada
    rows = {k: (computed, basis, missing, coverage) for k, computed, basis, missing, coverage in _query(home, """
        SELECT kpi_id, is_computed, basis, missing_inputs, coverage FROM kpi_coverage
        WHERE state_code = 'NV' AND fiscal_year = 2024""")}
    assert len(rows) == len(_query(home, "SELECT kpi_id FROM kpi_definitions"))
    assert rows["1.1"][:2] == (True, "committed")
    # the inputs Nevada's four exports do not carry, named per KPI
    assert rows["2.3"] == (False, "committed", "commodity_codes", "inputs missing")
    assert rows["7.2"][2] == "invoices; payments"
    assert rows["3.2"][2] == "purchase_thresholds"
    assert rows["12.4"][2] == "coop_sales"
    assert rows["11.3"][3] == "inputs missing" and "payments or purchase_thresholds" in rows["11.3"][2]
    assert all(missing for computed, _, missing, coverage in rows.values() if coverage == "inputs missing")
    cli = _procure(home, "coverage", "--state", "NV", "--fiscal-year", "2024")
    assert cli.returncode == 0, cli.stderr
    computed = sum(1 for r in rows.values() if r[0])
    assert f"NV fiscal year 2024: {computed} of {len(rows)} KPIs computed" in cli.stdout
    assert "1.1 [committed]" in cli.stdout and "commodity_codes: " in cli.stdout


@pytest.fixture(scope="module")
def contracts_only(tmp_path_factory):
    """A source of contracts alone (Nevada's contract register): no purchase, payment or sourcing data."""
    home = tmp_path_factory.mktemp("contracts_only") / "data"
    landing = home / "landing" / "nevada_epro"
    landing.mkdir(parents=True)
    shutil.copy(FIXTURES / "contracts.csv", landing / "contracts.csv")
    shutil.copy(MAPPINGS / "contracts.yml", landing / "contracts.yml")
    ref = _procure(home, "reference", "--state", "NV")
    assert ref.returncode == 0, ref.stdout + ref.stderr
    run = _procure(home, "run")
    return home, run


def test_a_contracts_only_source_publishes_kpis_that_say_no_data_and_why(contracts_only):
    home, run = contracts_only
    assert run.returncode == 0 and "published" in run.stdout, run.stdout + run.stderr
    contracts = _rows("contracts.csv")
    assert _query(home, "SELECT count(*) FROM dim_contract") == [(len(contracts),)]
    # every KPI of the catalogue is there for Nevada, as no_data with a NULL value, never a zero
    statuses = _query(home, "SELECT status, count(*), count(value), count(DISTINCT kpi_id) FROM kpi_values "
                            "WHERE state_code = 'NV' GROUP BY status")
    defined = _query(home, "SELECT count(*) FROM kpi_definitions")[0][0]
    assert statuses == [("no_data", statuses[0][1], 0, defined)]
    # one row per KPI and fiscal year in which a contract starts
    years = _query(home, "SELECT count(DISTINCT fiscal_year) FROM kpi_values")[0][0]
    assert statuses[0][1] == defined * years and years > 1
    reasons = _query(home, "SELECT count(*) FROM kpi_definitions WHERE coalesce(no_data_reason, '') = ''")
    assert reasons == [(0,)]
