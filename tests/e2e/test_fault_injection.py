"""Fault injection: `procure run` killed (SIGKILL) at seeded random points in ingestion, the gates, dbt and
publication, then run again. Half the trials kill the whole process group (the run and its dbt, as a machine stop
or a container kill does), half the run's process alone (`kill -9 <pid>`, the OOM killer), whose dbt must then die
with it (orchestration/dbt_child.py) rather than write on as an orphan.

Every trial starts from the same warehouse (the default data published once) with the same late delivery (two
files of late goods receipts). The reference is one uninterrupted run of that delivery. In each trial:

- the kill point: the trial's stage (ingestion, the raw gate, dbt, the gate on the marts and KPIs, publication in
  turn), and a seeded random fraction of that stage's length in the reference run, counted from the moment the
  trial's run starts the stage (read from the Dagster event log as the run writes it); what is killed: the process
  group in trials 0-4, 10-14, the run's process alone in trials 5-9, 15-19;
- right after the kill: the run's dbt died with it (it did not end by itself later, as a dbt orphaned by the kill
  does at its next log line, its output pipe broken), no process the run started is left, current.duckdb is a
  complete snapshot that verifies (the old one or the new one), the warehouse lock is free;
- after `procure run` again: the published tables equal the reference's (row for row, build metadata aside), the
  load ledger equals the reference's (no file loaded twice or lost), raw and quarantine hold exactly the rows the
  ledger says, the killed Dagster run is marked failed, the killed publication left no temporary file, the current
  snapshot's briefings are complete;
- all along (the killed run and the rerun): a SQL reader opening current.duckdb and a dashboard reader
  (dashboards.data.open_snapshot, then queries on the file it resolved) always see one whole snapshot.

PROCURE_FAULT_SEED and PROCURE_FAULT_TRIALS (default 20) change the draw; a failure message names the trial, its
seed, stage and delay, so `PROCURE_FAULT_SEED=<seed> PROCURE_FAULT_TRIALS=1` replays it.
"""

import contextlib
import csv
import ctypes
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import BIN, procure_env, published_rows

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("PROCURE_FAULT_SEED", "20261126"))
TRIALS = int(os.environ.get("PROCURE_FAULT_TRIALS", "20"))
STAGES = ("ingestion", "raw gate", "dbt", "gate", "publication")  # in the order a run goes through them
SCALE = "0.002"
SECRET_VAR = "SOCRATA_APP_TOKEN"  # the one secret the project reads (ingestion/socrata/connector.py)
SECRET = "fault-test-secret-4f1c9a2e7b"


def stage_of(step_key: str) -> str:
    if step_key == "ingest_landing":
        return "ingestion"
    if step_key.startswith("dbt_"):
        return "dbt"
    if step_key.endswith("_passes_soda_contract"):
        return "raw gate" if step_key.startswith("raw__") else "gate"  # Soda on the raw tables, then on the marts
    if step_key == "published__snapshot":
        return "publication"
    return "other"  # e.g. the supplier resolution


def deliver_late_receipts(home: Path) -> None:
    """Two landing files of late goods receipts (new ids, a week after the originals) of the last PO lines."""
    land = home / "landing" / "synthetic"
    with open(land / "receipts.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        cols, rows = reader.fieldnames, list(reader)[-30:]
    for part, chunk in (("a", rows[:15]), ("b", rows[15:])):
        with open(land / f"receipts__late_{part}.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            for r in chunk:
                day = date.fromisoformat(r["receipt_date"]) + timedelta(days=7)
                w.writerow({**r, "receipt_id": "LATE-" + r["receipt_id"], "receipt_date": day.isoformat()})


def run(home: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "procure"), "run"], env=procure_env(home, **env), capture_output=True,
                          text=True, timeout=900)  # a run of this data takes 1-2 minutes: longer means it hangs


