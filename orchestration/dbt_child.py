"""`procure-dbt`: dbt, started so that it dies with the process that started it.

Dagster (through dagster-dbt) runs dbt as a child process. When the run's process is killed on its own (`kill -9`
of `procure run`, the OOM killer choosing it), dbt would live on as an orphan, still writing to the warehouse after
the warehouse lock was released with the run, and the next run would fail to open the warehouse. This launcher
asks Linux to SIGKILL it when its parent ends (prctl PR_SET_PDEATHSIG, kept across exec) and then becomes dbt:
same arguments, same environment, same exit code. On other systems it only becomes dbt.

The request is tied to the thread that started the child: Dagster starts dbt from the step's thread, which waits
for dbt, so that thread ends only once dbt has ended or the whole process dies.
"""

import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def real_dbt() -> str:
    """The dbt next to this interpreter (the repo's virtualenv), even when it is not on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


def die_with_parent() -> bool:
    """Ask the kernel to SIGKILL this process when its parent ends; False where that cannot be asked."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # the parent ended before the request was in place: nobody waits for this dbt
        os._exit(128 + signal.SIGKILL)
    return True


def main() -> None:
    die_with_parent()
    dbt = real_dbt()
    os.execvp(dbt, [dbt, *sys.argv[1:]])


if __name__ == "__main__":
    main()
