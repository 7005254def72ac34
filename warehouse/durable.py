"""Durable file-system steps shared by the writers of files that must survive a crash."""

import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
