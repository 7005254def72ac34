"""Server-side render time of every dashboard page, cold and warm.

The requirement it measures: "each dashboard page renders in at most 1 s server-side on the scale-10 data set".
Server-side render time is the time Streamlit takes to run the app script for one page (dashboards/app.py: the
sidebar filters, then the page script with all its queries and elements), measured with Streamlit's AppTest in
this process:

- cold: ``st.cache_data.clear()`` and ``st.cache_resource.clear()`` just before the run, so every query of the page
  really runs against the file (the first view after a publication);
- warm: the run right after, when the queries are cache hits (cached per snapshot id, dashboards/ui.py).

Every page of dashboards/registry.py is measured for three filter sets (the default view: the first state and its
newest complete fiscal year; the same with the state's largest agency; with its largest category), R times each.
A page with an exception or an st.error is a failed measurement (exit status 1), never a time; a slow page is
reported (pass = cold max <= 1 s), not failed: the numbers decide, not the exit status.

While it measures, every public function of dashboards/data.py (and the CSV export, dashboards/format.csv_bytes)
is wrapped with a timer, so each cold run also says which query took the time.

The snapshot: ``--snapshot PATH`` as it is; or ``--warehouse PATH``, copied into a benchmark-only snapshot file
with the publisher's own writer (warehouse.publish._write_snapshot, the published tables of the dbt project),
never switching any ``current.duckdb``; ``--replicate N`` first multiplies the tables that grow with the
generator's scale N times (ids suffixed ``-r<k>``, states, years, agencies and categories unchanged): a stand-in
for a larger scale that cannot be generated on the machine. Built snapshots are kept under ``--work`` and reused
while their source file is unchanged. ``--app DIR/dashboards/app.py`` measures a copy of the dashboard instead
(a proposed change, before it is made).

    python -m bench.dashboard --snapshot data/published/current.duckdb
    python -m bench.dashboard --warehouse /tmp/scale1/data/warehouse/procure.duckdb --replicate 10

Writes ``<out>/dashboard-<timestamp>.json`` and ``.md`` (default out: bench/results) and prints the table.
"""

from __future__ import annotations

import argparse
import functools
import gc
import hashlib
import inspect
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from ingestion.common.parsing import sql_ident, sql_literal  # noqa: E402

APP = REPO_ROOT / "dashboards" / "app.py"
LIMIT_S = 1.0  # the requirement: at most 1 s per page, server-side, cold
DEFAULT_OUT = REPO_ROOT / "bench" / "results"
DEFAULT_WORK = Path(tempfile.gettempdir()) / "procure-bench"
APPTEST_TIMEOUT_S = 300
REPLICATION_VERSION = 2  # part of the cache key of built snapshots: bump when what is built changes

# Tables whose rows grow with the generator's scale: replicated by --replicate. Agencies, states, dates, commodity
# codes, attributes and KPI definitions do not grow (agencies stop growing at scale 1, ingestion/synthetic), nor do
# the aggregates at state/agency/category grain (attribute_scorecard, savings, and kpi_values except its supplier
# rows, which grow with the suppliers).
GROWING_PREFIXES = ("fct_",)
GROWING_TABLES = {"red_flags", "dim_contract", "dim_supplier"}
PARTLY_GROWING = {"kpi_values": "supplier_id IS NOT NULL"}
# Identifier columns that keep their value in every copy (the filters must hit 10x the rows, not new members).
KEPT_IDS = {"state_code", "agency_id", "kpi_id", "rule_id", "category_code", "commodity_code", "lead_state_code",
            "master_lead_state_code", "attribute_id"}
BIG_TABLES = ("fct_payments", "fct_purchase_order_lines", "fct_procure_to_pay", "fct_invoices", "kpi_values",
              "red_flags", "fct_coop_sales", "dim_contract", "dim_supplier")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _q(identifier: str) -> str:
    if not _IDENT.match(identifier):  # names come from the snapshot's catalogue: refuse anything unexpected
        raise ValueError(f"unsafe SQL identifier: {identifier!r}")
    return sql_ident(identifier)


# ------------------------------------------------------------------------------------------ the snapshot


