"""End to end: a publication (`procure run` on the default data set) leaves the executive briefings of its snapshot
in published/briefings/<snapshot_id>/, and a briefing's numbers are the snapshot's, computed here with SQL of
its own (not dashboards/data.py's)."""

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dashboards import format as fmt
from tests.dashboards.test_briefing import parse_rows

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def published(default_home) -> Path:
    """published/ of the default data set's run (once per session, tests/e2e/conftest.py)."""
    return default_home / "published"


@pytest.fixture(scope="module")
def snapshot(published) -> Path:
    current = published / "current.duckdb"
    assert current.exists(), "the run published no snapshot"
    return current.resolve()


def sql(snapshot: Path, query: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def chosen(snapshot) -> tuple[str, int]:
    """The state x fiscal year with the most red flags among those with state-level savings (deterministic)."""
    return sql(snapshot, """
        SELECT r.state_code, d.fiscal_year
        FROM red_flags AS r JOIN dim_date AS d ON d.state_code = r.state_code AND d.date_day = r.detected_at
        WHERE EXISTS (SELECT 1 FROM savings AS s WHERE s.state_code = r.state_code AND s.fiscal_year = d.fiscal_year
                        AND s.agency_id IS NULL AND s.category_code IS NULL)
        GROUP BY ALL ORDER BY count(*) DESC, 1, 2 LIMIT 1""")[0]


def day(d) -> str:
    return f"{d.day} {d:%b %Y}"


def test_publication_writes_one_briefing_per_state_and_year_with_data(published, snapshot):
    folder = published / "briefings" / snapshot.stem
    assert folder.is_dir(), f"no briefings for the current snapshot: {sorted((published / 'briefings').glob('*'))}"
    expected = {f"{s}-FY{y}.html" for s, y in sql(
        snapshot, "SELECT DISTINCT state_code, fiscal_year FROM kpi_values WHERE value IS NOT NULL")}
    assert len(expected) >= 4
    assert {p.name for p in folder.iterdir()} == expected | {"index.html"}
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert all(f'<a href="{name}">' in index for name in expected)
    assert snapshot.stem in index


def test_a_briefing_shows_the_snapshots_numbers(published, snapshot, chosen):
    state, year = chosen
    html = (published / "briefings" / snapshot.stem / f"{state}-FY{year}.html").read_text(encoding="utf-8")
    (state_name,), = sql(snapshot, "SELECT state_name FROM dim_state WHERE state_code = ?", [state])
    (through,), = sql(snapshot, "SELECT max(payment_date) FROM fct_payments WHERE state_code = ?", [state])
    (created,), = sql(snapshot, "SELECT created_at FROM snapshot_manifest")
    assert f'<span class="state">{state_name}</span> <span class="fy">Fiscal year {year}</span>' in html
    assert f'<dd data-field="snapshot-id"><code>{snapshot.stem}</code></dd>' in html
    assert f'<dd data-field="published-at">{created:%Y-%m-%d %H:%M} UTC</dd>' in html
    assert f'<dd data-field="data-through">{day(through)}</dd>' in html

    rows = parse_rows(html)
    # the scorecard: the state-level rows of attribute_scorecard
    card = {a["data-attribute-id"]: cells for a, cells in rows if "data-attribute-id" in a}
    expected = sql(snapshot, """
        SELECT attribute_id, score, score_change, kpis_on_target, kpis_scored, kpis_with_data, kpis_defined
        FROM attribute_scorecard WHERE state_code = ? AND agency_id IS NULL AND fiscal_year = ?""", [state, year])
    assert len(expected) == 12 and sorted(card) == sorted(str(r[0]) for r in expected)
    for attribute_id, score, change, on_target, scored, with_data, defined in expected:
        cells = card[str(attribute_id)]
        code, words = fmt.score_band(score)
        assert cells[2] == fmt.score(score), attribute_id
        assert cells[4] == f"{fmt.STATUS[code][0]} {words}", attribute_id
        assert cells[5] == fmt.change(change), attribute_id
        assert cells[6:8] == [f"{on_target} of {scored}", f"{with_data} of {defined}"], attribute_id

    # savings: one line per method and baseline of the state's fiscal year, never summed across methods
    methods = {(a["data-method"], a["data-baseline-kind"]): cells for a, cells in rows if "data-method" in a}
    expected = sql(snapshot, """
        SELECT method, baseline_kind, sum(savings_amount), sum(baseline_amount),
               sum(savings_amount) / nullif(sum(baseline_amount), 0)
        FROM savings WHERE state_code = ? AND fiscal_year = ? AND agency_id IS NULL AND category_code IS NULL
        GROUP BY ALL""", [state, year])
    assert expected and sorted(methods) == sorted((m, k) for m, k, *_ in expected)
    for method, kind, savings, baseline, rate in expected:
        assert methods[(method, kind)][3:6] == [fmt.money(savings), fmt.money(baseline), fmt.pct(rate, signed=True)]

    # top risks: the five largest findings detected in the state's fiscal year, and the count per rule
    flags = sql(snapshot, """
        SELECT r.rule_id, r.entity_id, r.amount
        FROM red_flags AS r JOIN dim_date AS d ON d.state_code = r.state_code AND d.date_day = r.detected_at
        WHERE r.state_code = ? AND d.fiscal_year = ?
        ORDER BY r.amount DESC NULLS LAST, r.rule_id, r.entity_id LIMIT 5""", [state, year])
    shown = [(a["data-rule-id"], a["data-entity-id"], cells[0]) for a, cells in rows if "data-entity-id" in a]
    assert shown == [(rule, entity, fmt.money(amount)) for rule, entity, amount in flags]
    per_rule = dict(sql(snapshot, """
        SELECT r.rule_id, count(*)
        FROM red_flags AS r JOIN dim_date AS d ON d.state_code = r.state_code AND d.date_day = r.detected_at
        WHERE r.state_code = ? AND d.fiscal_year = ? GROUP BY 1""", [state, year]))
    listed = re.findall(r'<li data-rule-id="(RF\d+)"><span class="n">([\d,]+)</span>', html)
    assert {rule: int(n.replace(",", "")) for rule, n in listed} == per_rule
    assert f"{sum(per_rule.values()):,} red-flag finding" in html


def test_briefings_of_a_publication_never_fail_it(snapshot, tmp_path, monkeypatch):
    """The hook of the published_snapshot asset: a failure is a warning and metadata, never an exception."""
    home = tmp_path / "data"
    for var, value in (("PROCURE_HOME", home), ("PROCURE_PUBLISHED", home / "published"),
                       ("PROCURE_WAREHOUSE", home / "warehouse" / "procure.duckdb"), ("DAGSTER_HOME", home / "dagster"),
                       ("PROCURE_DUCKDB_MEMORY", "1GB"), ("PROCURE_DUCKDB_THREADS", "1")):
        monkeypatch.setenv(var, str(value))  # importing orchestration exports the environment: undone after the test
    import dashboards.briefing
    from orchestration.defs.publish.assets import write_snapshot_briefings
    from warehouse.publish import SnapshotInfo

    class Log:
        def __init__(self):
            self.warnings, self.infos = [], []

        def warning(self, message):
            self.warnings.append(message)

        def info(self, message):
            self.infos.append(message)

    info = SnapshotInfo(snapshot_id=snapshot.stem, path=snapshot, created_at=datetime.now(), manifest={})
    out_dir = home / "published" / "briefings" / snapshot.stem
    calls = []

    def written(snapshot_path, folder):
        calls.append((Path(snapshot_path), Path(folder)))
        return [folder / "NV-FY2025.html", folder / "NV-FY2024.html", folder / "index.html"]

    monkeypatch.setattr(dashboards.briefing, "write_briefings", written)
    log = Log()
    meta = write_snapshot_briefings(log, info)
    assert calls == [(snapshot, out_dir)]
    assert meta == {"count": 2, "dir": str(out_dir)} and not log.warnings

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(dashboards.briefing, "write_briefings", broken)
    log = Log()
    meta = write_snapshot_briefings(log, info)
    assert meta == {"count": 0, "dir": str(out_dir), "error": "OSError: No space left on device"}
    assert len(log.warnings) == 1
    assert f"snapshot {snapshot.stem} is published" in log.warnings[0]
    assert "No space left on device" in log.warnings[0] and "procure briefing" in log.warnings[0]
