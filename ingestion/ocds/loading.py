"""The loader's side of OCDS: the files of one OCDS mapping are read together, once per ingest, and each entity is
validated and loaded in one pass for all of them (ingestion/common/loader.py calls `prepare`).

Reading together is what compiles a contracting process whose releases are spread over files (reader.py): a
publisher's daily files, or a release file next to a record. Every file of the mapping that the ingest sees takes
part, also files loaded by an earlier ingest (the landing area keeps them), so a new release of an old process is
compiled with the old ones. Rows are emitted only for processes that drew on a file not loaded yet (for that
entity), and each row is attributed to the newest such file: its load then holds the compiled row, which supersedes
the older load's in staging (latest load wins). `procure ingest --mapping M FILE...` reads only the files given.

For one entity the rows of every file come from one SELECT over one Parquet file, each row tagged with its file
(`_file_key`), so a batch of many small files is one validation and one transaction, not one per file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ingestion.common.parsing import sql_literal
from ingestion.ocds.codes import Codes
from ingestion.ocds.mapping import ENTITY_COLUMNS
from ingestion.ocds.reader import OcdsError, read_ocds_files

_BATCH: list[Any] = []  # [batch, its length, its group's metadata]: prepare is called for each file of a batch


def prepare(con: Any, lf: Any, sha: str, entity: str, columns: set[str], batch: list[tuple[Any, str]],
            tmpdir: Path) -> tuple[str, set[str], list[str], str]:
    """(SELECT of the group's rows of `entity`, canonical columns it holds, messages for this file, this file's key
    in the SELECT's `_file_key`). `batch`: every (LandingFile, sha256) of the mapping being loaded for the entity;
    `columns`: the entity's canonical columns. Raises OcdsError when this file is not OCDS."""
    m = lf.mapping
    meta = _meta(m, batch, tmpdir)
    index = meta["index"][sha]
    if str(index) in meta["errors"]:
        raise OcdsError(meta["errors"][str(index)])
    messages = [f"OCDS via mapping {m.path}"]
    problems = meta["problems"].get(str(index), [])
    if problems:
        messages.append(f"{len(problems)} OCDS object(s) skipped, e.g. {problems[0]}")
    if "select" not in meta:  # once per batch: the ledger is read before the batch loads
        meta["select"] = _select(con, meta["folder"] / f"{entity}.parquet", entity, columns, meta["shas"])
    select, present = meta["select"]
    return select, set(present), messages, str(index)


def _meta(m: Any, batch: list[tuple[Any, str]], tmpdir: Path) -> dict:
    """The metadata of the batch's group (read into tmpdir when new: every distinct file of the batch, in batch
    order), worked out once per batch."""
    if _BATCH and _BATCH[0] is batch and _BATCH[1] == len(batch):
        return _BATCH[2]
    group: list[tuple[Any, str]] = []
    seen: set[str] = set()
    for other, other_sha in batch:
        if other_sha not in seen:
            seen.add(other_sha)
            group.append((other, other_sha))
    key = hashlib.sha256("\n".join([m.sha256, str(m.path), *(s for _, s in group)]).encode()).hexdigest()[:16]
    folder = tmpdir / f"ocds-group-{key}"
    if not folder.exists():
        _read_group(m, group, folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["index"] = {s: i for i, s in enumerate(meta["shas"])}
    meta["folder"] = folder
    _BATCH[:] = [batch, len(batch), meta]
    return meta


def _read_group(m: Any, group: list[tuple[Any, str]], folder: Path) -> None:
    # locations name a file as lineage does inside the landing area (pub/day2.json), else by its name alone
    names = [lf.path.name if Path(lf.relative).is_absolute() else lf.relative for lf, _ in group]
    result = read_ocds_files([(lf.path, name) for (lf, _), name in zip(group, names)], state_code=m.ocds["state_code"],
                             codes=Codes(m.ocds_codes, m.path.name),
                             **({"agency_type": m.ocds["agency_type"]} if "agency_type" in m.ocds else {}))
    tmp = folder.with_suffix(".tmp")
    tmp.mkdir()
    for name, frame in result.tables.items():
        frame.write_parquet(tmp / f"{name}.parquet")
    meta = {"shas": [s for _, s in group], "errors": {str(i): e for i, e in result.errors.items()},
            "problems": {str(i): p for i, p in result.problems.items()}}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    tmp.rename(folder)


def _select(con: Any, table: Path, entity: str, columns: set[str], shas: list[str]) -> tuple[str, list[str]]:
    """The rows of processes that drew on a file not yet loaded for the entity, each owned by the newest such file,
    numbered per file in reading order."""
    loaded = {r[0] for r in con.execute(
        "SELECT DISTINCT file_sha256 FROM raw._loads WHERE entity = ? AND status = 'loaded' AND list_contains(?, file_sha256)",
        [entity, shas]).fetchall()}
    new = ", ".join(str(i) for i, s in enumerate(shas) if s not in loaded) or "NULL"
    present = sorted(c for c in ENTITY_COLUMNS[entity] if c in columns)
    cols = "".join(f"{c}, " for c in present)
    owned = (f"SELECT * EXCLUDE (_row_number), _row_number AS _seq, "
             f"list_filter(_files, lambda x: list_contains([{new}], x))[-1] AS _owner "
             f"FROM read_parquet({sql_literal(str(table))})")
    select = (f"SELECT {cols}row_number() OVER (PARTITION BY _owner ORDER BY _seq) AS _row_number, _location, "
              f"_problem, _problem_columns, CAST(_owner AS VARCHAR) AS _file_key FROM ({owned}) WHERE _owner IS NOT NULL")
    return select, present
