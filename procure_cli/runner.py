"""`procure run`: materialise everything through Dagster on the persistent instance, then summarise."""

import contextlib
import json
import os
import subprocess
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from orchestration.environment import DBT_PROJECT_DIR, dbt_executable, export_environment
from warehouse.lock import WarehouseBusy, warehouse_lock
from warehouse.settings import get_settings

JOB_NAME = "procure_job"


class RunRefused(RuntimeError):
    """Another process (a `procure run`, a Dagster run, the landing sensor) holds the warehouse."""


@dataclass
class GateFailure:
    asset: str
    check: str
    summary: str


@dataclass
class RunSummary:
    run_id: str
    started_at: str
    finished_at: str = ""
    status: str = "running"  # success | up_to_date | gate_failed | failed
    errors: list[str] = field(default_factory=list)
    gate_failures: list[GateFailure] = field(default_factory=list)
    checks_passed: int = 0
    entities: dict[str, dict[str, int]] = field(default_factory=dict)
    kpi_rows: int = 0
    kpis_computed: list[str] = field(default_factory=list)
    kpis_defined: int = 0
    snapshot_id: str | None = None
    snapshot_path: str | None = None
    log_path: str | None = None
    note: str = ""  # up_to_date: why nothing had to run; otherwise why the run was needed
    builds: str = ""  # what the run built: everything, or what depends on the entities that changed
    interrupted: list[str] = field(default_factory=list)  # earlier `procure run`s found killed half-way (Dagster run ids)
    briefings_rewritten: bool = False  # the current snapshot's briefings were incomplete (a publication killed half-way)


def last_run_file() -> Path:
    return get_settings().home / "status" / "last_run.json"


def write_last_run(summary: RunSummary) -> None:
    path = last_run_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(summary), indent=2, default=str))
    os.replace(tmp, path)


def read_last_run() -> dict | None:
    path = last_run_file()
    return json.loads(path.read_text()) if path.exists() else None


def dbt_parse() -> None:
    """Write dbt's manifest.json (the Dagster dbt assets are built from it at import time)."""
    proc = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    if proc.returncode != 0:
        raise RuntimeError("dbt parse failed:\n" + (proc.stdout + proc.stderr).strip())


INTERRUPTED = ("the process running it ended before the run finished (killed, or the machine stopped); "
               "the next `procure run` marked it failed and built what it had not")


def close_interrupted_runs(instance) -> list[str]:
    """Mark failed the Dagster runs of earlier `procure run`s that a kill left "started" forever, and give back the
    slot of the `duckdb_writer` pool a killed run still holds; return the ids of the runs marked failed.

    Without it the next run waits forever ("Step blocked by limit for pool duckdb_writer": the pool has one slot,
    and nothing frees a dead in-process run's). Call it holding the warehouse lock: a `procure run` holds that
    lock for its whole life, so one that still looks started while we hold it has died. Runs launched by the
    daemon or the UI are not marked (their process may live on; an operator terminates a dead one in the UI), but
    the pool slots of any run that has ended are given back. The killed runs' materialisations stay recorded: the
    next run rebuilds from them.
    """
    from dagster import DagsterRunStatus, RunsFilter

    unfinished = instance.get_runs(filters=RunsFilter(
        statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.NOT_STARTED,
                  DagsterRunStatus.CANCELING],
        tags={"procure/trigger": "procure run"},
    ))
    for run in unfinished:
        instance.report_run_failed(run, INTERRUPTED)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holding = set(storage.get_concurrency_run_ids())
        for pool in storage.get_concurrency_keys():
            holding |= {slot.run_id for slot in storage.get_concurrency_info(pool).claimed_slots}
        ended = {r.run_id for r in instance.get_runs(filters=RunsFilter(run_ids=list(holding)))
                 if r.is_finished} if holding else set()
        for run_id in ended:
            storage.free_concurrency_slots_for_run(run_id)
    return [run.run_id for run in unfinished]


def _complete_briefings() -> bool:
    """Write the current snapshot's executive briefings when they are incomplete (their index.html, written
    last, is missing: a publication killed after the switch); True when it wrote them."""
    from dashboards.briefing import INDEX_NAME
    from warehouse.publish import BRIEFINGS_NAME, current_snapshot

    info = current_snapshot()
    if info is None or (get_settings().published / BRIEFINGS_NAME / info.snapshot_id / INDEX_NAME).is_file():
        return False
    import logging

    from orchestration.defs.publish.assets import write_snapshot_briefings

    return write_snapshot_briefings(logging.getLogger("procure.run"), info).get("count", 0) > 0