class Events:
    """The Dagster instance of a PROCURE_HOME, read while a run writes it: which runs, which steps when."""

    def __init__(self, home: Path):
        import dagster as dg
        from dagster._core.instance.ref import InstanceRef

        self.dg = dg
        self.instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home / "dagster")))

    def run_ids(self) -> set[str]:
        return {r.run_id for r in self.instance.get_runs()}

    def steps(self, run_id: str) -> list[tuple[float, str, str]]:
        """(timestamp, STEP_START | STEP_SUCCESS | STEP_FAILURE, step key) in order."""
        t = self.dg.DagsterEventType
        recs = self.instance.get_records_for_run(
            run_id, of_type={t.STEP_START, t.STEP_SUCCESS, t.STEP_FAILURE}, limit=100000).records
        return [(r.event_log_entry.timestamp, r.event_log_entry.dagster_event.event_type_value,
                 r.event_log_entry.step_key) for r in recs]

    def published(self, run_id: str) -> bool:
        t = self.dg.DagsterEventType
        recs = self.instance.get_records_for_run(run_id, of_type=t.ASSET_MATERIALIZATION, limit=100000).records
        return any(r.event_log_entry.dagster_event.asset_key.path == ["published", "snapshot"] for r in recs)

    def status(self, run_id: str) -> str:
        return self.instance.get_run_by_id(run_id).status.value

    def close(self) -> None:
        self.instance.dispose()


def stage_windows(steps: list[tuple[float, str, str]]) -> dict[str, float]:
    """Seconds from a stage's first step start to its last step end, per stage."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for ts, kind, key in steps:
        stage = stage_of(key)
        if kind == "STEP_START":
            first.setdefault(stage, ts)
        else:
            last[stage] = ts
    return {s: last[s] - first[s] for s in first if s in last}


def running_stage(steps: list[tuple[float, str, str]]) -> str:
    """The stage of the step that had started and not ended when the run stopped ('between steps' if none)."""
    open_steps = [key for ts, kind, key in steps if kind == "STEP_START"]
    ended = {key for ts, kind, key in steps if kind != "STEP_START"}
    running = [key for key in open_steps if key not in ended]
    return stage_of(running[-1]) if running else "between steps"


def ledger(home: Path) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "procure.duckdb"), read_only=True)
    try:
        return con.execute("SELECT entity, source, file, file_sha256, status, rows_in, rows_loaded, rows_quarantined, amount_loaded, "
                           "amount_quarantined, message "
                           "FROM raw._loads ORDER BY ALL").fetchall()
    finally:
        con.close()


def rows_match_the_ledger(home: Path) -> list[str]:
    """Per load: raw.<entity> holds rows_loaded rows of it, quarantine.<entity> rows_quarantined (else a problem)."""
    problems = []
    con = duckdb.connect(str(home / "warehouse" / "procure.duckdb"), read_only=True)
    try:
        for entity, load_id, status, loaded, quarantined in con.execute(
                "SELECT entity, load_id, status, rows_loaded, rows_quarantined FROM raw._loads").fetchall():
            for schema, expected in (("raw", loaded), ("quarantine", quarantined)):
                got = con.execute(f'SELECT count(*) FROM {schema}."{entity}" WHERE _load_id = ?', [load_id]).fetchone()[0]
                if status == "loaded" and got != expected:
                    problems.append(f"{schema}.{entity} holds {got} rows of load {load_id}, the ledger {expected}")
        dupes = con.execute("SELECT file_sha256, count(*) FROM raw._loads WHERE status = 'loaded' GROUP BY 1 "
                            "HAVING count(*) > 1").fetchall()
        problems += [f"file {sha[:12]} loaded {n} times" for sha, n in dupes]
    finally:
        con.close()
    return problems


class Readers(threading.Thread):
    """An analyst's SQL session and a dashboard page, again and again: each must see one whole snapshot."""

    def __init__(self, home: Path):
        super().__init__(daemon=True)
        self.current = home / "published" / "current.duckdb"
        self.stop = threading.Event()
        self.reads = 0
        self.seen: set[str] = set()
        self.errors: list[str] = []

    def run(self) -> None:
        from dashboards.data import open_snapshot
        from warehouse.publish import verify_snapshot

        while not self.stop.is_set():
            try:
                self.seen.add(verify_snapshot(self.current))  # opens current.duckdb itself, as `duckdb` would
                snap = open_snapshot(self.current)  # the dashboard resolves the link once per page, then queries
                if verify_snapshot(snap.path) != snap.snapshot_id:
                    self.errors.append(f"dashboard: {snap.path} is not snapshot {snap.snapshot_id}")
                self.reads += 1
            except Exception as exc:  # noqa: BLE001 - every failure to read a whole snapshot is a finding
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self.stop.wait(0.5)


