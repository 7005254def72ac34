"""The facts incremental by fiscal month, through the real Dagster dbt asset on a real (small) warehouse.

One full build is shared by the module (its tests run in order on it):
- a backfill of one month (a run with a partition key) rewrites that month only: the other months keep the
  dbt invocation that wrote them, and the tables still equal a full build;
- the incremental rule: after late files move records between months (a payment, an invoice, a purchase
  order, a cooperative sales line, in new versions) and add a payment, a daily-style build rewrites exactly
  the months those records left or entered (and, for invoices, the months of the invoices they touch), and
  the tables then equal a --full-refresh rebuild;
- a change in a dimension (a supplier) rewrites every month;
- the facts built alone with a daily run's tags (their upstream tables possibly stale) are rewritten whole,
  as a backfill of every month, without advancing their watermark.
"""

import csv
import json
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import _PATH_VARS as PATH_VARS

FACTS = ("fct_payments", "fct_invoices", "fct_purchase_order_lines", "fct_coop_sales")
META = ("_invocation_id", "_loaded_through")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A generated, ingested and fully built warehouse (a first build: every month); the Dagster dbt asset and
    an instance to run it."""
    from ingestion.common.loader import ingest
    from ingestion.synthetic.generator import generate

    home = tmp_path_factory.mktemp("facts") / "data"
    with pytest.MonkeyPatch.context() as mp:
        for var in PATH_VARS:
            mp.delenv(var, raising=False)
        mp.setenv("PROCURE_HOME", str(home))
        mp.setenv("PROCURE_WAREHOUSE", str(home / "warehouse" / "procure.duckdb"))  # as export_environment() will
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        from orchestration.environment import export_environment
        from procure_cli.runner import dbt_parse

        export_environment()
        dbt_parse()
        from orchestration.defs.transform.assets import dbt_models
        from orchestration.partitions import full_range_tags
        from orchestration.resources import build_resources
        from warehouse.settings import get_settings

        settings = get_settings()
        generate(settings.landing / "synthetic", settings.truth / "synthetic", scale=0.002, seed=7)
        ingest(settings.landing, settings.warehouse)
        facts = [dg.AssetKey(["marts", f]) for f in FACTS]
        defs = dg.Definitions(
            assets=[dbt_models],
            jobs=[
                dg.define_asset_job("all_models", selection=dg.AssetSelection.assets(dbt_models), executor_def=dg.in_process_executor),
                dg.define_asset_job("coop_sales", selection=dg.AssetSelection.assets(facts[3]), executor_def=dg.in_process_executor),
                dg.define_asset_job("facts", selection=dg.AssetSelection.assets(*facts), executor_def=dg.in_process_executor),
                # a daily run builds the facts with every model upstream of them (they read those tables)
                dg.define_asset_job("daily", selection=dg.AssetSelection.assets(*facts).upstream() & dg.AssetSelection.assets(dbt_models),
                                    executor_def=dg.in_process_executor),
            ],
            resources=build_resources(),
        )
        instance = dg.DagsterInstance.ephemeral()
        state = {"defs": defs, "instance": instance, "settings": settings, "daily_tags": full_range_tags()}
        # every model (a subset run on a fresh warehouse would fail: dbt's eager test selection picks the
        # relationship tests of the models it builds, whichever other model they read)
        result = defs.resolve_job_def("all_models").execute_in_process(instance=instance, tags=state["daily_tags"])
        assert result.success
        yield state


def _run(env, job: str, *, partition_key: str | None = None, daily: bool = False, full_refresh: bool = False):
    from warehouse.lock import release_process_holds

    result = env["defs"].resolve_job_def(job).execute_in_process(
        instance=env["instance"],
        partition_key=partition_key,
        tags=env["daily_tags"] if daily else None,
        run_config={"resources": {"dbt_options": {"config": {"full_refresh": full_refresh}}}},
        raise_on_error=False,
    )
    release_process_holds()
    assert result.success, [e.message for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    return result


def _con(env):
    return duckdb.connect(str(env["settings"].warehouse), read_only=True)


def _rows(env, fact: str) -> list[tuple]:
    """The fact's content without the build metadata, in a fixed order."""
    con = _con(env)
    try:
        return con.execute(f"SELECT * EXCLUDE ({', '.join(META)}) FROM marts.{fact} ORDER BY ALL").fetchall()
    finally:
        con.close()


