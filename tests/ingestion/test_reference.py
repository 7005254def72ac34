"""`procure reference` for US states, ISO countries and subdivisions and codes of one's own (ingestion/reference):
through the CLI (subprocess, as a user runs it), and the written files loaded by the real loader into DuckDB.

Expected facts are the sources' (holidays package, ISO 3166, CLDR, the Factbook table), not re-derived here.
"""

import csv
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingestion.common.loader import ingest

BIN = Path(sys.executable).parent


def _procure(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "procure"), "reference", *args], capture_output=True, text=True, timeout=120)


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def ref(procure_home) -> Path:
    return procure_home / "landing" / "reference"


def test_a_country_gets_name_fiscal_year_currency_and_holidays(ref):
    proc = _procure("--country", "MX", "--first-year", "2025", "--last-year", "2025")
    assert proc.returncode == 0, proc.stderr
    assert _csv(ref / "states.csv") == [{"state_code": "MX", "state_name": "Mexico", "fiscal_year_start_month": "1",
                                         "small_business_goal_pct": "", "currency": "MXN"}]
    holidays = {(h["state_code"], h["holiday_date"]) for h in _csv(ref / "holidays.csv")}
    assert ("MX", "2025-09-16") in holidays and ("MX", "2025-01-01") in holidays  # Independence Day, New Year
    assert all(day.startswith("2025-") for _, day in holidays)
    # where each fact came from is said
    assert "CIA World Factbook" in proc.stdout and "CLDR" in proc.stdout and "ISO 3166" in proc.stdout


def test_an_alpha3_code_and_an_april_fiscal_year(ref):
    assert _procure("--country", "CAN").returncode == 0
    [row] = _csv(ref / "states.csv")
    assert (row["state_code"], row["state_name"], row["fiscal_year_start_month"], row["currency"]) == ("CAN", "Canada", "4", "CAD")


