"""OCDS ingest of many small files: how long `ingest` takes for N one-release files of a landing folder.

    .venv/bin/python -m bench.ocds_files --files 300
    .venv/bin/python -m bench.ocds_files --files 300 --source /work/shared/data/real/ocds --work /tmp/ocds-bench

What it does, in its own folder (``--work``, default ``$TMPDIR/procure-bench/ocds-files``; never ``data/``):

1. collects the releases of a folder of real OCDS publications (``--source``, default
   ``/work/shared/data/real/ocds``): every release of a release file and every embedded release of a record (records
   that only have a compiledRelease give that); each is written as its own release package
   ``landing/ocds_bench/release-<n>.json`` (a few KB each). When there are fewer releases than ``--files`` the list
   is repeated with ``-copy<k>`` appended to the ocid and the ids (so copies are new processes, not duplicates);
   the releases of one ocid are spread over several files, as a publisher's daily dumps spread them;
2. writes ``landing/ocds_bench/publisher.yml`` (``read: {format: ocds}``, ``ocds: {state_code: ZZ}``);
3. times ``ingest(landing, warehouse)`` (what ``procure ingest`` does, in process) on a fresh warehouse, then once
   more with nothing new (every file is recognised as loaded);
4. prints and writes ``<out>/ocds-files-<N>-<timestamp>.json`` (default out: bench/results): seconds, seconds per
   file, files, releases, and the rows loaded and quarantined per entity (so two runs can be checked to have done
   the same work).

Not part of the test suite; no test asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_SOURCE = Path("/work/shared/data/real/ocds")


def collect_releases(source: Path) -> list[dict]:
    """Every release in the folder's OCDS files (records: their embedded releases, else their compiledRelease)."""
    out: list[dict] = []
    for path in sorted(source.rglob("*.json")):
        if path.stat().st_size == 0:
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        records = doc.get("records") if isinstance(doc.get("records"), list) else None
        if records is None and ("compiledRelease" in doc or ("releases" in doc and "ocid" in doc)):
            records = [doc]
        if records is not None:
            for rec in records:
                embedded = [r for r in rec.get("releases", []) if isinstance(r, dict) and "ocid" in r and "tag" in r
                            and set(r) - {"url", "date", "tag"}]
                if embedded:
                    out.extend(embedded)
                elif isinstance(rec.get("compiledRelease"), dict):
                    out.append(rec["compiledRelease"])
        elif isinstance(doc.get("releases"), list):
            out.extend(r for r in doc["releases"] if isinstance(r, dict))
        elif "ocid" in doc:
            out.append(doc)
    return out


def write_landing(releases: list[dict], n: int, folder: Path) -> int:
    folder.mkdir(parents=True)
    (folder / "publisher.yml").write_text(
        "version: 1\nsource: ocds_bench\nfiles: ['*.json']\nread: {format: ocds}\nocds: {state_code: ZZ}\n",
        encoding="utf-8")
    for i in range(n):
        rel = json.loads(json.dumps(releases[i % len(releases)]))
        copy = i // len(releases)
        if copy:
            rel["ocid"] = f"{rel['ocid']}-copy{copy}"
            rel["id"] = f"{rel.get('id', 'r')}-copy{copy}"
        (folder / f"release-{i:05d}.json").write_text(json.dumps({"releases": [rel]}), encoding="utf-8")
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "procure-bench" / "ocds-files")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    ap.add_argument("--label", default="", help="a note stored with the result (e.g. 'before')")
    args = ap.parse_args(argv)

    from ingestion.common.loader import ingest

    if args.work.exists():
        shutil.rmtree(args.work)
    landing, warehouse = args.work / "landing", args.work / "warehouse.duckdb"
    releases = collect_releases(args.source)
    write_landing(releases, args.files, landing / "ocds_bench")
    size = sum(p.stat().st_size for p in (landing / "ocds_bench").glob("*.json"))

    started = time.perf_counter()
    report = ingest(landing, warehouse)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = ingest(landing, warehouse)
    second = time.perf_counter() - started

    by_entity = report.by_entity()
    rejected = [load.message for load in report.loads if load.status == "rejected"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True).stdout.strip()
    result = {
        "benchmark": "ocds_files", "label": args.label, "commit": commit,
        "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()},
        "files": args.files, "distinct_source_releases": len(releases), "landing_bytes": size,
        "ingest_s": round(first, 2), "s_per_file": round(first / args.files, 4),
        "nothing_new_s": round(second, 2),
        "rows": {e: {"loaded": v["rows_loaded"], "quarantined": v["rows_quarantined"]} for e, v in by_entity.items()},
        "rejected": rejected[:5], "nothing_new_loaded": sum(v["rows_loaded"] for v in again.by_entity().values()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"ocds-files-{args.files}-{result['at'].replace(':', '').replace('-', '')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