def _writers(env, fact: str) -> dict[str, set[str]]:
    """month -> the dbt invocations that wrote its rows."""
    con = _con(env)
    try:
        rows = con.execute(f"SELECT period_month, _invocation_id FROM marts.{fact}").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for month, inv in rows:
        out.setdefault(str(month), set()).add(inv)
    return out


def _rewritten(before: dict[str, set[str]], after: dict[str, set[str]]) -> set[str]:
    return {m for m in set(before) | set(after) if before.get(m) != after.get(m)}


def test_backfill_of_one_month_rewrites_only_that_month(env):
    before = {f: (_rows(env, f), _writers(env, f)) for f in FACTS}
    con = _con(env)
    watermark = con.execute("SELECT max(_loaded_through) FROM marts.fct_payments").fetchone()[0]
    con.close()
    _run(env, "facts", partition_key="2024-03-01")
    for fact in FACTS:
        rows_before, writers_before = before[fact]
        writers_after = _writers(env, fact)
        assert _rewritten(writers_before, writers_after) == {"2024-03-01"}, fact
        assert len(writers_after["2024-03-01"]) == 1 and writers_after["2024-03-01"] != writers_before["2024-03-01"]
        assert _rows(env, fact) == rows_before, fact  # = the full build
    con = _con(env)
    assert con.execute("SELECT max(_loaded_through) FROM marts.fct_payments").fetchone()[0] == watermark  # not advanced
    con.close()


def _month(value: str) -> str:
    return value[:7] + "-01"


