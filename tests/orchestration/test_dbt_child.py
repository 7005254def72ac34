"""procure-dbt: dbt started through it dies with the process that started it, and otherwise is dbt."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration.dbt_child import real_dbt
from orchestration.environment import dbt_executable

BIN = Path(sys.executable).parent

# A parent that starts a child through the launcher's request, prints the child's pid, and waits forever.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]])
print(child.pid, flush=True)
time.sleep(600)
"""
CHILD = "from orchestration.dbt_child import die_with_parent; import time; assert die_with_parent(); time.sleep(600)"
ORPHAN = "import time; time.sleep(600)"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


def child_after_killing_parent(child_code: str) -> int:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, child_code], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).parents[2])
    child = int(parent.stdout.readline())
    time.sleep(1)  # the child has made its request (or not)
    assert alive(child)
    parent.kill()  # SIGKILL of the parent alone, as `kill -9 <pid of procure run>`
    parent.wait()
    return child


def test_a_child_that_asked_dies_with_its_parent_and_one_that_did_not_lives_on():
    child = child_after_killing_parent(CHILD)
    deadline = time.monotonic() + 30
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the child outlived its killed parent"

    orphan = child_after_killing_parent(ORPHAN)  # the control: without the request the child lives on
    try:
        time.sleep(0.5)
        assert alive(orphan)
    finally:
        os.kill(orphan, signal.SIGKILL)


def test_the_launcher_is_what_runs_dbt_and_passes_arguments_and_exit_code_through():
    assert dbt_executable() == str(BIN / "procure-dbt")
    via = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True)
    direct = subprocess.run([real_dbt(), "--version"], capture_output=True, text=True)
    assert via.returncode == direct.returncode == 0
    assert "installed: " in via.stdout and via.stdout.splitlines()[:2] == direct.stdout.splitlines()[:2]
    wrong = subprocess.run([dbt_executable(), "no-such-command"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "no-such-command" in wrong.stdout + wrong.stderr
