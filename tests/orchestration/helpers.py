"""Shared by the orchestration tests: small landing files and a lock holder in another process."""

import subprocess
import sys
from pathlib import Path

AGENCIES = "agency_id,state_code,agency_name,agency_type\nNV-901,NV,Nevada Test Agency,state_agency\nNV-902,NV,Nevada Other Agency,state_agency\n"

HOLDER = """
import sys
from pathlib import Path
from warehouse.lock import warehouse_lock
with warehouse_lock(sys.argv[2], warehouse=Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes stdin
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class LockHolder:
    """Another process holding the warehouse lock until release()."""

    def __init__(self, warehouse: Path, what: str):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse), what],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "held"
        self.pid = self.proc.pid

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        if self.proc.poll() is None:
            self.proc.kill()
