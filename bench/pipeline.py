"""Whole-pipeline benchmark: generate scale S, run the pipeline full, incremental and with nothing new.

    procure bench --scale 1                  # or: make bench SCALE=1
    python -m bench.pipeline --scale 10 --reuse-data

What it does, in its own home (``--work``, default ``$TMPDIR/procure-bench/pipeline-scale<S>``; never ``data/``):

1. ``procure generate --scale S --split-monthly`` (scale 1 is about one million payment lines, every other entity
   in proportion; the large transactional tables are written as one file per calendar month). Timed like the runs.
   ``--reuse-data`` keeps landing files generated earlier with the same scale and seed.
2. Holds back the newest ``--holdback-percent`` (default 1 %) of the landing files (newest month first), of the
   entities nothing refers to (payments, receipts, co-op sales: a month of the checkbook arriving late).
3. Two physical anchors on the same files, in one DuckDB process with the pipeline's memory limit and threads:
   reading every landing CSV into a table (as text, the way ingestion reads), and one raw aggregation over the
   payment files (agency x month: count, sum of amounts, distinct suppliers).
4. **full**: a fresh warehouse, Dagster instance and publication area; ``procure run``.
5. **incremental**: the held-back files are put back; ``procure run``.
6. **nothing new**: ``procure run`` again.

Each run is a separate ``procure run`` process, exactly as an operator starts it. Measured per run: wall time;
peak memory, sampled from /proc every 0.1 s, as the sum of the resident sets of the whole process tree (procure,
Dagster, the dbt subprocess) and as the largest single process; the time of each stage from the run's Dagster
event log (ingest, raw-table gate, supplier resolution, dbt build, marts/KPI gate, publication, and the rest:
process start, dbt parse, loading the definitions); rows per second; the ten slowest dbt nodes (from the run's
log). Written to ``<out>/pipeline-scale<S>-<timestamp>.json`` and ``.md`` (default out: bench/results), and
printed. Targets (issue 7; on 2 cores / 24 GiB): scale 10 full run <= 300 s with peak RSS <= 6 GiB; scale 1 full
run <= 60 s; incremental run after 1 % new files <= 10 % of the full run; a run with nothing new <= 20 s.

Not part of the test suite; run it on an otherwise idle machine (the load average is recorded). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from ingestion.common.parsing import sql_literal  # noqa: E402

BIN = Path(sys.executable).parent
GIB = 1024 ** 3
MONTH = re.compile(r"(\d{4})-(\d{2})")
TARGETS = {
    "full_s_scale10": 300.0,
    "peak_rss_gib_scale10": 6.0,
    "full_s_scale1": 60.0,
    "incremental_share": 0.10,
    "nothing_new_s": 20.0,
}
STAGES = ("ingest", "raw gate", "resolution", "dbt build", "gate", "publication", "orchestration")


# ------------------------------------------------------------------------------------------- measuring


def _tree_rss(root: int) -> tuple[int, int]:
    """(sum of RSS bytes over `root` and its descendants, largest single RSS) from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as fh:
                ppid = kb = 0
                for line in fh:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        kb = int(line.split()[1])
            parents[int(entry.name)] = ppid
            rss[int(entry.name)] = kb * 1024
        except (OSError, ValueError, IndexError):
            continue
    members, todo = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in members:
                members.add(child)
                todo.append(child)
    sizes = [rss.get(pid, 0) for pid in members]
    return sum(sizes), max(sizes, default=0)


@dataclass
class Measured:
    command: list[str]
    wall_s: float
    returncode: int
    peak_tree_rss: int
    peak_process_rss: int
    output_tail: str