def _source_scale(path: Path) -> float | None:
    """The generator's scale of the data set a warehouse or snapshot file belongs to (truth/synthetic/manifest.json
    of its PROCURE_HOME), when it can be found."""
    candidates = []
    for p in (path, path.resolve()):
        candidates += [p.parent.parent, p.parent.parent.parent]  # warehouse/x.duckdb, published/snapshots/x.duckdb
    for home in candidates:
        manifest = home / "truth" / "synthetic" / "manifest.json"
        if manifest.is_file():
            try:
                return float(json.loads(manifest.read_text())["scale"])
            except (ValueError, KeyError, TypeError):
                return None
    return None


def _label(scale: float | None, replicate: int) -> str:
    base = f"scale-{scale:g}" if scale is not None else "scale-unknown"
    if replicate <= 1:
        return f"{base} data (as generated)"
    target = f"scale {scale * replicate:g}" if scale is not None else f"{replicate}x the source"
    return f"{base} data replicated {replicate}x, a stand-in for {target}"


def _grows(table: str) -> bool:
    return table.startswith(GROWING_PREFIXES) or table in GROWING_TABLES or table in PARTLY_GROWING


def _is_copied_id(column: str, data_type: str) -> bool:
    """An identifier that must differ between copies (suffixed), as opposed to a dimension the filters use."""
    return (data_type == "VARCHAR" and not column.startswith("_") and column not in KEPT_IDS
            and column.endswith(("_id", "_key", "_number")))


def replicate_tables(source: Path, target: Path, tables: list[tuple[str, str]], n: int, settings) -> dict[str, int]:
    """Write the tables of `source` into a new DuckDB file `target` (same schemas and names), the growing ones
    n times: copy k keeps its rows' values except the identifiers, suffixed ``-r<k>`` for k >= 1 (copy 0 is the
    source itself). All in DuckDB SQL; returns the row count per table."""
    import duckdb

    for p in (target, target.with_name(target.name + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(target), config={"memory_limit": settings.duckdb_memory,
                                              "threads": settings.duckdb_threads})
    counts: dict[str, int] = {}
    try:
        con.execute(f"ATTACH {sql_literal(str(source.resolve()))} AS src (READ_ONLY)")
        for schema, table in tables:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
            src = f"src.{_q(schema)}.{_q(table)}"
            if _grows(table):
                columns = con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'src' "
                    "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()
                select = ", ".join(
                    f"CASE WHEN r.k = 0 THEN {_q(c)} ELSE {_q(c)} || '-r' || CAST(r.k AS VARCHAR) END AS {_q(c)}"
                    if _is_copied_id(c, t) else _q(c) for c, t in columns)
                only = PARTLY_GROWING.get(table)
                sql = f"SELECT {select} FROM {src} CROSS JOIN range({int(n)}) AS r(k)"
                if only:
                    sql = f"SELECT * FROM {src} WHERE NOT ({only}) UNION ALL {sql} WHERE {only}"
            else:
                sql = f"SELECT * FROM {src}"
            t0 = time.perf_counter()
            con.execute(f"CREATE TABLE {_q(schema)}.{_q(table)} AS {sql}")
            counts[table] = con.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}").fetchone()[0]
            log(f"  replicated {schema}.{table}: {counts[table]:,} rows ({time.perf_counter() - t0:.1f} s)")
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def _snapshot_tables(path: Path) -> list[tuple[str, str]]:
    import duckdb

    from warehouse.publish import MANIFEST_TABLE

    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                           "ORDER BY table_name").fetchall()
    finally:
        con.close()
    return [("main", r[0]) for r in rows if r[0] != MANIFEST_TABLE]