@dataclass
class Trial:
    number: int
    seed: int
    stage: str
    fraction: float
    target: str  # "process group" or "process"
    landed: str = ""
    after_kill_snapshot: str = ""
    published_before_kill: bool = False
    status_at_kill: str = ""  # the killed Dagster run's status right after the kill (STARTED unless it had ended)
    survivors: list[str] = field(default_factory=list)  # processes of the killed run that did not die with it
    reads: int = 0
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (f"trial {self.number} (PROCURE_FAULT_SEED={self.seed}): {self.target} killed {self.fraction:.0%} into "
                f"{self.stage}, landed in {self.landed}")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The default data at a tiny scale, published once: every trial starts from a copy."""
    home = tmp_path_factory.mktemp("faults") / "base"
    gen = subprocess.run([str(BIN / "procure"), "generate", "--scale", SCALE, "--seed", "7"], env=procure_env(home),
                         capture_output=True, text=True, timeout=600)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    first = run(home)
    assert first.returncode == 0, first.stdout + first.stderr
    return home


@pytest.fixture(scope="module")
def reference(base, tmp_path_factory):
    """The late delivery run without interruption (with a secret in its environment, for the leak test)."""
    home = tmp_path_factory.mktemp("faults_reference") / "home"
    shutil.copytree(base, home, symlinks=True)
    deliver_late_receipts(home)
    started = time.time()
    done = run(home, **{SECRET_VAR: SECRET})
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = json.loads((home / "status" / "last_run.json").read_text())["run_id"]
    events = Events(home)
    try:
        windows = stage_windows(events.steps(run_id))
    finally:
        events.close()
    assert set(STAGES) <= set(windows), windows
    return {"home": home, "run_id": run_id, "started": started, "windows": windows, "output": done.stdout + done.stderr,
            "rows": published_rows(home / "published" / "current.duckdb"), "ledger": ledger(home)}


PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def adopt_orphans(on: bool) -> None:
    """While on, the processes orphaned under this one become its children (Linux), so it learns how they ended."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def in_session(sid: int) -> dict[int, str]:
    """The processes of a session and their states, ended ones not yet reaped included ("Z"); `procure run` starts
    a session: every process it starts is in it."""
    pids = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[3]) == sid:  # fields: state, parent, process group, session, ...
            pids[int(stat.parent.name)] = fields[0]
    return pids


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
    except (FileNotFoundError, ProcessLookupError):
        return f"process {pid}"


def runs_dbt(command: str) -> bool:
    return any(Path(word).name in ("dbt", "procure-dbt") for word in command.split()[:2])


