"""Short-lived DuckDB connections to the working warehouse (one writer at a time; see docs/architecture.md)."""

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.settings import get_settings


@contextmanager
def connect(path: Path | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    settings = get_settings()
    path = Path(path) if path else settings.warehouse
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(path),
        read_only=read_only,
        config={"memory_limit": settings.duckdb_memory, "threads": settings.duckdb_threads},
    )
    try:
        yield con
    finally:
        con.close()