def measure(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run a command, sampling the memory of its process tree every 0.1 s; its output goes to `log`."""
    peak = [0, 0]
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                total, single = _tree_rss(proc.pid)
                peak[0], peak[1] = max(peak[0], total), max(peak[1], single)
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        done.set()
        sampler.join()
    wall = time.perf_counter() - started
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-12:])
    return Measured(command, round(wall, 2), code, peak[0], peak[1], tail)


# ----------------------------------------------------------------------------------------- the data


def _landing_files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".") and p.suffix == ".csv")


def _month_of(path: Path) -> str:
    found = MONTH.findall(path.name)
    return "-".join(found[-1]) if found else ""


# Entities no other entity refers to: their newest files can arrive later without leaving rows whose parent is
# missing (PO lines delivered before their purchase orders stop publication: the gate reconciles the fact with
# staging, and a line without its order has no state).
LEAF_ENTITIES = ("payments", "receipts", "coop_sales")


def choose_holdback(files: list[Path], percent: float, landing: Path | None = None) -> list[Path]:
    """The newest files of LEAF_ENTITIES (by the month in their name) until `percent` % of all landing files."""
    want = max(1, round(len(files) * percent / 100)) if percent > 0 else 0
    dated = sorted((p for p in files if _month_of(p) and _entity_of(p, landing or p.parent.parent) in LEAF_ENTITIES),
                   key=lambda p: (_month_of(p), str(p)), reverse=True)
    return dated[:want]


def _rows(path: Path) -> int:
    """Data lines of a CSV (lines minus the header; generated files have no embedded newlines)."""
    with open(path, "rb") as fh:
        return max(0, sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 22), b"")) - 1)


def _entity_of(path: Path, landing: Path) -> str:
    rel = path.relative_to(landing)
    return rel.parts[1] if len(rel.parts) >= 3 else re.split(r"__|-|_\d{4}", path.stem)[0]


# As ingestion reads a canonical CSV: comma, double quotes, every value as text (no sniffing of a dialect).
CSV_OPTIONS = "header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"'"


def anchors(landing: Path, work: Path, memory: str, threads: int) -> dict:
    """DuckDB alone on the same files: every landing CSV into a table (text, as ingestion reads it), then one raw
    aggregation over the payment files."""
    import duckdb

    db = work / "anchor.duckdb"
    db.unlink(missing_ok=True)
    by_entity: dict[str, list[str]] = {}
    for p in _landing_files(landing):
        by_entity.setdefault(_entity_of(p, landing), []).append(str(p))
    con = duckdb.connect(str(db), config={"memory_limit": memory, "threads": threads})
    try:
        started = time.perf_counter()
        rows = 0
        for entity, paths in sorted(by_entity.items()):
            files = "[" + ", ".join(sql_literal(p) for p in paths) + "]"
            con.execute(f"CREATE TABLE {entity} AS SELECT * FROM read_csv({files}, {CSV_OPTIONS}, union_by_name = true)")
            rows += con.execute(f"SELECT count(*) FROM {entity}").fetchone()[0]
        read_s = time.perf_counter() - started
        payments = by_entity.get("payments", [])
        agg_s, groups = None, None
        if payments:
            files = "[" + ", ".join(sql_literal(p) for p in payments) + "]"
            started = time.perf_counter()
            groups = len(con.execute(
                f"SELECT agency_id, substr(payment_date, 1, 7) AS month, count(*), "
                f"sum(TRY_CAST(amount AS DECIMAL(18, 2))), count(DISTINCT supplier_id) "
                f"FROM read_csv({files}, {CSV_OPTIONS}) GROUP BY 1, 2"
            ).fetchall())
            agg_s = time.perf_counter() - started
    finally:
        con.close()
        db.unlink(missing_ok=True)
    return {
        "csv_to_tables": {"seconds": round(read_s, 2), "rows": rows, "files": sum(len(v) for v in by_entity.values()),
                          "rows_per_s": round(rows / read_s) if read_s else None},
        "payments_aggregation": {"seconds": round(agg_s, 2) if agg_s is not None else None, "groups": groups,
                                 "rows": sum(_rows(Path(p)) for p in payments)},
    }


# -------------------------------------------------------------------------------------- one pipeline run


def _stage_of(step_key: str) -> str:
    if step_key == "ingest_landing":
        return "ingest"
    if step_key.startswith("raw__") and step_key.endswith("_passes_soda_contract"):
        return "raw gate"
    if step_key.startswith("resolution__"):
        return "resolution"
    if step_key == "dbt_models":
        return "dbt build"
    if step_key.endswith("_passes_soda_contract"):
        return "gate"
    if step_key.startswith("published__"):
        return "publication"
    return "other steps"


def stage_times(home: Path, run_id: str) -> dict[str, float]:
    """Seconds per stage from the run's Dagster event log (step start -> success/failure)."""
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS,
                                                     dg.DagsterEventType.STEP_FAILURE})
    started: dict[str, float] = {}
    out: dict[str, float] = {}
    for r in records:
        event = r.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = r.timestamp
        elif event.step_key in started:
            stage = _stage_of(event.step_key)
            out[stage] = out.get(stage, 0.0) + r.timestamp - started[event.step_key]
    return {k: round(v, 2) for k, v in out.items()}