def _source_manifest(source: Path, kind: str) -> dict:
    """What a published manifest says about loads and the gate, for the data-quality page: a warehouse's loads as
    the publisher lists them (orchestration.defs.publish.assets._loads_summary, raw._loads; no gate: the gate's
    results live in the Dagster instance, "not recorded" here); a snapshot's own loads and gate."""
    if kind == "snapshot":
        import duckdb

        con = duckdb.connect(str(source), read_only=True)
        try:
            row = con.execute("SELECT manifest FROM main.snapshot_manifest LIMIT 1").fetchone()
        finally:
            con.close()
        try:
            manifest = json.loads(row[0] or "{}") if row else {}
        except json.JSONDecodeError:
            manifest = {}
        return {k: manifest[k] for k in ("loads", "gate") if k in manifest}
    from orchestration.defs.publish.assets import _loads_summary

    saved = os.environ.get("PROCURE_WAREHOUSE")
    os.environ["PROCURE_WAREHOUSE"] = str(source)  # _loads_summary reads get_settings().warehouse
    try:
        return {"loads": json.loads(json.dumps(_loads_summary(), default=str))}
    except Exception as e:  # noqa: BLE001 - a warehouse without raw._loads: the page says so
        log(f"no loads in the manifest: {e}")
        return {}
    finally:
        if saved is None:
            os.environ.pop("PROCURE_WAREHOUSE", None)
        else:
            os.environ["PROCURE_WAREHOUSE"] = saved


def build_snapshot(source: Path, kind: str, replicate: int, work: Path, label: str, rebuild: bool) -> tuple[Path, dict]:
    """A benchmark-only snapshot of `source` (a warehouse, or a snapshot to replicate) under `work`, written by
    warehouse.publish._write_snapshot; reused while the source file is unchanged. Never touches current.duckdb."""
    from orchestration.defs.publish.assets import published_tables
    from warehouse.publish import _code_version, _write_snapshot, new_snapshot_id
    from warehouse.settings import get_settings

    source = source.resolve()
    stat = source.stat()
    key = hashlib.sha1(f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{replicate}|{REPLICATION_VERSION}".encode()).hexdigest()[:12]
    work.mkdir(parents=True, exist_ok=True)
    target = work / f"bench-{key}-x{replicate}.duckdb"
    meta_path = target.with_suffix(".json")
    if target.is_file() and meta_path.is_file() and not rebuild:
        log(f"reusing the benchmark snapshot {target} (built from {source}, unchanged since)")
        return target, json.loads(meta_path.read_text())

    settings = get_settings()
    tables = published_tables() if kind == "warehouse" else _snapshot_tables(source)
    t0 = time.perf_counter()
    warehouse = source
    replica = work / f".replica-{key}.duckdb"
    if replicate > 1:
        log(f"replicating the growing tables of {source} {replicate}x into {replica}")
        replicate_tables(source, replica, tables, replicate, settings)
        warehouse = replica
    created_at = datetime.now(timezone.utc)
    snapshot_id = new_snapshot_id(created_at)
    manifest = {"bench": True, "note": f"benchmark-only snapshot: {label}", "source": str(source),
                "source_kind": kind, "replicate": replicate, "run_id": "bench",
                "tables": [f"{s}.{t}" for s, t in tables], **_source_manifest(source, kind)}
    tmp = target.with_name(f".{target.name}.tmp")
    log(f"writing the snapshot {snapshot_id} to {target} (warehouse.publish._write_snapshot)")
    try:
        counts = _write_snapshot(tmp, warehouse, tables, snapshot_id, created_at, _code_version({}),
                                 json.dumps(manifest, sort_keys=True), settings)
        os.replace(tmp, target)
    finally:
        for p in (tmp, tmp.with_name(tmp.name + ".wal"), replica, replica.with_name(replica.name + ".wal")):
            p.unlink(missing_ok=True)
    meta = {"snapshot_id": snapshot_id, "source": str(source), "source_kind": kind, "replicate": replicate,
            "label": label, "built_at": created_at.isoformat(), "build_seconds": round(time.perf_counter() - t0, 1),
            "tables": counts}
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True))
    log(f"built in {meta['build_seconds']} s")
    return target, meta