def _collect_outputs(summary: RunSummary) -> None:
    """Rows per entity from the load ledger, KPIs from the published snapshot (or the warehouse)."""
    import duckdb

    from warehouse.publish import current_snapshot

    settings = get_settings()
    if settings.warehouse.exists():
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            since = datetime.fromisoformat(summary.started_at).replace(tzinfo=None)
            rows = con.execute(
                "SELECT entity, count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'rejected'),"
                # rows now in the warehouse: a retracted load's rows were deleted, so they are not counted
                " coalesce(sum(rows_loaded) FILTER (WHERE status = 'loaded'), 0),"
                " coalesce(sum(rows_quarantined) FILTER (WHERE status = 'loaded'), 0),"
                " coalesce(sum(rows_loaded) FILTER (WHERE started_at >= ? AND status = 'loaded'), 0),"
                " coalesce(sum(rows_quarantined) FILTER (WHERE started_at >= ? AND status = 'loaded'), 0)"
                " FROM raw._loads GROUP BY entity ORDER BY entity",
                [since, since],
            ).fetchall()
            summary.entities = {
                r[0]: {"files_loaded": r[1], "files_rejected": r[2], "rows_loaded": int(r[3]), "rows_quarantined": int(r[4]),
                       "rows_loaded_this_run": int(r[5]), "rows_quarantined_this_run": int(r[6])}
                for r in rows
            }
        except duckdb.Error:
            pass
        finally:
            con.close()
    snap = current_snapshot()
    if summary.status in ("success", "up_to_date") and snap is not None:
        summary.snapshot_id = snap.snapshot_id
        summary.snapshot_path = str(settings.current_snapshot)
        con = duckdb.connect(str(settings.current_snapshot), read_only=True)
        try:
            summary.kpi_rows = con.execute("SELECT count(*) FROM kpi_values").fetchone()[0]
            ids = [r[0] for r in con.execute("SELECT DISTINCT kpi_id FROM kpi_values WHERE status <> 'no_data'").fetchall()]
            summary.kpis_computed = sorted(ids, key=lambda k: tuple(int(p) if p.isdigit() else 0 for p in k.split(".")))
            summary.kpis_defined = con.execute("SELECT count(*) FROM kpi_definitions").fetchone()[0]
        finally:
            con.close()


def _hold_warehouse(stack: contextlib.ExitStack, run_id: str, full_refresh: bool) -> None:
    """One writer per warehouse: refuse at once, naming the holder, when another process holds it."""
    what = f"procure run{' --full-refresh' if full_refresh else ''}, Dagster run {run_id}"
    try:
        stack.enter_context(warehouse_lock(what, timeout_s=0))
    except WarehouseBusy as exc:
        raise RunRefused(f"not started: {exc}") from None


