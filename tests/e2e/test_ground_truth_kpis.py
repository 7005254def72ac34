"""End to end: every KPI of the generator's ground truth equals the published snapshot's kpi_values.

Generates the scale-0.002 data set into a fresh PROCURE_HOME, runs the whole pipeline through the real CLI
(`procure run`: ingestion, dbt, Soda gate, publication), then compares each row of truth/synthetic/kpis.csv
(state x fiscal year and state x agency x fiscal year, computed by the generator while generating, see
docs/kpi_rules.md) with the snapshot: numerator and denominator exactly, value within 1e-9. Every difference
is collected first, grouped by KPI (missing KPI, missing rows, differing rows, unexpected rows with a
population), and reported in one assertion. Rows of kpi_values without a population (no_data: NULL
numerator and denominator) for periods the truth has no row for are not differences.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SCALE = "0.002"
SEED = "42"
TOLERANCE = 1e-9


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCURE_", "DAGSTER_HOME"))}
    env.update(PROCURE_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false", SODA_CORE_TELEMETRY_ENABLED="false")
    return env


def _procure(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "procure"), *args], env=_env(home), capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("truth_kpis") / "data"
    gen = _procure(home, "generate", "--scale", SCALE, "--seed", SEED)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    run = _procure(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return home


def _truth(home: Path) -> list[dict]:
    with open(home / "truth" / "synthetic" / "kpis.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _snapshot(home: Path, kpi_ids: list[str]) -> dict[tuple[str, str, str, int], tuple]:
    """(kpi_id, state_code, agency_id or '', fiscal_year) -> (numerator, denominator, value) of the snapshot's
    state x FY and state x agency x FY rows (no category, supplier or month) of the given KPIs."""
    con = duckdb.connect(str(home / "published" / "current.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT kpi_id, state_code, coalesce(agency_id, ''), fiscal_year, numerator, denominator, value"
            " FROM kpi_values WHERE category_code IS NULL AND supplier_id IS NULL AND fiscal_month IS NULL"
            f" AND kpi_id IN ({', '.join('?' for _ in kpi_ids)})", kpi_ids).fetchall()
    finally:
        con.close()
    return {(r[0], r[1], r[2], int(r[3])): (r[4], r[5], r[6]) for r in rows}


def _differs(truth: dict, got: tuple) -> str | None:
    num, den, val = got
    problems = []
    if num is None or Decimal(str(num)) != Decimal(truth["numerator"]):
        problems.append(f"numerator {num} != {truth['numerator']}")
    if den is None or Decimal(str(den)) != Decimal(truth["denominator"]):
        problems.append(f"denominator {den} != {truth['denominator']}")
    if truth["value"] == "":
        if val is not None:
            problems.append(f"value {val} != NULL")
    elif val is None or abs(float(val) - float(truth["value"])) > TOLERANCE:
        problems.append(f"value {val} != {truth['value']}")
    return "; ".join(problems) or None


def test_every_ground_truth_kpi_matches_the_snapshot(published):
    home = published
    truth = _truth(home)
    kpi_ids = sorted({t["kpi_id"] for t in truth}, key=lambda k: [int(x) for x in k.split(".")])
    assert len(kpi_ids) >= 13, kpi_ids
    snap = _snapshot(home, kpi_ids)
    expected = {(t["kpi_id"], t["state_code"], t["agency_id"], int(t["fiscal_year"])): t for t in truth}

    report: list[str] = []
    for kpi in kpi_ids:
        mine = {k: v for k, v in expected.items() if k[0] == kpi}
        theirs = {k: v for k, v in snap.items() if k[0] == kpi}
        if not theirs:
            report.append(f"KPI {kpi}: missing from kpi_values (no state x FY or state x agency x FY row; "
                          f"{len(mine)} expected)")
            continue
        missing = sorted(k for k in mine if k not in theirs)
        # kpi_values may carry no_data rows (no numerator, no denominator) for periods without a population;
        # a row with a population the truth does not have is a disagreement
        extra = sorted(k for k in theirs if k not in mine and theirs[k][1] is not None and Decimal(str(theirs[k][1])) != 0)
        differ = sorted((k, d) for k in mine if k in theirs and (d := _differs(mine[k], theirs[k])))
        if not (missing or extra or differ):
            continue
        lines = [f"KPI {kpi}: {len(mine)} expected rows: {len(missing)} missing, {len(differ)} differ, "
                 f"{len(extra)} unexpected"]
        lines += [f"    missing    {k[1]} {k[2] or '(state)'} FY{k[3]}" for k in missing[:5]]
        lines += [f"    differs    {k[1]} {k[2] or '(state)'} FY{k[3]}: {d}" for k, d in differ[:5]]
        lines += [f"    unexpected {k[1]} {k[2] or '(state)'} FY{k[3]}: {theirs[k]}" for k in extra[:5]]
        report.append("\n".join(lines))
    matching = [k for k in kpi_ids if not any(r.startswith(f"KPI {k}:") for r in report)]
    assert not report, (f"{len(report)} of {len(kpi_ids)} ground-truth KPIs do not match the snapshot "
                        f"(matching: {', '.join(matching) or 'none'}):\n" + "\n".join(report))


def test_independent_recomputation_from_landing_files_matches_the_snapshot(published):
    """The tests' own polars recomputation (straight from the landing CSVs, never from the marts) equals kpi_values."""
    from tests.ingestion.test_synthetic import _recompute

    home = published
    mine = _recompute(home / "landing" / "synthetic", home / "truth" / "synthetic")
    kpi_ids = sorted(set(mine["kpi_id"]), key=lambda k: [int(x) for x in k.split(".")])
    assert len(kpi_ids) >= 10, kpi_ids
    snap = _snapshot(home, kpi_ids)
    report = []
    for r in mine.iter_rows(named=True):
        key = (r["kpi_id"], r["state_code"], r["agency_id"] or "", int(r["fiscal_year"]))
        value = "" if r["value_f"] is None else repr(r["value_f"])
        expected = {"numerator": str(r["numerator"]), "denominator": str(r["denominator"]), "value": value}
        got = snap.get(key)
        problem = "missing from kpi_values" if got is None else _differs(expected, got)
        if problem:
            report.append(f"{key}: {problem}")
    assert not report, f"{len(report)} of {mine.height} recomputed rows differ:\n" + "\n".join(report[:20])
