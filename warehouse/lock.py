"""One writer per warehouse file: an advisory file lock beside the DuckDB file, shared by every writer.

DuckDB lets one read-write process open a file, and while it does no other process can open it even
read-only. Every process that opens the working warehouse for a run takes this lock first, so a second one
gets a clear answer instead of DuckDB's "Could not set lock on file" half-way through a run:

- `procure run` takes it for the whole run and refuses at once when it is held (the message names the
  holder: pid, what, since when).
- A run launched by the Dagster daemon or UI (schedule, sensor, backfill, "Materialize") takes it in its
  first writing step and keeps it until its process ends (the in-process executor runs a whole run in one
  process): later steps re-enter. While another process holds it, the step waits, logging who holds it
  every 30 s, for at most PROCURE_LOCK_TIMEOUT_S seconds (default 3600), then fails saying so.
- The landing sensor takes it for the instant it reads the load ledger, and skips the tick when it is held.

The lock is process-reentrant: a process that holds it (any thread) may take it again; it is released when
the outermost scoped hold ends, or when the process exits for a process-lifetime hold. It is an flock(2) on
`<warehouse>.lock`: the kernel releases it when the holder dies, so a crashed run never leaves it stuck.
The file's content (JSON: pid, what, since, host) only describes the current holder for messages.
"""

import fcntl
import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from warehouse.settings import get_settings

DEFAULT_TIMEOUT_S = 3600.0
LOG_EVERY_S = 30.0
POLL_S = 0.5


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse (at once, or after waiting for the timeout)."""

    def __init__(self, message: str, holder: "Holder | None" = None):
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class Holder:
    pid: int | None
    what: str
    since: str
    host: str = ""

    def describe(self) -> str:
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        pid = f"pid {self.pid}" if self.pid is not None else "an unknown process"
        return f"{pid}{where} ({self.what}) since {self.since}"


@dataclass
class _Held:
    fh: object
    depth: int = 0  # scoped holds (context managers) currently open
    for_process: bool = False  # a process-lifetime hold: kept until the process exits
    what: str = ""


_registry: dict[Path, _Held] = {}
_guard = threading.RLock()


def lock_path(warehouse: Path | None = None) -> Path:
    """The lock file of a warehouse: `<warehouse>.lock` beside it (one lock per DuckDB file)."""
    wh = Path(warehouse) if warehouse else get_settings().warehouse
    return wh.with_name(wh.name + ".lock")


def timeout_from_env() -> float:
    value = os.environ.get("PROCURE_LOCK_TIMEOUT_S", "")
    try:
        return float(value) if value.strip() else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ValueError(f"PROCURE_LOCK_TIMEOUT_S must be a number of seconds, got {value!r}") from None


def read_holder(warehouse: Path | None = None) -> Holder | None:
    """Who holds (or last held) the lock, from the lock file's content; None when unknown."""
    path = lock_path(warehouse)
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return None
    if not data:
        return None
    return Holder(pid=data.get("pid"), what=str(data.get("what", "?")), since=str(data.get("since", "?")),
                  host=str(data.get("host", "")))


def held_by_this_process(warehouse: Path | None = None) -> bool:
    with _guard:
        held = _registry.get(lock_path(warehouse).resolve())
        return held is not None and (held.depth > 0 or held.for_process)


def _try_flock(path: Path, what: str) -> object | None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps({
        "pid": os.getpid(),
        "what": what,
        "since": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC",
        "host": socket.gethostname(),
    }))
    fh.flush()
    return fh


def _holder_text(warehouse: Path | None) -> str:
    holder = read_holder(warehouse)
    return holder.describe() if holder else "an unknown process"