def run_pipeline(progress: Callable[[str], None] | None = None, full_refresh: bool = False) -> RunSummary:
    """Run the whole job once. Never raises for pipeline failures: the summary says what failed.

    Raises RunRefused (before doing anything) when another process holds the warehouse. full_refresh passes
    --full-refresh to dbt: the facts incremental by period are rebuilt from scratch (every fiscal month).
    Without it, when no landing file is new and the current snapshot was built from the same loads, code and
    settings (warehouse/fingerprint.py), nothing runs: status up_to_date, the snapshot stays current.
    """
    export_environment()
    say = progress or (lambda _msg: None)
    summary = RunSummary(run_id=str(uuid.uuid4()), started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    with contextlib.ExitStack() as stack:
        _hold_warehouse(stack, summary.run_id, full_refresh)
        import dagster as dg

        from orchestration.selection import Plan, plan

        instance = dg.DagsterInstance.get()
        write_last_run(summary)  # status "running": `procure status` tells a run killed half-way from a finished one
        try:
            summary.interrupted = close_interrupted_runs(instance)
            the_plan = Plan(False, "", None)  # a full refresh builds everything
            if not full_refresh:
                from warehouse.fingerprint import check_up_to_date

                say("looking for new landing files")
                freshness = check_up_to_date()
                the_plan = plan(freshness, lambda: instance)
                summary.note = the_plan.reason
                full_refresh = the_plan.full_refresh  # loads were retracted: rebuild the facts from raw
                if the_plan.up_to_date:
                    summary.status = "up_to_date"
                    summary.snapshot_id = freshness.snapshot_id
                    summary.briefings_rewritten = _complete_briefings()
                    summary.finished_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
                    _collect_outputs(summary)
                    write_last_run(summary)
                    return summary
            say("parsing the dbt project")
            dbt_parse()
            say("loading the Dagster definitions")
            from orchestration.definitions import defs
            from orchestration.partitions import full_range_tags
            from orchestration.selection import run_selection

            job = defs.resolve_job_def(JOB_NAME)
            selection, selection_tags, summary.builds = run_selection(the_plan, defs.resolve_asset_graph())
            say(f"building {summary.builds}")
            outcome: dict = {}

            def _execute() -> None:
                try:
                    outcome["result"] = job.execute_in_process(
                        instance=instance,
                        raise_on_error=False,
                        run_id=summary.run_id,
                        asset_selection=selection,
                        run_config={
                            "loggers": {"console": {"config": {"log_level": "ERROR"}}},
                            "resources": {"dbt_options": {"config": {"full_refresh": full_refresh}}},
                        },
                        # every fiscal month, facts incremental: see orchestration/partitions.py
                        tags={**full_range_tags(), **selection_tags, "procure/trigger": "procure run",
                              **({"procure/full_refresh": "true"} if full_refresh else {})},
                    )
                except Exception as exc:  # a crash in Dagster itself, not in a step
                    outcome["error"] = exc

            # dbt's own log lines (which dagster-dbt echoes to stdout) go to the run's log file, not the terminal.
            log_path = get_settings().home / "logs" / f"run-{summary.run_id}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            summary.log_path = str(log_path)
            with open(log_path, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
                worker = threading.Thread(target=_execute, name="procure-run")
                worker.start()
                _watch(instance, summary.run_id, worker, say)
                worker.join()
            if "error" in outcome:
                summary.status = "failed"
                summary.errors.append(f"{type(outcome['error']).__name__}: {outcome['error']}")
            else:
                _interpret(outcome["result"], summary)
            summary.finished_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            _collect_outputs(summary)  # still under the lock: it reads the warehouse
        except Exception as exc:
            summary.status = "failed"
            summary.errors.append(f"{type(exc).__name__}: {exc}")
            summary.finished_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            write_last_run(summary)
            raise
    write_last_run(summary)
    return summary


def _watch(instance, run_id: str, worker: threading.Thread, say: Callable[[str], None]) -> None:
    from dagster import DagsterEventType

    seen_steps: set[str] = set()
    materialised = 0
    cursor = None  # read only the events since the last look (reading them all each time grew with the run)
    while worker.is_alive():
        time.sleep(0.5)
        try:
            page = instance.get_records_for_run(
                run_id, cursor=cursor, of_type={DagsterEventType.STEP_START, DagsterEventType.ASSET_MATERIALIZATION})
        except Exception:
            continue
        cursor = page.cursor or cursor
        new = 0
        for record in page.records:
            event = record.event_log_entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.STEP_START and event.step_key not in seen_steps:
                seen_steps.add(event.step_key)
                say(f"step {len(seen_steps)}: {event.step_key}")
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                new += 1
        if new:
            materialised += new
            say(f"{materialised} assets materialised")


def _interpret(result, summary: RunSummary) -> None:
    from dagster import AssetCheckSeverity, DagsterEventType

    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            summary.checks_passed += 1
            continue
        if evaluation.severity != AssetCheckSeverity.ERROR:
            continue
        asset = ".".join(evaluation.asset_key.path)
        text = evaluation.description or ""
        summary.gate_failures.append(GateFailure(asset=asset, check=evaluation.check_name, summary=text))
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            message = data.error.message.strip() if data and data.error else "unknown error"
            summary.errors.append(f"step {event.step_key} failed: {message}")
    if summary.gate_failures:
        summary.status = "gate_failed"
    elif summary.errors or not result.success:
        summary.status = "failed"
        if not summary.errors:
            summary.errors.append("the run did not succeed; see the Dagster UI for the run's logs")
    else:
        published = [
            e for e in result.all_events
            if e.event_type == DagsterEventType.ASSET_MATERIALIZATION and e.asset_key and e.asset_key.path == ["published", "snapshot"]
        ]
        summary.status = "success" if published else "failed"
        if not published:
            summary.errors.append("no snapshot was published (the publish step did not run)")