def outlived(sid: int, running: dict[int, str]) -> list[str]:
    """Wait for the processes left in the killed run's session (orphans: this process adopted them) and return
    those that outlived the run: a dbt running at the kill that did not die with the run (by the kill's SIGKILL,
    or the one dbt asks for when its parent ends), anything still running two minutes after the kill. Dagster's
    own helpers (the `tail` of its compute logs, ended by its orphan watcher; Python's resource tracker, ended when
    its pipe closes) may end by themselves: they do not touch the warehouse."""
    problems = []
    deadline = time.monotonic() + 120
    for pid in in_session(sid):
        command = running.get(pid)  # None: it had ended before the kill (its parent had not reaped it yet)
        try:
            while (status := os.waitpid(pid, os.WNOHANG))[0] == 0:
                if time.monotonic() > deadline:
                    problems.append(f"{command or pid}: still running 2 minutes after the kill")
                    os.kill(pid, signal.SIGKILL)
                    deadline = float("inf")
                time.sleep(0.02)
        except ChildProcessError:  # not adopted: only possible if it was not orphaned, i.e. not ours to judge
            continue
        killed = os.WIFSIGNALED(status[1]) and os.WTERMSIG(status[1]) == signal.SIGKILL
        if command is not None and runs_dbt(command) and not killed:
            problems.append(f"{command}: outlived the run, then ended by itself (wait status {status[1]})")
    return problems


def kill_during(home: Path, trial: Trial, windows: dict[str, float], log: Path) -> str:
    """Start `procure run`, SIGKILL it (its process group, or its process alone) `fraction` of the stage's length
    into the stage; wait for every process it started and record those that did not die with it; the run id."""
    events = Events(home)
    known = events.run_ids()
    with open(log, "w") as out:
        proc = subprocess.Popen([str(BIN / "procure"), "run"], env=procure_env(home), stdout=out, stderr=out,
                                start_new_session=True)
    run_id = None
    deadline = time.monotonic() + 900
    try:
        adopt_orphans(True)
        while proc.poll() is None and time.monotonic() < deadline:
            if run_id is None:
                run_id = next(iter(events.run_ids() - known), None)
            if run_id is not None and any(stage_of(k) == trial.stage for _, kind, k in events.steps(run_id)):
                time.sleep(trial.fraction * windows[trial.stage])
                break
            time.sleep(0.05)
        running = {pid: command_line(pid) for pid, state in in_session(proc.pid).items() if state != "Z"}
        if trial.target == "process group":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        trial.survivors = outlived(proc.pid, running)
        if run_id is None:
            run_id = next(iter(events.run_ids() - known), None)
        trial.landed = running_stage(events.steps(run_id)) if run_id else "before the Dagster run started"
        trial.published_before_kill = bool(run_id) and events.published(run_id)
        trial.status_at_kill = events.status(run_id) if run_id else ""
    finally:
        adopt_orphans(False)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # (anything still running, so that the next trial starts clean)
        events.close()
    assert proc.returncode == -signal.SIGKILL, f"{trial.describe()}: the run ended by itself before the kill ({log})"
    return run_id