# "12 of 589 OK created sql table model marts.dim_agency ..... [OK in 0.29s]"; a long name has no dots
_DBT_NODE = re.compile(r"\d+ of \d+ (?:OK created|OK loaded|PASS|FAIL|ERROR|WARN)\s+(.*?)\s+(?:\.+\s+)?\[[^\]]*? in ([0-9.]+)s\]")


def dbt_nodes(log: Path, top: int = 10) -> tuple[list[dict], float, int]:
    """The slowest dbt nodes of a run's log, the sum of all node times and the node count."""
    if not log.exists():
        return [], 0.0, 0
    nodes = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _DBT_NODE.search(re.sub(r"\x1b\[[0-9;]*m", "", line))
        if m:
            nodes.append({"node": m.group(1).strip(), "seconds": float(m.group(2))})
    nodes.sort(key=lambda n: n["seconds"], reverse=True)
    return nodes[:top], round(sum(n["seconds"] for n in nodes), 2), len(nodes)


def _ledger(home: Path, since: str | None) -> dict:
    import duckdb

    wh = home / "warehouse" / "procure.duckdb"
    if not wh.exists():
        return {}
    con = duckdb.connect(str(wh), read_only=True)
    try:
        args = [datetime.fromisoformat(since).replace(tzinfo=None)] if since else [datetime(1970, 1, 1)]
        row = con.execute(
            "SELECT count(*), coalesce(sum(rows_in), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)"
            " FROM raw._loads WHERE started_at >= ?", args).fetchone()
        total = con.execute("SELECT coalesce(sum(rows_in), 0) FROM raw._loads WHERE status = 'loaded'").fetchone()[0]
    finally:
        con.close()
    return {"files_loaded": row[0], "rows_in": int(row[1]), "rows_loaded": int(row[2]),
            "rows_quarantined": int(row[3]), "rows_in_warehouse_total": int(total)}


def pipeline_run(name: str, home: Path, env: dict[str, str], work: Path) -> dict:
    say(f"{name} run ...")
    m = measure([str(BIN / "procure"), "run"], env, work / f"run-{name}.log")
    last = json.loads((home / "status" / "last_run.json").read_text()) if (home / "status" / "last_run.json").exists() else {}
    stages: dict[str, float] = {}
    if last.get("status") not in (None, "up_to_date"):
        stages = stage_times(home, last["run_id"])
    stages["orchestration"] = round(max(0.0, m.wall_s - sum(stages.values())), 2)
    ledger = _ledger(home, last.get("started_at"))
    nodes, node_sum, node_count = dbt_nodes(Path(last.get("log_path") or "/nonexistent"))
    rows = ledger.get("rows_in", 0)
    per_stage_rows = {"ingest": rows}
    result = {
        "name": name,
        "status": last.get("status", f"exit {m.returncode}"),
        "returncode": m.returncode,
        "wall_s": m.wall_s,
        "peak_tree_rss_bytes": m.peak_tree_rss,
        "peak_process_rss_bytes": m.peak_process_rss,
        "stages_s": stages,
        "rows_per_s": {
            "run": round(rows / m.wall_s) if m.wall_s and rows else 0,
            **{s: round(per_stage_rows[s] / stages[s]) for s in per_stage_rows if stages.get(s) and per_stage_rows[s]},
            **({"dbt build (landing rows in the warehouse)": round(ledger["rows_in_warehouse_total"] / stages["dbt build"])}
               if stages.get("dbt build") and ledger.get("rows_in_warehouse_total") else {}),
        },
        "ledger": ledger,
        "dbt": {"nodes": node_count, "node_seconds_sum": node_sum, "slowest": nodes},
        "note": last.get("note", ""),
        "builds": last.get("builds", ""),
        "errors": last.get("errors", []),
        "output_tail": m.output_tail,
    }
    say(f"{name} run: {last.get('status')} in {m.wall_s:.1f} s, peak {m.peak_tree_rss / GIB:.2f} GiB")
    return result