def _acquire(what: str, warehouse: Path | None, timeout_s: float, log: Callable[[str], None] | None) -> _Held:
    """Take the lock for this process (or re-enter it); wait up to timeout_s; the caller bumps depth."""
    path = lock_path(warehouse).resolve()
    with _guard:
        held = _registry.get(path)
        if held is not None:
            return held
    wh = Path(warehouse) if warehouse else get_settings().warehouse
    started = time.monotonic()
    next_log = started
    while True:
        with _guard:
            held = _registry.get(path)
            if held is not None:  # another thread of this process took it meanwhile
                return held
            fh = _try_flock(path, what)
            if fh is not None:
                held = _Held(fh=fh, what=what)
                _registry[path] = held
                return held
        waited = time.monotonic() - started
        if waited >= timeout_s:
            holder = read_holder(warehouse)
            if timeout_s <= 0:
                raise WarehouseBusy(
                    f"the warehouse {wh} is in use by {_holder_text(warehouse)}; wait for it to finish and try again",
                    holder,
                )
            raise WarehouseBusy(
                f"gave up after waiting {waited:.0f} s for the warehouse {wh}: it is still in use by "
                f"{_holder_text(warehouse)}. Let that run finish (or stop it) and start this one again; "
                f"PROCURE_LOCK_TIMEOUT_S (now {timeout_s:g}) sets how long a run waits.",
                holder,
            )
        if log is not None and time.monotonic() >= next_log:
            log(f"waiting for the warehouse {wh}: in use by {_holder_text(warehouse)}; "
                f"waited {waited:.0f} s of at most {timeout_s:g} s (PROCURE_LOCK_TIMEOUT_S)")
            next_log += LOG_EVERY_S
        time.sleep(min(POLL_S, max(timeout_s - waited, 0.01)))


def _release(path: Path) -> None:
    with _guard:
        held = _registry.get(path)
        if held is None or held.depth > 0 or held.for_process:
            return
        del _registry[path]
        try:
            fcntl.flock(held.fh, fcntl.LOCK_UN)
        finally:
            held.fh.close()


@contextmanager
def warehouse_lock(
    what: str,
    *,
    timeout_s: float = 0.0,
    log: Callable[[str], None] | None = None,
    warehouse: Path | None = None,
) -> Iterator[None]:
    """Hold the warehouse for the block. timeout_s=0 refuses at once (WarehouseBusy names the holder)."""
    path = lock_path(warehouse).resolve()
    held = _acquire(what, warehouse, timeout_s, log)
    with _guard:
        held.depth += 1
    try:
        yield
    finally:
        with _guard:
            held.depth -= 1
        _release(path)


def hold_for_process(
    what: str,
    *,
    timeout_s: float | None = None,
    log: Callable[[str], None] | None = None,
    warehouse: Path | None = None,
) -> bool:
    """Take the warehouse until this process exits (a Dagster run's writing steps call it first).

    Returns True when it took the lock now, False when this process already held it (a later step of the
    same run, or a run executed in process inside `procure run`, whose scoped hold covers it). Waits up to
    timeout_s (default PROCURE_LOCK_TIMEOUT_S) while another process holds it, logging every 30 s.
    """
    path = lock_path(warehouse).resolve()
    with _guard:
        held = _registry.get(path)
        if held is not None and (held.depth > 0 or held.for_process):
            return False
    held = _acquire(what, warehouse, timeout_from_env() if timeout_s is None else timeout_s, log)
    with _guard:
        if held.depth > 0 or held.for_process:
            return False
        held.for_process = True
        held.what = what
    return True


def release_process_hold(warehouse: Path | None = None) -> None:
    """Give up a process-lifetime hold now (for long-lived processes that ran a job in process, e.g. tests)."""
    path = lock_path(warehouse).resolve()
    with _guard:
        held = _registry.get(path)
        if held is None:
            return
        held.for_process = False
    _release(path)


def release_process_holds() -> None:
    """Give up every process-lifetime hold of this process (all warehouses)."""
    with _guard:
        paths = [path for path, held in _registry.items() if held.for_process]
        for path in paths:
            _registry[path].for_process = False
    for path in paths:
        _release(path)
