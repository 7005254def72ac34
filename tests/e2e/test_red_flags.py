"""End to end: the published red_flags against the synthetic generator's own findings, rule by rule.

The default data set (scale 0.02, seed 42) is generated and run through the real CLI (`procure generate`,
`procure run`); `red_flags` is read from the published snapshot and compared with
truth/synthetic/anomalies.csv, which the generator computes with its own implementation of
docs/red_flags.md. Every rule must have expected findings (none may pass vacuously), and each must reach
recall >= 0.95 and precision >= 0.90; all rules are measured before one assertion reports them all.
"""

import csv
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

RULES = [f"RF{i:02d}" for i in range(1, 21)]
MIN_RECALL = 0.95
MIN_PRECISION = 0.90


@pytest.fixture(scope="module")
def published(default_home) -> Path:
    """The default data set (scale 0.02, seed 42), run once per session (tests/e2e/conftest.py)."""
    return default_home


def _expected(home: Path) -> dict[str, set[tuple[str, str]]]:
    path = home / "truth" / "synthetic" / "anomalies.csv"
    assert path.exists(), f"{path} is missing: the generator (v2) writes every rule's expected findings there"
    expected: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            expected[row["rule_id"]].add((row["entity_type"], row["entity_id"]))
    return expected


def _found(home: Path) -> dict[str, set[tuple[str, str]]]:
    con = duckdb.connect(str(home / "published" / "current.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT rule_id, entity_type, entity_id FROM red_flags").fetchall()
    finally:
        con.close()
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for rule_id, entity_type, entity_id in rows:
        found[rule_id].add((entity_type, entity_id))
    return found


def test_red_flags_match_the_generators_findings_per_rule(published):
    expected, found = _expected(published), _found(published)
    report, failures = [], []
    for rule in RULES:
        exp, got = expected.get(rule, set()), found.get(rule, set())
        hits = len(exp & got)
        recall = hits / len(exp) if exp else 0.0
        precision = hits / len(got) if got else 0.0
        missed, extra = sorted(exp - got)[:3], sorted(got - exp)[:3]
        line = (f"{rule}: expected {len(exp)}, flagged {len(got)}, matched {hits}, recall {recall:.3f}, "
                f"precision {precision:.3f}; missed e.g. {missed}; unexpected e.g. {extra}")
        report.append(line)
        if not exp:
            failures.append(f"{rule}: no expected finding in the truth (the rule would pass vacuously)")
        elif recall < MIN_RECALL or precision < MIN_PRECISION:
            failures.append(line)
    unknown = sorted(set(found) - set(RULES))
    if unknown:
        failures.append(f"rule ids outside RF01..RF20 in red_flags: {unknown}")
    assert not failures, "\n".join(["failing rules:", *failures, "", "every rule:", *report])


def test_red_flags_have_one_row_per_entity_and_readable_evidence(published):
    con = duckdb.connect(str(published / "published" / "current.duckdb"), read_only=True)
    try:
        dupes = con.execute(
            "SELECT rule_id, entity_type, entity_id, count(*) FROM red_flags GROUP BY 1, 2, 3 HAVING count(*) > 1"
        ).fetchall()
        empty = con.execute(
            "SELECT rule_id, count(*) FROM red_flags WHERE evidence IS NULL OR evidence = '' OR state_code IS NULL "
            "OR rule_name IS NULL GROUP BY 1"
        ).fetchall()
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'red_flags' ORDER BY ordinal_position"
        ).fetchall()]
    finally:
        con.close()
    assert not dupes, dupes[:5]
    assert not empty, empty
    assert columns == ["rule_id", "rule_name", "entity_type", "entity_id", "state_code", "agency_id", "supplier_id",
                       "amount", "detected_at", "evidence"]