# ------------------------------------------------------------------------------------------- the report


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def _gib(n: int) -> str:
    return f"{n / GIB:.2f}"


def evaluate(scale: float, runs: dict[str, dict]) -> list[dict]:
    full = runs.get("full")
    out = []

    def target(name: str, measured: float | None, limit: float, unit: str) -> None:
        if measured is None:
            return
        out.append({"target": name, "limit": limit, "measured": round(measured, 3), "unit": unit,
                    "met": measured <= limit,
                    "gap": None if measured <= limit else f"{measured - limit:+.1f} {unit} ({measured / limit:.1f}x)"})

    if full and scale == 10:
        target("scale 10 full run", full["wall_s"], TARGETS["full_s_scale10"], "s")
        target("scale 10 peak RSS (process tree)", full["peak_tree_rss_bytes"] / GIB, TARGETS["peak_rss_gib_scale10"], "GiB")
    if full and scale == 1:
        target("scale 1 full run", full["wall_s"], TARGETS["full_s_scale1"], "s")
    if full and runs.get("incremental"):
        target("incremental run after 1 % new files / full run", runs["incremental"]["wall_s"] / full["wall_s"],
               TARGETS["incremental_share"], "share")
    if runs.get("nothing_new"):
        target("run with nothing new", runs["nothing_new"]["wall_s"], TARGETS["nothing_new_s"], "s")
    return out