def test_killed_runs_converge_to_the_uninterrupted_run_and_readers_always_see_a_whole_snapshot(base, reference, tmp_path):
    from warehouse.lock import warehouse_lock
    from warehouse.publish import verify_snapshot

    base_snapshot = verify_snapshot(base / "published" / "current.duckdb")
    trials = []
    for number in range(TRIALS):
        seed = SEED + number  # consecutive seeds aim at each stage in turn
        trial = Trial(number, seed, STAGES[seed % len(STAGES)], random.Random(seed).uniform(0.0, 0.9),
                      "process" if (number // len(STAGES)) % 2 else "process group")
        trials.append(trial)
        home = tmp_path / f"trial{number:02d}"
        shutil.copytree(base, home, symlinks=True)
        deliver_late_receipts(home)
        readers = Readers(home)
        readers.start()
        try:
            killed_run = kill_during(home, trial, reference["windows"], tmp_path / f"trial{number:02d}.log")
            assert not trial.survivors, f"{trial.describe()}: processes of the killed run live on: {trial.survivors}"
            # Right after the kill: a whole snapshot is current, old or new; the lock died with the run.
            trial.after_kill_snapshot = verify_snapshot(home / "published" / "current.duckdb")
            if trial.after_kill_snapshot != base_snapshot and not trial.published_before_kill:
                assert trial.landed == "publication", f"{trial.describe()}: a new snapshot, but not from publication"
            with warehouse_lock("fault test probe", timeout_s=0, warehouse=home / "warehouse" / "procure.duckdb"):
                pass
            if number == 0 and trial.status_at_kill == "STARTED":  # the operator's view of it
                status = subprocess.run([str(BIN / "procure"), "status"], env=procure_env(home), capture_output=True,
                                        text=True, timeout=300)
                assert f"last run: {killed_run} interrupted" in " ".join(status.stdout.split()), status.stdout
            again = run(home)
            assert again.returncode == 0, f"{trial.describe()}: the run after the kill failed:\n{again.stdout}{again.stderr}"
            if trial.status_at_kill == "STARTED" and "an earlier run was killed half-way" not in " ".join(again.stdout.split()):
                trial.problems.append("the run after the kill did not say it found the killed run")
        finally:
            readers.stop.set()
            readers.join(timeout=30)
        trial.reads = readers.reads
        trial.problems += readers.errors
        if published_rows(home / "published" / "current.duckdb") != reference["rows"]:
            trial.problems.append("published tables differ from the uninterrupted run's")
        if ledger(home) != reference["ledger"]:
            trial.problems.append("load ledger differs from the uninterrupted run's")
        trial.problems += rows_match_the_ledger(home)
        if trial.status_at_kill == "STARTED":  # (a kill after the Dagster run ended leaves it as it ended)
            events = Events(home)
            try:
                if events.status(killed_run) != "FAILURE":
                    trial.problems.append(f"the killed Dagster run {killed_run} is {events.status(killed_run)}, not FAILURE")
            finally:
                events.close()
        left = [p.name for p in (home / "published" / "snapshots").iterdir() if p.name.startswith(".")]
        if left:
            trial.problems.append(f"temporary files left in published/snapshots: {left}")
        current = verify_snapshot(home / "published" / "current.duckdb")
        if not (home / "published" / "briefings" / current / "index.html").is_file():
            trial.problems.append(f"snapshot {current} has no complete briefings")
        if readers.reads < 3:
            trial.problems.append(f"the readers only read {readers.reads} times")
        shutil.rmtree(home)
    report = "\n".join(f"{t.describe()}; after the kill {t.after_kill_snapshot}; {t.reads} reads: "
                       + ("; ".join(t.problems) or "converged") for t in trials)
    print(report)
    assert all(not t.problems for t in trials), report
    # The kills did land where they were aimed: every stage was interrupted at least once (most trials land in
    # the stage they aim at; a few land in the next one when this run is quicker than the reference).
    landed = {t.landed for t in trials}
    assert set(STAGES) <= landed or len(trials) < 8, report


def test_a_secret_in_the_environment_reaches_no_log_state_or_run_metadata(reference):
    """SOCRATA_APP_TOKEN was set for the reference run: no file the run wrote holds it (the Dagster instance's run
    storage and event log with its metadata, the run's logs, the status file, the warehouse, the snapshot, the
    briefings, dbt's artefacts of the run), nor what the run printed. The scan finds the run's own id in the event
    log and the status file, so it does read them."""
    home, run_id = reference["home"], reference["run_id"]
    repo_target = Path(__file__).resolve().parents[2] / "dbt_project" / "target"
    files = [p for p in home.rglob("*") if p.is_file() and "landing" not in p.parts and "truth" not in p.parts]
    files += [p for p in repo_target.rglob("*") if p.is_file() and p.stat().st_mtime >= reference["started"]]
    holding_secret = [str(p) for p in files if SECRET.encode() in p.read_bytes()]
    holding_run_id = [p for p in files if run_id.encode() in p.read_bytes()]
    assert SECRET not in reference["output"]
    assert holding_secret == []
    assert any(p.is_relative_to(home / "dagster" / "history") for p in holding_run_id)  # the run's event log
    assert home / "status" / "last_run.json" in holding_run_id
    run_log = home / "logs" / f"run-{run_id}.log"
    assert run_log in files and "dbt" in run_log.read_text()  # the run's log (dbt's output) was scanned too
    assert len(files) > 20