def _shift(value: str, months: int) -> str:
    d = date.fromisoformat(value)
    k = d.year * 12 + d.month - 1 + months
    return date(k // 12, k % 12 + 1, min(d.day, 28)).isoformat()


def _late_file(env, entity: str, pick, change, extra=None) -> dict:
    """Write landing/late/<entity>.csv: a new version of the first row `pick` accepts (changed by `change`),
    plus `extra` rows; return the original row."""
    src = env["settings"].landing / "synthetic" / f"{entity}.csv"
    with open(src, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        rows = list(reader)
    original = next(r for r in rows if pick(r))
    out = [change(dict(original))] + [e(dict(r)) for r, e in (extra or [])]
    dest = env["settings"].landing / "late" / f"{entity}.csv"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(out)
    return original


def test_incremental_build_rewrites_the_touched_months_and_equals_a_full_rebuild(env):
    from ingestion.common.loader import ingest

    before = {f: _writers(env, f) for f in FACTS}
    con = _con(env)
    all_months = {f: {str(r[0]) for r in con.execute(f"SELECT DISTINCT period_month FROM marts.{f}").fetchall()} for f in FACTS}
    con.close()

    # a payment paying an invoice moves three months later; a new payment (a copy of another one) arrives
    paid = _late_file(
        env, "payments",
        pick=lambda r: r["payment_date"].startswith("2024-05") and r["invoice_id"],
        change=lambda r: {**r, "payment_date": _shift(r["payment_date"], 3)},
    )
    con = _con(env)
    other = con.execute(
        "SELECT payment_id FROM raw.payments WHERE invoice_id IS NOT NULL AND payment_date BETWEEN DATE '2023-02-01' AND DATE '2023-02-28' ORDER BY 1 LIMIT 1"
    ).fetchone()[0]
    con.close()
    with open(env["settings"].landing / "synthetic" / "payments.csv", newline="", encoding="utf-8") as fh:
        copied = next(r for r in csv.DictReader(fh) if r["payment_id"] == other)
    with open(env["settings"].landing / "late" / "payments.csv", "a", newline="", encoding="utf-8") as fh:
        csv.DictWriter(fh, fieldnames=list(copied)).writerow({**copied, "payment_id": "LATE-P-1"})
    invoice = _late_file(
        env, "invoices",
        pick=lambda r: r["received_date"].startswith("2024-03"),
        change=lambda r: {**r, **{c: _shift(r[c], 2) for c in ("invoice_date", "received_date", "due_date") if r[c]}},
    )
    po = _late_file(
        env, "purchase_orders",
        pick=lambda r: r["po_date"].startswith("2024-02"),
        change=lambda r: {**r, "po_date": _shift(r["po_date"], 1)},
    )
    sale = _late_file(
        env, "coop_sales",
        pick=lambda r: r["invoice_date"].startswith("2024-04"),
        change=lambda r: {**r, **{c: _shift(r[c], 2) for c in ("po_date", "ship_date", "invoice_date") if r[c]}},
    )
    ingest(env["settings"].landing, env["settings"].warehouse)

    # the invoices touched: the moved one, those the two payments pay, those of the moved PO
    con = _con(env)
    touched_invoices = {invoice["invoice_id"], paid["invoice_id"], copied["invoice_id"]} | {
        r[0] for r in con.execute("SELECT invoice_id FROM staging.stg_raw__invoices WHERE po_id = ?", [po["po_id"]]).fetchall()
    }
    invoice_months = {str(r[0]) for r in con.execute(
        f"SELECT DISTINCT period_month FROM marts.fct_invoices WHERE invoice_id IN ({', '.join('?' for _ in touched_invoices)})",
        sorted(touched_invoices),
    ).fetchall()}
    con.close()
    expected = {
        "fct_payments": {_month(paid["payment_date"]), _month(_shift(paid["payment_date"], 3)), _month(copied["payment_date"])},
        "fct_invoices": invoice_months | {_month(_shift(invoice["received_date"], 2))},
        "fct_purchase_order_lines": {_month(po["po_date"]), _month(_shift(po["po_date"], 1))},
        "fct_coop_sales": {_month(sale["invoice_date"]), _month(_shift(sale["invoice_date"], 2))},
    }

    _run(env, "daily", daily=True)  # a daily run: every month targeted, the facts incremental
    incremental = {}
    for fact in FACTS:
        rewritten = _rewritten(before[fact], _writers(env, fact))
        assert rewritten == expected[fact], fact
        assert rewritten < all_months[fact], fact
        incremental[fact] = _rows(env, fact)
    con = _con(env)
    assert con.execute("SELECT period_month FROM marts.fct_payments WHERE payment_id = ?", [paid["payment_id"]]).fetchone()[0] \
        == date.fromisoformat(_month(_shift(paid["payment_date"], 3)))
    con.close()

    _run(env, "facts", daily=True, full_refresh=True)  # the upstream tables are current
    for fact in FACTS:
        assert len({inv for invs in _writers(env, fact).values() for inv in invs}) == 1, fact  # every month rewritten
        assert _rows(env, fact) == incremental[fact], fact


def test_a_changed_dimension_rewrites_every_month(env):
    from ingestion.common.loader import ingest

    before = _writers(env, "fct_payments")
    _late_file(env, "suppliers", pick=lambda r: True, change=lambda r: {**r, "supplier_name": r["supplier_name"] + " Renamed"})
    ingest(env["settings"].landing, env["settings"].warehouse)
    _run(env, "daily", daily=True)
    after = _writers(env, "fct_payments")
    assert _rewritten(before, after) == set(before)
    assert len({inv for invs in after.values() for inv in invs}) == 1
    con = _con(env)  # an incremental build (not a backfill): the watermark moved to the supplier load
    assert con.execute("SELECT max(_loaded_through) FROM marts.fct_payments").fetchone()[0] == \
        con.execute("SELECT max(_loaded_at) FROM raw.suppliers").fetchone()[0]
    con.close()


def test_facts_built_without_their_upstream_models_are_rewritten_whole_and_keep_the_watermark(env):
    before = _writers(env, "fct_coop_sales")
    con = _con(env)
    watermark = con.execute("SELECT max(_loaded_through) FROM marts.fct_coop_sales").fetchone()[0]
    con.close()
    _run(env, "coop_sales", daily=True)
    assert _rewritten(before, _writers(env, "fct_coop_sales")) == set(before)
    con = _con(env)
    assert con.execute("SELECT max(_loaded_through) FROM marts.fct_coop_sales").fetchone()[0] == watermark
    con.close()