def snapshot_facts(path: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        snapshot_id, created_at, manifest, tables = con.execute(
            "SELECT snapshot_id, created_at, manifest, tables FROM main.snapshot_manifest LIMIT 1").fetchone()
        try:
            counts = json.loads(tables or "{}")
        except json.JSONDecodeError:
            counts = {}
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        for t in BIG_TABLES:
            if t not in counts and t in present:
                counts[t] = con.execute(f"SELECT count(*) FROM main.{_q(t)}").fetchone()[0]
    finally:
        con.close()
    try:
        manifest = json.loads(manifest or "{}")
    except json.JSONDecodeError:
        manifest = {}
    return {"path": str(path), "snapshot_id": snapshot_id, "created_at": str(created_at),
            "size_mb": round(path.stat().st_size / 2**20, 1), "manifest_note": manifest.get("note"),
            "big_tables": {t: counts[t] for t in BIG_TABLES if t in counts},
            "all_tables": dict(sorted(counts.items()))}


# ------------------------------------------------------------------------------------------ filter sets


def filter_sets(path: Path) -> list[dict]:
    """The default view (the first state, its newest fiscal year with 12 months: what a link without parameters
    opens), the same for the state's largest agency, and for its largest category (by payment lines)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        state = con.execute("SELECT min(state_code) FROM main.kpi_values").fetchone()[0]
        year = con.execute("""
            SELECT max(fiscal_year) FROM (SELECT fiscal_year FROM main.kpi_values WHERE state_code = ?
              AND fiscal_month IS NOT NULL AND agency_id IS NULL AND category_code IS NULL AND supplier_id IS NULL
              GROUP BY 1 HAVING count(DISTINCT fiscal_month) = 12)""", [state]).fetchone()[0]
        if year is None:
            year = con.execute("SELECT max(fiscal_year) FROM main.kpi_values WHERE state_code = ?", [state]).fetchone()[0]
        agency = con.execute("""
            SELECT p.agency_id FROM main.fct_payments AS p JOIN main.dim_agency AS a ON a.agency_id = p.agency_id
            WHERE p.state_code = ? AND p.fiscal_year = ? GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""",
            [state, year]).fetchone()
        category = con.execute("""
            SELECT p.category_code FROM main.fct_payments AS p
            WHERE p.state_code = ? AND p.fiscal_year = ?
              AND p.category_code IN (SELECT category_code FROM main.dim_commodity)
            GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""", [state, year]).fetchone()
    finally:
        con.close()
    base = {"state": state, "fy": str(year)}
    sets = [{"name": "default view", "params": base}]
    if agency:
        sets.append({"name": "largest agency", "params": {**base, "agency": agency[0]}})
    if category:
        sets.append({"name": "largest category", "params": {**base, "category": category[0]}})
    return sets


# ------------------------------------------------------------------------------------------ measuring


class CallTimer:
    """Wraps the public functions of dashboards.data and format.csv_bytes: seconds spent in each during a run."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def install(self) -> None:
        from dashboards import data, format as fmt

        names = [n for n, o in vars(data).items()
                 if inspect.isfunction(o) and o.__module__ == data.__name__ and not n.startswith("_")]
        for module, label, fn_names in ((data, "data", names), (fmt, "format", ["csv_bytes"])):
            for name in fn_names:
                original = getattr(module, name)
                if getattr(original, "_bench_wrapped", False):
                    continue
                setattr(module, name, self._wrap(f"{label}.{name}", original))

    def _wrap(self, label: str, fn):
        @functools.wraps(fn)  # keeps __name__: dashboards.ui caches by it
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.calls.append((label, time.perf_counter() - t0))

        timed._bench_wrapped = True
        return timed

    def reset(self) -> None:
        self.calls = []

    def totals(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for label, seconds in self.calls:
            entry = out.setdefault(label, {"seconds": 0.0, "calls": 0})
            entry["seconds"] += seconds
            entry["calls"] += 1
        return out


def _problem(at, page, wanted: dict) -> str | None:
    """Why this run is not a measurement of the page with these filters (None: it is)."""
    if at.exception:
        return "exception: " + " | ".join(str(e.value)[:500] for e in at.exception)
    if at.error:
        return "st.error: " + " | ".join(str(e.value)[:500] for e in at.error)
    titles = [t.value for t in at.title]
    if titles != [page.title]:
        return f"rendered {titles}, not the page {page.title!r}"
    shown = {k: at.query_params.get(k) for k in wanted}
    shown = {k: (v[0] if isinstance(v, list) else v) for k, v in shown.items()}
    if shown != wanted:
        return f"filters not applied: asked {wanted}, the page shows {shown}"
    return None


def _timed_run(at, timer: CallTimer) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds of this process (every thread, DuckDB's too) and the timed functions of one run."""
    gc.collect()
    timer.reset()
    c0, t0 = time.process_time(), time.perf_counter()
    at.run()
    return time.perf_counter() - t0, time.process_time() - c0, timer.totals()


def _quiet_streamlit() -> None:
    """Drop the two warnings st.cache_data.clear() outside a script run logs each time (AppTest resets the log
    level on every run, so a filter, not a level)."""
    import logging

    from streamlit import logger as st_logger

    noise = ("missing ScriptRunContext", "No runtime found")

    class Quiet(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not any(n in str(record.msg) for n in noise)

    for name in list(st_logger._loggers):
        st_logger.get_logger(name).addFilter(Quiet())


def measure(snapshot: Path, sets: list[dict], repeat: int, pages: list, app: Path = APP) -> list[dict]:
    os.environ["PROCURE_SNAPSHOT"] = str(snapshot)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    _quiet_streamlit()

    from dashboards.registry import PAGES

    timer = CallTimer()
    timer.install()

    def open_page(page, params: dict):
        at = AppTest.from_file(str(app), default_timeout=APPTEST_TIMEOUT_S)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if page.url_path != PAGES[0].url_path:
            at.switch_page(page.script).run()
        return at

    # Warm-up, not measured: the first runs of a process import Streamlit's, pandas', Altair's modules.
    log("warm-up (imports), not measured")
    for page in pages:
        try:
            open_page(page, sets[0]["params"])
        except Exception as e:  # noqa: BLE001 - the measurement of the page reports it
            log(f"warm-up of {page.url_path}: {type(e).__name__}: {e}")

    results = []
    for fs in sets:
        for page in pages:
            row = {"page": page.url_path, "title": page.title, "filter_set": fs["name"], "params": fs["params"],
                   "cold_s": [], "warm_s": [], "cold_cpu_s": [], "warm_cpu_s": [], "cold_calls": [], "warm_calls": [], "error": None}
            results.append(row)
            try:
                at = open_page(page, fs["params"])
                row["error"] = _problem(at, page, fs["params"])
                for _ in range(repeat):
                    if row["error"]:
                        break
                    st.cache_data.clear()  # cold: as the first view after a publication (new snapshot id)
                    st.cache_resource.clear()
                    seconds, cpu, calls = _timed_run(at, timer)
                    row["error"] = _problem(at, page, fs["params"])
                    row["cold_s"].append(round(seconds, 4))
                    row["cold_cpu_s"].append(round(cpu, 4))
                    row["cold_calls"].append(calls)
                    seconds, cpu, calls = _timed_run(at, timer)
                    row["error"] = row["error"] or _problem(at, page, fs["params"])
                    row["warm_s"].append(round(seconds, 4))
                    row["warm_cpu_s"].append(round(cpu, 4))
                    row["warm_calls"].append(calls)
                row["dataframe_rows"] = [len(d.value) for d in at.dataframe] if not row["error"] else []
            except Exception as e:  # noqa: BLE001 - a crash of one page is a failed measurement, the others go on
                row["error"] = f"{type(e).__name__}: {e}"
            if row["error"]:
                row["cold_s"], row["warm_s"], row["cold_cpu_s"], row["warm_cpu_s"] = [], [], [], []
                log(f"{page.url_path:<13} {fs['name']:<17} FAILED: {row['error']}")
            else:
                log(f"{page.url_path:<13} {fs['name']:<17} cold {_fmt_list(row['cold_s'])}  warm {_fmt_list(row['warm_s'])}")
    return results


def _fmt_list(values: list[float]) -> str:
    return "[" + " ".join(f"{v:.3f}" for v in values) + "]"


def _query_medians(calls_per_run: list[dict]) -> list[dict]:
    """Per wrapped function: the median over runs of its seconds in one run (and its calls per run), slowest first."""
    labels = sorted({label for run in calls_per_run for label in run})
    out = []
    for label in labels:
        seconds = [run.get(label, {}).get("seconds", 0.0) for run in calls_per_run]
        calls = max(run.get(label, {}).get("calls", 0) for run in calls_per_run)
        out.append({"function": label, "median_s": round(statistics.median(seconds), 4),
                    "max_s": round(max(seconds), 4), "calls": calls})
    return sorted(out, key=lambda q: -q["median_s"])


def summarise(results: list[dict], pages: list) -> list[dict]:
    summary = []
    for page in pages:
        rows = [r for r in results if r["page"] == page.url_path]
        errors = [f"{r['filter_set']}: {r['error']}" for r in rows if r["error"]]
        cold = [t for r in rows for t in r["cold_s"]]
        warm = [t for r in rows for t in r["warm_s"]]
        entry = {"page": page.url_path, "title": page.title, "errors": errors, "samples": len(cold)}
        if cold:
            worst = max((r for r in rows if r["cold_s"]), key=lambda r: statistics.median(r["cold_s"]))
            cold_cpu = [t for r in rows for t in r["cold_cpu_s"]]
            entry.update(cold_median_s=round(statistics.median(cold), 3), cold_max_s=round(max(cold), 3),
                         cold_cpu_median_s=round(statistics.median(cold_cpu), 3),
                         warm_median_s=round(statistics.median(warm), 3), warm_max_s=round(max(warm), 3),
                         slowest_filter_set=worst["filter_set"],
                         slowest_query=(worst["cold_queries"][0] if worst["cold_queries"] else None))
        entry["pass"] = bool(cold) and not errors and entry["cold_max_s"] <= LIMIT_S
        summary.append(entry)
    return summary


# ------------------------------------------------------------------------------------------ machine facts


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # noqa: BLE001
        return None


def dashboard_code(app: Path = APP) -> dict:
    """The commit and a fingerprint of the dashboard's files as they are on disk (page scripts are read again on
    every run: a change while the benchmark runs would mix two versions, so the report says so)."""
    digest = hashlib.sha1()
    for path in sorted(app.parent.rglob("*.py")):
        digest.update(str(path.relative_to(app.parent)).encode() + b"\0" + path.read_bytes())
    try:
        dirty = subprocess.run(["git", "-C", str(app.parent), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=5, check=False).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        dirty = []
    return {"app": str(app), "fingerprint": digest.hexdigest()[:12],
            "uncommitted": [line.strip() for line in dirty if line.strip()]}


def machine_facts() -> dict:
    mem_total = mem_available = None
    cpu_model = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = int(line.split()[1]) * 1024
            elif line.startswith("MemAvailable:"):
                mem_available = int(line.split()[1]) * 1024
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=5, check=False).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "hostname": platform.node(), "platform": platform.platform(), "cpu_model": cpu_model,
        "cores": os.cpu_count(), "cores_usable": usable,
        "ram_gib": round(mem_total / 2**30, 1) if mem_total else None,
        "ram_available_gib_at_start": round(mem_available / 2**30, 1) if mem_available else None,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "duckdb": _version("duckdb"), "streamlit": _version("streamlit"), "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"), "altair": _version("altair"),
        "git_commit": commit, "duckdb_threads_of_dashboard": "DuckDB default (one per core)",
    }


# ------------------------------------------------------------------------------------------ report


def _s(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _rows(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e3 else str(n)


def markdown(report: dict) -> str:
    m, snap = report["machine"], report["snapshot"]
    lines = [
        f"# Dashboard render time: {report['label']}",
        "",
        f"- Run {report['started_at']} (UTC), {report['repeat']} cold + {report['repeat']} warm runs per page and filter set; "
        f"limit {LIMIT_S:g} s cold (server-side script time, AppTest).",
        f"- Machine: {m['cores']} cores ({m['cores_usable']} usable), {m['ram_gib']} GiB RAM, {m['cpu_model'] or '?'}; "
        f"load average at start {' / '.join(str(x) for x in m['load_average_at_start'])} (shared machine); "
        f"Python {m['python']}, DuckDB {m['duckdb']}, Streamlit {m['streamlit']}, pandas {m['pandas']}; "
        f"code {m['git_commit'] or '?'}, dashboard {report['dashboard_code']['at_start']['app']} "
        f"(fingerprint {report['dashboard_code']['at_start']['fingerprint']})"
        + (f" (uncommitted: {', '.join(report['dashboard_code']['at_start']['uncommitted'])})"
           if report["dashboard_code"]["at_start"]["uncommitted"] else "")
        + ("; CHANGED during the run" if report["dashboard_code"]["changed_during_run"] else "") + ".",
        f"- Snapshot `{snap['snapshot_id']}`, {snap['size_mb']:,} MB ({snap['path']}).",
        "- Rows: " + ", ".join(f"{t} {_rows(n)}" for t, n in snap["big_tables"].items()) + ".",
        "- Filter sets: " + "; ".join(f"{fs['name']} (" + ", ".join(f"{k}={v}" for k, v in fs["params"].items()) + ")"
                                     for fs in report["filter_sets"]) + ".",
        "",
        "| Page | Cold median (s) | Cold max (s) | Warm median (s) | Warm max (s) | ≤ 1 s cold | Slowest query (cold, its filter set) |",
        "|---|---:|---:|---:|---:|:---:|---|",
    ]
    for p in report["pages"]:
        if p["errors"]:
            lines.append(f"| {p['title']} | — | — | — | — | ✖ error | {'; '.join(p['errors'])[:300]} |")
            continue
        q = p.get("slowest_query")
        slow = f"`{q['function']}` {q['median_s']:.3f} s ({p['slowest_filter_set']})" if q else "—"
        lines.append(f"| {p['title']} | {_s(p['cold_median_s'])} | {_s(p['cold_max_s'])} | {_s(p['warm_median_s'])} | "
                     f"{_s(p['warm_max_s'])} | {'✔' if p['pass'] else '✖'} | {slow} |")
    lines += [
        "",
        "Per filter set (medians; CPU: this process's CPU time during the run, all threads: well under the wall time "
        "means the run waited for a core; queries: the three slowest timed functions of the cold run, median "
        "seconds × calls):",
        "",
        "| Page | Filter set | Cold (s) | Cold CPU (s) | Warm (s) | In queries, cold (s) | Slowest queries, cold |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in report["measurements"]:
        if r["error"]:
            lines.append(f"| {r['title']} | {r['filter_set']} | — | — | — | — | error: {r['error'][:200]} |")
            continue
        in_queries = sum(q["median_s"] for q in r["cold_queries"])
        top = ", ".join(f"`{q['function']}` {q['median_s']:.3f}" + (f"×{q['calls']}" if q["calls"] > 1 else "")
                        for q in r["cold_queries"][:3])
        lines.append(f"| {r['title']} | {r['filter_set']} | {_s(statistics.median(r['cold_s']))} | "
                     f"{_s(statistics.median(r['cold_cpu_s']))} | {_s(statistics.median(r['warm_s']))} | "
                     f"{in_queries:.3f} | {top} |")
    lines += ["", f"Verdict: {report['verdict']}", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--snapshot", type=Path, help="a published snapshot file (default: $PROCURE_SNAPSHOT, else "
                                                     "the published current.duckdb)")
    where.add_argument("--warehouse", type=Path, help="a working warehouse: its published tables are copied into a "
                                                      "benchmark-only snapshot under --work")
    parser.add_argument("--replicate", type=int, default=1, help="multiply the tables that grow with scale N times "
                                                                 "(a stand-in for N times the scale); default 1")
    parser.add_argument("--repeat", type=int, default=5, help="cold and warm runs per page and filter set (default 5)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the json and md go (default bench/results)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK,
                        help=f"where built snapshots are kept and reused (default {DEFAULT_WORK})")
    parser.add_argument("--rebuild", action="store_true", help="build the snapshot again even if a built one is reusable")
    parser.add_argument("--label", help="what the data is, for the report (default: derived from the source's scale)")
    parser.add_argument("--pages", help="comma-separated url paths to measure (default: every page)")
    parser.add_argument("--app", type=Path, default=APP,
                        help="the app script (default dashboards/app.py); a copy of the dashboards package elsewhere "
                             "(<dir>/dashboards/app.py) measures a proposed change before it is made")
    args = parser.parse_args(argv)
    if args.replicate < 1 or args.repeat < 1:
        parser.error("--replicate and --repeat must be >= 1")
    app = args.app.resolve()
    if not app.is_file():
        parser.error(f"no app script at {app}")
    if app != APP:  # its own `dashboards` package first (app.py puts its parent's parent on the path the same way)
        if "dashboards" in sys.modules:
            parser.error("--app: the dashboards package is already imported")
        sys.path.insert(0, str(app.parent.parent))

    from dashboards.registry import PAGES

    pages = list(PAGES)
    if args.pages:
        wanted = [p.strip() for p in args.pages.split(",") if p.strip()]
        unknown = set(wanted) - {p.url_path for p in PAGES}
        if unknown:
            parser.error(f"unknown pages: {sorted(unknown)}")
        pages = [p for p in PAGES if p.url_path in wanted]

    started = datetime.now(timezone.utc)
    machine = machine_facts()
    code_at_start = dashboard_code(app)
    build = None
    if args.warehouse:
        if not args.warehouse.is_file():
            parser.error(f"no warehouse at {args.warehouse}")
        scale = _source_scale(args.warehouse)
        label = args.label or _label(scale, args.replicate)
        snapshot, build = build_snapshot(args.warehouse, "warehouse", args.replicate, args.work, label, args.rebuild)
    else:
        from dashboards.data import snapshot_path

        given = args.snapshot or snapshot_path()
        if not given.exists():
            parser.error(f"no snapshot at {given}")
        scale = _source_scale(given)
        label = args.label or _label(scale, args.replicate)
        if args.replicate > 1:
            snapshot, build = build_snapshot(given, "snapshot", args.replicate, args.work, label, args.rebuild)
        else:
            snapshot = given.resolve()
    snap = snapshot_facts(snapshot)
    if not args.label and snap.get("manifest_note") and args.replicate == 1 and not args.warehouse:
        label = snap["manifest_note"].removeprefix("benchmark-only snapshot: ")  # a built snapshot passed back in
    sets = filter_sets(snapshot)
    log(f"measuring {len(pages)} pages x {len(sets)} filter sets x {args.repeat} on {snapshot} ({label})")

    results = measure(snapshot, sets, args.repeat, pages, app)
    for r in results:
        r["cold_queries"] = _query_medians(r.pop("cold_calls")) if r["cold_s"] else []
        r["warm_queries"] = _query_medians(r.pop("warm_calls")) if r["warm_s"] else []
        r.pop("cold_calls", None), r.pop("warm_calls", None)
    summary = summarise(results, pages)
    failed = [p["title"] for p in summary if p["errors"]]
    slow = [f"{p['title']} ({p['cold_max_s']:.2f} s)" for p in summary if not p["errors"] and not p["pass"]]
    verdict = ("ERRORS on " + ", ".join(failed) + ". " if failed else "") + (
        f"slower than {LIMIT_S:g} s cold: " + ", ".join(slow) if slow else
        (f"every page within {LIMIT_S:g} s cold." if not failed else ""))
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    code = {"commit": machine["git_commit"], "at_start": code_at_start, "at_end": dashboard_code(app)}
    code["changed_during_run"] = code["at_start"]["fingerprint"] != code["at_end"]["fingerprint"]
    if code["changed_during_run"]:
        verdict += " WARNING: dashboards/ changed while the benchmark ran: rerun."
    report = {
        "benchmark": "dashboard", "label": label, "limit_s": LIMIT_S, "repeat": args.repeat,
        "started_at": started.strftime("%Y-%m-%d %H:%M:%S"),
        "finished_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine, "dashboard_code": code, "snapshot": {**snap, "label": label, "build": build}, "filter_sets": sets,
        "pages": summary, "measurements": results, "verdict": verdict,
        "method": ("AppTest.run() of dashboards/app.py switched to the page, in this process, after a warm-up run; "
                   "cold: st.cache_data.clear() and st.cache_resource.clear() before the run; warm: the next run; "
                   "gc.collect() before each timed run. The OS file cache is not dropped (cold = no Streamlit "
                   "cache, not a cold disk)."),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"dashboard-{started:%Y%m%dT%H%M%SZ}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = markdown(report)
    stem.with_suffix(".md").write_text(text)
    print(text)
    log(f"wrote {stem}.json and {stem}.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