def test_writing_again_keeps_the_other_codes_rows_and_what_was_filled_in_by_hand(ref):
    assert _procure("--state", "NV", "--first-year", "2024", "--last-year", "2024").returncode == 0
    # the installation fills in a goal and a column of its own
    rows = _csv(ref / "states.csv")
    rows[0]["small_business_goal_pct"] = "20.0"
    with open(ref / "states.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=[*rows[0], "note"])
        w.writeheader()
        w.writerows([{**r, "note": "by hand"} for r in rows])
    nv_holidays = [h for h in _csv(ref / "holidays.csv")]
    assert _procure("--country", "MX", "--first-year", "2024", "--last-year", "2024").returncode == 0
    assert _procure("--code", "coop1", "--name", "Western Buying Cooperative", "--fiscal-year-start", "7",
                    "--currency", "usd").returncode == 0
    states = {r["state_code"]: r for r in _csv(ref / "states.csv")}
    assert list(states) == ["NV", "MX", "COOP1"]
    assert states["NV"]["small_business_goal_pct"] == "20.0" and states["NV"]["note"] == "by hand"
    assert states["COOP1"] == {"state_code": "COOP1", "state_name": "Western Buying Cooperative", "fiscal_year_start_month": "7",
                               "small_business_goal_pct": "", "currency": "USD", "note": ""}
    holidays = _csv(ref / "holidays.csv")
    assert [h for h in holidays if h["state_code"] == "NV"] == nv_holidays
    assert not [h for h in holidays if h["state_code"] == "COOP1"]  # no holidays asked for: none invented

    # NV again, other years: its holidays are replaced, its hand-filled goal kept, MX untouched
    mx_before = [h for h in holidays if h["state_code"] == "MX"]
    assert _procure("--state", "NV", "--first-year", "2025", "--last-year", "2025").returncode == 0
    states = {r["state_code"]: r for r in _csv(ref / "states.csv")}
    assert list(states) == ["NV", "MX", "COOP1"] and states["NV"]["small_business_goal_pct"] == "20.0"
    holidays = _csv(ref / "holidays.csv")
    assert {h["holiday_date"][:4] for h in holidays if h["state_code"] == "NV"} == {"2025"}
    assert [h for h in holidays if h["state_code"] == "MX"] == mx_before


def test_two_places_under_one_code_are_refused(ref):
    assert _procure("--state", "CA").returncode == 0
    proc = _procure("--country", "CA")
    assert proc.returncode == 2
    assert "the code CA is already 'California', not 'Canada'" in proc.stderr and "--code CAN" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _procure("--country", "CA", "--code", "CAN").returncode == 0
    assert [(r["state_code"], r["state_name"]) for r in _csv(ref / "states.csv")] == [("CA", "California"), ("CAN", "Canada")]


@pytest.mark.parametrize("args, fragment", [
    (["--country", "GB"], "'6 April - 5 April', which does not start on the 1st of a month"),
    (["--country", "MX-CMX"], "the fiscal year of a subdivision is not known here"),
    (["--country", "ZW"], "give --currency CODE"),            # two legal tenders in CLDR
    (["--country", "XX"], "not an ISO 3166-1 country code"),
    (["--country", "MX-ZZZ"], "not an ISO 3166-2 subdivision code"),
    (["--code", "XYZ", "--name", "Somewhere"], "needs --fiscal-year-start, --currency"),
    (["--code", "XYZ", "--name", "Somewhere", "--fiscal-year-start", "4", "--currency", "EURO"], "not an ISO 4217 currency code"),
    (["--code", "X Y", "--name", "S", "--fiscal-year-start", "4", "--currency", "EUR"], "a code is 1-20 letters, digits"),
    (["--state", "NV", "--currency", "EUR"], "go with --country or --code"),
    ([], "say what to write"),
])
def test_a_fact_not_known_or_wrong_names_the_option_and_writes_nothing(ref, args, fragment):
    proc = _procure(*args)
    assert proc.returncode == 2, proc.stdout
    assert fragment in proc.stderr.replace("\n", "") and "Traceback" not in proc.stderr
    assert "--fiscal-year-start" in proc.stderr or "--currency" in proc.stderr or "--code" in proc.stderr or not args
    assert not (ref / "states.csv").exists()


def test_a_subdivision_with_its_fiscal_year_given_and_a_custom_code_with_a_countrys_holidays(ref):
    assert _procure("--country", "MX-CMX", "--fiscal-year-start", "1", "--first-year", "2025", "--last-year", "2025").returncode == 0
    proc = _procure("--code", "BAVARIA-COOP", "--name", "Bavarian cooperative", "--fiscal-year-start", "1", "--currency", "EUR",
                    "--holidays", "DE-BY", "--first-year", "2025", "--last-year", "2025")
    assert proc.returncode == 0, proc.stderr
    states = {r["state_code"]: r for r in _csv(ref / "states.csv")}
    assert states["MX-CMX"]["state_name"] == "Ciudad de México" and states["MX-CMX"]["currency"] == "MXN"
    by_code: dict[str, set[str]] = {}
    for h in _csv(ref / "holidays.csv"):
        by_code.setdefault(h["state_code"], set()).add(h["holiday_date"])
    assert "2025-09-16" in by_code["MX-CMX"]
    assert "2025-01-06" in by_code["BAVARIA-COOP"]  # Epiphany: a Bavarian (not nationwide German) holiday


def test_the_written_files_load_without_quarantine(ref, tmp_path):
    for args in (["--state", "NV"], ["--country", "MX"], ["--country", "MX-CMX", "--fiscal-year-start", "1"],
                 ["--code", "XYZ", "--name", "X", "--fiscal-year-start", "10", "--currency", "EUR"]):
        assert _procure(*args, "--first-year", "2025", "--last-year", "2025").returncode == 0
    wh = tmp_path / "wh.duckdb"
    report = ingest(ref.parent, wh)
    by = report.by_entity()
    assert by["states"]["rows_loaded"] == 4 and by["states"]["rows_quarantined"] == 0
    assert by["holidays"]["rows_quarantined"] == 0 and by["holidays"]["rows_loaded"] > 0
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT state_code, currency FROM raw.states ORDER BY state_code").fetchall() == [
            ("MX", "MXN"), ("MX-CMX", "MXN"), ("NV", "USD"), ("XYZ", "EUR")]
    finally:
        con.close()
