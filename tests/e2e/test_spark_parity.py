"""The dbt project on Spark gives the same marts as on DuckDB (`make test-spark`; dbt_project/README.md "Spark").

From the default data set's DuckDB warehouse (the session's `default_home`: `procure generate` + `procure run`,
shared with the other end-to-end tests), the landing data dbt reads as sources (raw.*, resolution.*, quarantine.*) is
exported to Parquet with DuckDB's COPY and registered on Spark as external parquet tables
(`dbt run-operation register_external_sources`, an adapter.dispatch macro). Then, in subprocesses with the
virtualenv's dbt (target `spark`: dbt-spark `method: session`, a local[2] SparkSession from pyspark, one dbt
thread):

1. `dbt build --resource-type model --resource-type seed`: every model and seed. The data tests (431) and
   unit tests (46) are NOT run on Spark: they run on DuckDB (data tests in every `procure run`, unit tests in tests/dbt), they
   would roughly double the Spark time, and unit-test fixtures are typed from the sources' `varchar`
   columns, which Spark 4 refuses without a length.
2. a backfill of the facts incremental by period (`dbt run --select config.materialized:incremental --vars
   {period_start, period_end}`): on Spark, insert_overwrite into the period partitions after dropping the
   window's partitions; the months outside the window must keep the first build's rows.

Then the Spark tables' parquet files (under the Spark warehouse folder; the Derby metastore allows one
process, so no second Spark session) are read with DuckDB and compared with the DuckDB warehouse, whole
tables: same columns, same row count, rows sorted by every column (exact columns first), each value equal:
decimals, integers, strings, dates, timestamps, booleans exactly; doubles within 1e-9, absolute for
|x| <= 1 and relative above (|a - b| <= 1e-9 * max(1, |a|, |b|)). `_invocation_id` (which dbt invocation
wrote a fact row) is compared with the Spark invocations instead. The KPI marts (kpi_values, kpi_coverage,
attribute_scorecard, savings, red_flags and every published mart) are one test each; every other table
model in one more.
"""

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.environment import DBT_PROJECT_DIR

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

BIN = Path(sys.executable).parent
TOLERANCE = 1e-9
# the KPI marts (all published) and the published dims and facts (models/marts); every published model is one
# of them (test_every_published_model_is_compared)
KPI_MARTS = [("kpi", "kpi_values"), ("kpi", "kpi_coverage"), ("kpi", "attribute_scorecard"), ("kpi", "savings"),
             ("kpi", "red_flags"), ("kpi", "kpi_definitions")]
PUBLISHED_MARTS = sorted(("marts", p.stem) for p in (DBT_PROJECT_DIR / "models" / "marts").glob("*.sql"))
SOURCE_SCHEMAS = ("raw", "resolution", "quarantine")  # quarantine: the parents held_back_rows names
BUILD_TIMEOUT = 1800