def markdown(report: dict) -> str:
    runs = report["runs"]
    lines = [
        f"# Pipeline benchmark, scale {report['scale']}",
        "",
        f"{report['started_at']} · code {report['code_version']} · {report['machine']['cores']} cores, "
        f"{report['machine']['memory_gib']} GiB · DuckDB memory limit {report['settings']['PROCURE_DUCKDB_MEMORY']}, "
        f"threads {report['settings']['PROCURE_DUCKDB_THREADS']} · load average {report['machine']['load_start']} at "
        f"start, {report['machine']['load_end']} at the end",
        "",
        f"Data: {report['data']['rows']:,} landing rows in {report['data']['files']} files "
        f"({report['data']['bytes'] / 1e6:,.0f} MB); held back for the incremental run: {len(report['holdback']['files'])} "
        f"files, {report['holdback']['rows']:,} rows ({report['holdback']['rows_share'] * 100:.2f} % of the rows).",
        "",
        "## Targets",
        "",
        "| target | limit | measured | met |",
        "|---|---:|---:|:---:|",
    ]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {t['limit']} {t['unit']} | {t['measured']} {t['unit']} | "
                     f"{'✔' if t['met'] else '✖ ' + (t['gap'] or '')} |")
    lines += ["", "## Runs (seconds)", "", "| stage | " + " | ".join(runs) + " |",
              "|---|" + "---:|" * len(runs)]
    gen = report.get("generate")
    for stage in STAGES + ("other steps",):
        if any(stage in r["stages_s"] for r in runs.values()):
            lines.append(f"| {stage} | " + " | ".join(str(r["stages_s"].get(stage, "")) for r in runs.values()) + " |")
    lines.append("| **wall** | " + " | ".join(f"**{r['wall_s']}**" for r in runs.values()) + " |")
    lines.append("| status | " + " | ".join(r["status"] for r in runs.values()) + " |")
    lines.append("| built | " + " | ".join(r.get("builds", "") for r in runs.values()) + " |")
    lines.append("| peak RSS, process tree (GiB) | " + " | ".join(_gib(r["peak_tree_rss_bytes"]) for r in runs.values()) + " |")
    lines.append("| peak RSS, largest process (GiB) | " + " | ".join(_gib(r["peak_process_rss_bytes"]) for r in runs.values()) + " |")
    lines.append("| rows in (this run) | " + " | ".join(f"{r['ledger'].get('rows_in', 0):,}" for r in runs.values()) + " |")
    lines.append("| rows/s, whole run | " + " | ".join(f"{r['rows_per_s'].get('run', 0):,}" for r in runs.values()) + " |")
    lines.append("| rows/s, ingest | " + " | ".join(f"{r['rows_per_s'].get('ingest', 0):,}" for r in runs.values()) + " |")
    lines.append("| dbt nodes (sum of node times, s) | " + " | ".join(
        f"{r['dbt']['nodes']} ({r['dbt']['node_seconds_sum']})" for r in runs.values()) + " |")
    a = report["anchors"]
    lines += [
        "",
        "## Physical anchors (DuckDB alone, same files, same settings)",
        "",
        f"- every landing CSV into a table (text): {a['csv_to_tables']['seconds']} s for {a['csv_to_tables']['rows']:,} rows "
        f"in {a['csv_to_tables']['files']} files ({a['csv_to_tables']['rows_per_s'] or 0:,} rows/s)",
        f"- one raw aggregation over the payment files (agency x month: count, sum, distinct suppliers): "
        f"{a['payments_aggregation']['seconds']} s over {a['payments_aggregation']['rows']:,} rows "
        f"({a['payments_aggregation']['groups']} groups)",
    ]
    if gen:
        lines += ["", f"Generation (`procure generate --scale {report['scale']} --split-monthly`): {gen['wall_s']} s, "
                  f"peak RSS {_gib(gen['peak_tree_rss_bytes'])} GiB" + (" (reused)" if gen.get("reused") else "")]
    for name, r in runs.items():
        if r["dbt"]["slowest"]:
            lines += ["", f"### Slowest dbt nodes, {name} run", "", "| node | s |", "|---|---:|"]
            lines += [f"| {n['node']} | {n['seconds']} |" for n in r["dbt"]["slowest"]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- main


def _keep(work: Path, runs: dict[str, dict]) -> None:
    """Each run's result as soon as it is measured (work/runs.json): an interrupted benchmark keeps what it has."""
    (work / "runs.json").write_text(json.dumps(runs, indent=2, default=str) + "\n", encoding="utf-8")


def _fresh_state(home: Path) -> None:
    for name in ("warehouse", "dagster", "published", "status", "logs"):
        shutil.rmtree(home / name, ignore_errors=True)


def _code_version() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="procure bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale (1 = about one million payment lines)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, help="the benchmark's own home (default $TMPDIR/procure-bench/pipeline-scale<S>)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results", help="where the .json and .md go")
    parser.add_argument("--reuse-data", action="store_true", help="keep landing files generated before with this scale and seed")
    parser.add_argument("--holdback-percent", type=float, default=1.0, help="share of landing files for the incremental run")
    parser.add_argument("--runs", default="full,incremental,nothing_new", help="which runs (comma-separated)")
    args = parser.parse_args(argv)

    if not Path("/proc/self/status").exists():
        parser.error("the benchmark samples memory from /proc: Linux only")
    scale = args.scale
    work = (args.work or Path(tempfile.gettempdir()) / "procure-bench" / f"pipeline-scale{scale:g}").resolve()
    if work.resolve() == (REPO_ROOT / "data").resolve():
        parser.error("--work must not be the project's data folder")
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PROCURE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "PYTHONUNBUFFERED": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for name in ("PROCURE_LANDING", "PROCURE_TRUTH", "PROCURE_WAREHOUSE", "PROCURE_PUBLISHED"):
        env.pop(name, None)
    settings = {"PROCURE_DUCKDB_MEMORY": env.get("PROCURE_DUCKDB_MEMORY", "4GB"),
                "PROCURE_DUCKDB_THREADS": env.get("PROCURE_DUCKDB_THREADS", "2")}
    landing, holdback_dir = home / "landing", work / "holdback"
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_start = os.getloadavg()

    # 1. data
    if holdback_dir.exists():  # an interrupted benchmark: put its files back first
        for p in _landing_files(holdback_dir):
            target = landing / p.relative_to(holdback_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            p.replace(target)
        shutil.rmtree(holdback_dir)
    manifest = home / "truth" / "synthetic" / "manifest.json"
    generated = json.loads(manifest.read_text()) if manifest.exists() else {}
    reuse = args.reuse_data and generated.get("scale") == scale and generated.get("seed") == args.seed and landing.exists()
    gen: dict = {}
    if reuse:
        say(f"reusing the scale-{scale:g} landing files in {landing}")
        gen = {"reused": True, "wall_s": None, "peak_tree_rss_bytes": 0}
    else:
        _fresh_state(home)
        shutil.rmtree(landing, ignore_errors=True)
        shutil.rmtree(home / "truth", ignore_errors=True)
        say(f"generating scale {scale:g} into {landing}")
        m = measure([str(BIN / "procure"), "generate", "--scale", f"{scale:g}", "--seed", str(args.seed), "--split-monthly"],
                    env, work / "generate.log")
        if m.returncode != 0:
            print(m.output_tail, file=sys.stderr)
            return 1
        gen = {"reused": False, "wall_s": m.wall_s, "peak_tree_rss_bytes": m.peak_tree_rss}
    files = _landing_files(landing)
    rows = {p: _rows(p) for p in files}
    total_rows = sum(rows.values())

    # 2. hold back the newest files
    wanted = [r.strip() for r in args.runs.split(",") if r.strip()]
    held = choose_holdback(files, args.holdback_percent, landing) if "incremental" in wanted else []
    held_rows = sum(rows[p] for p in held)
    for p in held:
        target = holdback_dir / p.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        p.replace(target)
    say(f"{len(files)} landing files, {total_rows:,} rows; held back {len(held)} files ({held_rows:,} rows)")

    # 3. anchors, on the files of the full run
    say("anchors: DuckDB reading the landing files, one raw aggregation")
    anchor = anchors(landing, work, settings["PROCURE_DUCKDB_MEMORY"], int(settings["PROCURE_DUCKDB_THREADS"]))

    # 4-6. the runs
    runs: dict[str, dict] = {}
    try:
        if "full" in wanted:
            _fresh_state(home)
            runs["full"] = pipeline_run("full", home, env, work)
            _keep(work, runs)
        if "incremental" in wanted:
            for p in held:
                (holdback_dir / p.relative_to(landing)).replace(p)
            runs["incremental"] = pipeline_run("incremental", home, env, work)
            _keep(work, runs)
        if "nothing_new" in wanted:
            runs["nothing_new"] = pipeline_run("nothing_new", home, env, work)
            _keep(work, runs)
    finally:
        for p in held:  # never leave the landing area short of files
            source = holdback_dir / p.relative_to(landing)
            if source.exists():
                source.replace(p)
        shutil.rmtree(holdback_dir, ignore_errors=True)

    import duckdb

    report = {
        "benchmark": "pipeline",
        "scale": scale,
        "seed": args.seed,
        "started_at": started_at,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code_version": _code_version(),
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB, 1),
            "load_start": [round(x, 2) for x in load_start],
            "load_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "platform": platform.platform(),
        },
        "settings": settings,
        "work": str(work),
        "generate": gen,
        "data": {"files": len(files), "rows": total_rows, "bytes": sum(p.stat().st_size for p in files)},
        "holdback": {"files": [str(p.relative_to(landing)) for p in held], "rows": held_rows,
                     "rows_share": round(held_rows / total_rows, 5) if total_rows else 0},
        "anchors": anchor,
        "runs": runs,
    }
    report["targets"] = evaluate(scale, runs)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"pipeline-scale{scale:g}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
    Path(f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    text = markdown(report)
    Path(f"{stem}.md").write_text(text, encoding="utf-8")
    print(text)
    say(f"written {stem}.json and .md")
    failed = [n for n, r in runs.items() if r["status"] not in ("success", "up_to_date")]
    if failed:
        print(f"runs that did not succeed: {', '.join(failed)} (see {work}/run-<name>.log)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