class PeakRss:
    """Peak resident memory of a process and all its descendants (dbt's Python and Spark's JVM), sampled
    from /proc every 0.2 s while the process runs."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _children() -> dict[int, list[int]]:
        kids: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                kids.setdefault(ppid, []).append(int(entry))
        return kids

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            kids = self._children()
            tree, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(kids.get(pid, []))
            self.peak = max(self.peak, sum(self._rss(p) for p in tree))
            self._stop.wait(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _dbt(work: Path, env: dict, name: str, *args: str) -> dict:
    """Run one dbt command on the spark target; its log, run results, wall time and peak memory."""
    target = work / f"target_{name}"
    cmd = [str(BIN / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target", "spark", "--target-path", str(target), "--log-path", str(work / "logs")]
    started = time.monotonic()
    with open(work / f"{name}.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        rss = PeakRss(proc.pid)
        try:
            code = proc.wait(timeout=BUILD_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
            peak = rss.stop()
    output = (work / f"{name}.log").read_text()
    assert code == 0, f"dbt {' '.join(args)} failed on Spark:\n{output[-6000:]}"
    results = target / "run_results.json"
    return {
        "seconds": time.monotonic() - started,
        "peak_rss": peak,
        "output": output,
        "results": json.loads(results.read_text()) if results.exists() else None,
        "manifest": target / "manifest.json",
    }


@pytest.fixture(scope="module")
def spark(default_home, tmp_path_factory, request):
    """Build the project on Spark from the DuckDB warehouse's sources; the facts are then backfilled."""
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime (17) on PATH")
    work = tmp_path_factory.mktemp("spark_parity")
    warehouse = default_home / "warehouse" / "procure.duckdb"
    sources = work / "sources"
    started = time.monotonic()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            f"AND table_schema IN {SOURCE_SCHEMAS} ORDER BY 1, 2").fetchall()
        for schema, table in tables:
            (sources / schema).mkdir(parents=True, exist_ok=True)
            con.execute(f"COPY {schema}.{table} TO '{sources / schema / table}.parquet' (FORMAT parquet)")
        months = [str(m) for (m,) in con.execute(
            "SELECT DISTINCT period_month FROM marts.fct_payments ORDER BY 1").fetchall()]
    finally:
        con.close()
    export_seconds = time.monotonic() - started
    assert len(months) >= 6, months
    # a window of two months in the middle of the data, end exclusive
    window = (months[len(months) // 2], months[len(months) // 2 + 2])

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCURE_", "DAGSTER_HOME"))}
    env.update(PROCURE_HOME=str(work), PROCURE_SPARK_WAREHOUSE=str(work / "spark" / "warehouse"),
               PROCURE_SPARK_METASTORE=str(work / "spark" / "metastore_db"), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               # the data set is small: half the profile's default driver heap is plenty
               PROCURE_SPARK_MEMORY=os.environ.get("PROCURE_SPARK_MEMORY", "2g"))
    (work / "spark").mkdir()  # Derby's log goes next to its metastore folder
    register = _dbt(work, env, "register", "run-operation", "register_external_sources",
                    "--args", json.dumps({"path": str(sources)}))
    build = _dbt(work, env, "build", "build", "--resource-type", "model", "--resource-type", "seed")
    backfill = _dbt(work, env, "backfill", "run", "--select", "config.materialized:incremental",
                    "--vars", json.dumps({"period_start": window[0], "period_end": window[1]}))
    state = {
        "work": work, "warehouse": warehouse, "spark_warehouse": work / "spark" / "warehouse",
        "manifest": json.loads(build["manifest"].read_text()), "build": build, "backfill": backfill,
        "window": window, "source_tables": tables,
    }
    total = time.monotonic() - started
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    built = [r for r in build["results"]["results"] if r["status"] == "success"]
    line = (f"spark parity: export {export_seconds:.0f}s, register {register['seconds']:.0f}s, build "
            f"{build['seconds']:.0f}s ({sum(r['unique_id'].startswith('model.') for r in built)} models, "
            f"{sum(r['unique_id'].startswith('seed.') for r in built)} seeds), backfill {backfill['seconds']:.0f}s; "
            f"total {total:.0f}s; peak memory of dbt + Spark "
            f"{max(register['peak_rss'], build['peak_rss'], backfill['peak_rss']) / 2**30:.2f} GiB")
    (work / "timings.txt").write_text(line + "\n")
    if reporter is not None:
        reporter.write_line(line)
    return state


# --- reading and comparing -----------------------------------------------------------------------------

FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def _family(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t in FLOAT_TYPES:
        return "float"
    if t.startswith("DECIMAL") or t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                                        "USMALLINT", "UINTEGER", "UBIGINT"):
        return "exact number"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t in ("VARCHAR", "DATE", "BOOLEAN"):
        return t.lower()
    return t


def _normalise(value):
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _sort_key(row, exact: list[int], floats: list[int]):
    return tuple((v is None, v if v is not None else 0) for v in (row[i] for i in exact + floats))


def _floats_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def _spark_relation(spark_state, schema: str, table: str) -> tuple[list[Path], list[str], dict]:
    """The Spark table's parquet files, its partition columns (folder names) and its manifest node."""
    node = next(n for n in spark_state["manifest"]["nodes"].values()
                if n["resource_type"] == "model" and n["schema"] == schema and n["alias"] == table)
    folder = spark_state["spark_warehouse"] / f"{schema}.db" / table
    partitions = node["config"].get("partition_by") or []
    partitions = [partitions] if isinstance(partitions, str) else partitions
    files = sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith((".", "_")))
    return files, partitions, node


def compare_table(spark_state, schema: str, table: str) -> list[str]:
    """Differences between the DuckDB table and the Spark one (empty: identical within the tolerance)."""
    files, partitions, node = _spark_relation(spark_state, schema, table)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{spark_state['warehouse']}' AS wh (READ_ONLY)")
        duck_cols = con.execute(f"DESCRIBE wh.{schema}.{table}").fetchall()
        duck_types = {c[0].lower(): c[1] for c in duck_cols}
        duck_rows = con.execute(f"SELECT * FROM wh.{schema}.{table}").fetchall()
        duck_names = [c[0].lower() for c in duck_cols]
        if files:
            hive = ", hive_partitioning = false"
            if partitions:
                types = ", ".join(f"'{p}': '{duck_types.get(p.lower(), 'VARCHAR')}'" for p in partitions)
                hive = f", hive_partitioning = true, hive_types = {{{types}}}"
            query = f"SELECT * FROM read_parquet({[str(f) for f in files]}{hive})"
            spark_cols = con.execute(f"DESCRIBE {query}").fetchall()
            spark_types = {c[0].lower(): c[1] for c in spark_cols}
            spark_names = [c[0].lower() for c in spark_cols]
            spark_rows = con.execute(query).fetchall()
        else:  # Spark writes no file for an empty partitioned table
            spark_types, spark_names, spark_rows = dict(duck_types), list(duck_names), []
    finally:
        con.close()

    problems = []
    if set(duck_names) != set(spark_names):
        return [f"columns differ: only DuckDB {sorted(set(duck_names) - set(spark_names))}, "
                f"only Spark {sorted(set(spark_names) - set(duck_names))}"]
    for c in duck_names:
        if _family(duck_types[c]) != _family(spark_types[c]):
            problems.append(f"column {c}: DuckDB {duck_types[c]} vs Spark {spark_types[c]}")
    if len(duck_rows) != len(spark_rows):
        problems.append(f"row count: DuckDB {len(duck_rows)} vs Spark {len(spark_rows)}")
    if problems:
        return problems

    compared = [c for c in duck_names if c != "_invocation_id"]
    floats = [i for i, c in enumerate(compared) if _family(duck_types[c]) == "float"]
    exact = [i for i in range(len(compared)) if i not in floats]
    d_idx = [duck_names.index(c) for c in compared]
    s_idx = [spark_names.index(c) for c in compared]
    duck = sorted((tuple(_normalise(r[i]) for i in d_idx) for r in duck_rows), key=lambda r: _sort_key(r, exact, floats))
    spark = sorted((tuple(_normalise(r[i]) for i in s_idx) for r in spark_rows), key=lambda r: _sort_key(r, exact, floats))
    for i, name in enumerate(compared):
        equal = _floats_equal if i in floats else (lambda a, b: a == b)
        bad = [(d[i], s[i]) for d, s in zip(duck, spark) if not equal(d[i], s[i])]
        if bad:
            problems.append(f"column {name} ({duck_types[name]}): {len(bad)} of {len(duck)} rows differ, "
                            f"e.g. (DuckDB, Spark) {bad[:3]}")
    return problems


# --- the tests ------------------------------------------------------------------------------------------


def test_spark_build_built_every_model_and_seed(spark):
    results = spark["build"]["results"]["results"]
    nodes = spark["manifest"]["nodes"].values()
    models = {n["unique_id"] for n in nodes if n["resource_type"] == "model" and n["config"]["enabled"]}
    seeds = {n["unique_id"] for n in nodes if n["resource_type"] == "seed"}
    status = {r["unique_id"]: r["status"] for r in results}
    assert {u for u in models | seeds if status.get(u) != "success"} == set()
    assert len(models) >= 100 and len(seeds) >= 5
    # the sources were read from the exported files: every source is a table over its parquet file
    sources = spark["manifest"]["sources"].values()
    exported = {f"{s}.{t}" for s, t in spark["source_tables"]}
    assert {f"{s['schema']}.{s['identifier']}" for s in sources} <= exported


def test_every_published_model_is_compared(spark):
    """The KPI marts compared one by one are the published models (so a new one is not left out)."""
    published = {(n["schema"], n["alias"]) for n in spark["manifest"]["nodes"].values()
                 if n["resource_type"] == "model" and "published" in n["tags"]}
    assert published == set(KPI_MARTS) | set(PUBLISHED_MARTS)


@pytest.mark.parametrize("schema,table", KPI_MARTS + PUBLISHED_MARTS, ids=lambda v: v)
def test_kpi_mart_matches_duckdb(spark, schema, table):
    problems = compare_table(spark, schema, table)
    assert not problems, f"{schema}.{table} differs between DuckDB and Spark:\n" + "\n".join(problems)


def test_every_other_table_matches_duckdb(spark):
    marts = set(KPI_MARTS) | set(PUBLISHED_MARTS)
    tables = sorted((n["schema"], n["alias"]) for n in spark["manifest"]["nodes"].values()
                    if n["resource_type"] == "model" and n["config"]["materialized"] in ("table", "incremental"))
    others = [t for t in tables if t not in marts]
    assert len(others) >= 50
    differing = {f"{s}.{t}": p for s, t in others if (p := compare_table(spark, s, t))}
    assert not differing, "tables that differ between DuckDB and Spark:\n" + "\n".join(
        f"{name}: {'; '.join(p)}" for name, p in differing.items())


def test_backfill_rewrote_exactly_its_window(spark):
    """Incremental facts on Spark: the backfill's window holds rows of the backfill's invocation only, every
    other month still the first build's (their contents are compared with DuckDB above)."""
    first = spark["build"]["results"]["metadata"]["invocation_id"]
    second = spark["backfill"]["results"]["metadata"]["invocation_id"]
    facts = [n for n in spark["manifest"]["nodes"].values()
             if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"]
    assert len(facts) >= 3
    assert {r["unique_id"] for r in spark["backfill"]["results"]["results"] if r["status"] == "success"} \
        == {n["unique_id"] for n in facts}
    start, end = spark["window"]
    con = duckdb.connect()
    try:
        for node in facts:
            files, partitions, _ = _spark_relation(spark, node["schema"], node["alias"])
            assert partitions == ["period_month"], node["unique_id"]
            assert f"{node['name']}: backfill" in spark["backfill"]["output"], node["unique_id"]
            rows = con.execute(
                f"SELECT period_month >= DATE '{start}' AND period_month < DATE '{end}' AS inside, _invocation_id, "
                f"count(*) FROM read_parquet({[str(f) for f in files]}, hive_partitioning = true, "
                "hive_types = {'period_month': 'DATE'}) GROUP BY ALL").fetchall()
            by = {(inside, inv): n for inside, inv, n in rows}
            assert set(by) <= {(True, second), (False, first)}, (node["name"], by)
            assert by.get((False, first), 0) > 0, (node["name"], by)
            if node["name"] == "fct_payments":  # the window is two of its months
                assert by.get((True, second), 0) > 0, by
    finally:
        con.close()
