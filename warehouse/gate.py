"""The publication gate: Soda v4 data contracts verified against a DuckDB file.

One contract per gated table lives in ``warehouse/soda/contracts/<schema>/<table>.yml``: the raw layer's are
generated from the canonical schema (ingestion/common/contracts.py, `procure docs`), the published tables'
(marts, kpi) are written by hand. The data source is ``warehouse/soda/datasource.yml`` (name ``procure``,
read-only, database from ``$PROCURE_GATE_DATABASE``, which :func:`verify` sets for the duration of a
verification).

Variables the gate passes to Soda (a contract declares the ones it uses, with defaults for the Soda CLI):
- ``FRESHNESS_MAX_DAYS``: PROCURE_FRESHNESS_MAX_DAYS (settings), for the freshness checks on raw entities;
- ``VOLUME_MIN`` / ``VOLUME_MAX``: the volume check of a published table, from its row count in the current
  published snapshot (the sidecar's ``tables``) and PROCURE_VOLUME_TOLERANCE: rows must stay within
  [count * (1 - tolerance), count * (1 + tolerance)]. Without a previous snapshot (or when the table is not in
  it) the contract's defaults apply; "row count > 0" checks still require rows where a table must not be empty.
Contracts also use Soda's ``${soda.NOW}`` for date windows (e.g. not more than a year after NOW).

Soda v4 traps handled here (see docs/stack notes):
- a check that is NOT_EVALUATED (wrong dataset name, missing table, broken SQL) does not make Soda's result
  fail, so the gate passes only if there is at least one check and *every* check outcome is PASSED;
- Soda errors with no check results (bad data source, unreadable file) fail the gate with the errors as message;
- telemetry is switched off before soda_core is imported (offline, it adds seconds per verification).

For a failing check the gate queries the table itself (read-only connection, values parameterised, identifiers
and SQL taken only from the contract file) to name up to 5 offending keys, so an operator reads e.g.
``marts.fct_payments: check 'payment_date within 1990-01-01..NOW+1y' failed on 1 row(s), e.g. payment_id=P-123``;
reference checks name the foreign-key values missing from the dimension, reconciliation queries the loads or
states that do not reconcile, the stale entity with its newest load and age; schema and volume failures say what differs.

CLI: ``python -m warehouse.gate [--db PATH] [schema.table ...]`` verifies (all gated tables by default: raw, then
marts, then kpi) and exits 1 when any check did not pass.
"""

from __future__ import annotations

import os

os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")

import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from ruamel.yaml import YAML  # the YAML 1.2 parser Soda uses: 'off' stays a string, as Soda reads it

if TYPE_CHECKING:
    from warehouse.settings import Settings

SODA_DIR = Path(__file__).resolve().parent / "soda"
CONTRACTS_DIR = SODA_DIR / "contracts"
DATASOURCE_FILE = SODA_DIR / "datasource.yml"
DATABASE_ENV_VAR = "PROCURE_GATE_DATABASE"
SAMPLE_LIMIT = 5

# Gate order: raw, then the marts built on it, then the KPI layer; other schemas after, alphabetically.
_SCHEMA_ORDER = {"raw": 0, "marts": 1, "kpi": 2}
VOLUME_VARIABLES = ("VOLUME_MIN", "VOLUME_MAX")
FRESHNESS_VARIABLE = "FRESHNESS_MAX_DAYS"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# verify() sets an environment variable for Soda's data source file: one verification at a time per process.
_VERIFY_LOCK = threading.Lock()


@dataclass
class CheckOutcome:
    dataset: str  # "schema.table"
    check: str  # the check's name in the contract (or Soda's path when it has none)
    outcome: str  # PASSED | FAILED | WARN | NOT_EVALUATED | EXCLUDED | ERROR (gate-level problem)
    passed: bool
    failed_rows: int | None
    sample_keys: list[str]
    message: str


@dataclass
class GateReport:
    dataset: str
    contract: Path
    checks: list[CheckOutcome]
    passed: bool  # True only if >= 1 check and every check outcome is PASSED
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    def failures(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """One line per failing check (empty string when the gate passed)."""
        lines = []
        for c in self.failures():
            line = f"{c.dataset}: check '{c.check}' "
            if c.outcome == "FAILED" and c.failed_rows is not None:
                line += f"failed on {c.failed_rows} row(s)"
            elif c.outcome == "FAILED":
                line += "failed"
            else:
                line += f"did not pass ({c.outcome})"
            if c.sample_keys:
                line += ", e.g. " + "; ".join(c.sample_keys[:SAMPLE_LIMIT])
            if c.message:
                line += f" [{c.message}]"
            lines.append(line)
        if lines and self.errors:
            lines.append(f"{self.dataset}: Soda errors: " + " | ".join(e.splitlines()[0] for e in self.errors))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- contracts


def contract_path(schema: str, table: str) -> Path:
    return CONTRACTS_DIR / schema / f"{table}.yml"


def gated_datasets() -> list[tuple[str, str]]:
    """Every (schema, table) with a contract file: raw first, then marts, then kpi, then the rest."""
    found = [(p.parent.name, p.stem) for p in CONTRACTS_DIR.glob("*/*.yml")]
    return sorted(found, key=lambda st: (_SCHEMA_ORDER.get(st[0], len(_SCHEMA_ORDER)), st[0], st[1]))


@dataclass
class _ContractCheck:
    """A check as written in the contract file (used to find offending rows)."""

    type: str
    column: str | None
    name: str | None
    body: dict[str, Any]


@dataclass
class _Contract:
    schema: str
    table: str
    checks: list[_ContractCheck]
    key_columns: list[str]
    variables: dict[str, Any] = field(default_factory=dict)  # declared variables -> default


def _quote(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"unsafe SQL identifier in contract: {identifier!r}")
    return f'"{identifier}"'


def _load_contract(path: Path) -> _Contract:
    doc = YAML(typ="safe").load(path.read_text()) or {}
    parts = str(doc.get("dataset", "")).split("/")
    if len(parts) != 3:
        raise ValueError(f"{path}: dataset must be '<datasource>/<schema>/<table>', got {doc.get('dataset')!r}")
    _, schema, table = parts
    checks: list[_ContractCheck] = []

    def read(items: list | None, column: str | None) -> None:
        for item in items or []:
            if isinstance(item, dict) and len(item) == 1:
                (ctype, body), = item.items()
                body = body or {}
                checks.append(_ContractCheck(ctype, column, body.get("name"), body))

    read(doc.get("checks"), None)
    for col in doc.get("columns") or []:
        read(col.get("checks"), col.get("name"))
    # The primary key: the column with a single-column duplicate check, else the columns of the dataset-level
    # duplicate check (the table's grain).
    key: list[str] = [c.column for c in checks if c.type == "duplicate" and c.column][:1]
    if not key:
        key = next((list(c.body.get("columns") or []) for c in checks if c.type == "duplicate" and not c.column), [])
    variables = {
        str(name): (spec or {}).get("default") if isinstance(spec, dict) else None
        for name, spec in (doc.get("variables") or {}).items()
    }
    return _Contract(schema=schema, table=table, checks=checks, key_columns=_sample_keys(schema, table, key),
                     variables=variables)


def _sample_keys(schema: str, table: str, key: list[str]) -> list[str]:
    """The columns that name an offending row. In raw the grain is the file row (_load_id, _row_number); the
    entity's own key is put first so an operator recognises the record."""
    if schema != "raw":
        return key
    try:
        from ingestion.common.schema import load_schema

        entity = load_schema().get(table)
    except Exception:  # noqa: BLE001 - samples are a courtesy; never fail the gate over them
        entity = None
    if entity is None:
        return key
    return list(entity.primary_key) + [k for k in key if k not in entity.primary_key]


# ---------------------------------------------------------------------------------------------- variables


@dataclass
class VolumeBaseline:
    """Row counts of the published tables in the current snapshot, the reference for the volume checks."""

    snapshot_id: str | None
    counts: dict[str, int]
    tolerance: float

    def bounds(self, table: str) -> tuple[int, int] | None:
        """(min, max) rows allowed for `table`, or None when there is nothing to compare with."""
        previous = self.counts.get(table)
        if not previous or previous <= 0:
            return None
        low = max(0, math.ceil(previous * (1 - self.tolerance) - 1e-9))
        high = math.floor(previous * (1 + self.tolerance) + 1e-9)
        return low, high


def volume_baseline(settings: "Settings | None" = None) -> VolumeBaseline:
    """The current published snapshot's table counts (none before the first publication)."""
    from warehouse.settings import get_settings

    settings = settings or get_settings()
    try:
        from warehouse.publish import current_snapshot

        info = current_snapshot(settings)
    except Exception:  # noqa: BLE001 - an unreadable snapshot must not crash the gate: it compares with nothing
        info = None
    if info is None:
        return VolumeBaseline(None, {}, settings.volume_tolerance)
    return VolumeBaseline(info.snapshot_id, {str(k): int(v) for k, v in (info.tables or {}).items()},
                          settings.volume_tolerance)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _variables(contract: _Contract, settings: "Settings", baseline: VolumeBaseline) -> dict[str, Any]:
    """Values for the variables the contract declares (numbers stay numbers: Soda reads thresholds as numbers)."""
    values: dict[str, Any] = {}
    if FRESHNESS_VARIABLE in contract.variables:
        values[FRESHNESS_VARIABLE] = _number(settings.freshness_max_days)
    if all(v in contract.variables for v in VOLUME_VARIABLES):
        bounds = baseline.bounds(contract.table)
        if bounds is not None:
            low, high = bounds
            if low >= high:  # one count allowed (a 1-row table, or tolerance 0): Soda refuses equal bounds
                low, high = low - 0.5, high + 0.5  # row counts are whole: this still allows exactly that count
            values["VOLUME_MIN"], values["VOLUME_MAX"] = low, high
    return values


_VARIABLE = re.compile(r"\$\{ *(var|soda)\.([A-Za-z_][A-Za-z0-9_]*) *\}")


def _resolve(text: str, contract: _Contract, variables: dict[str, Any], now: datetime) -> str:
    """The contract's SQL with ${var.X} and ${soda.NOW} filled in as Soda fills them (for the sample queries)."""

    def value(match: re.Match) -> str:
        namespace, name = match.group(1), match.group(2)
        if namespace == "soda" and name in ("NOW", "DATA_TIMESTAMP"):
            return now.isoformat()
        if namespace == "var" and name in variables:
            return str(variables[name])
        if namespace == "var" and contract.variables.get(name) is not None:
            return str(contract.variables[name])
        raise ValueError(f"variable ${{{namespace}.{name}}} has no value")

    return _VARIABLE.sub(value, text)


# ---------------------------------------------------------------------------------------------- verify


def verify(
    db_path: Path,
    schema: str,
    table: str,
    *,
    settings: "Settings | None" = None,
    baseline: VolumeBaseline | None = None,
) -> GateReport:
    """Verify the contract of schema.table against the DuckDB file db_path (opened read-only, closed after).

    `baseline` (the previous snapshot's row counts) defaults to the current published snapshot of `settings`.
    """
    started = time.perf_counter()
    dataset = f"{schema}.{table}"
    path = contract_path(schema, table)
    db_path = Path(db_path)

    def gate_error(check: str, message: str, errors: list[str] | None = None) -> GateReport:
        outcome = CheckOutcome(dataset, check, "ERROR", False, None, [], message)
        return GateReport(dataset, path, [outcome], False, time.perf_counter() - started, errors or [])

    if not path.is_file():
        return gate_error("contract exists", f"no contract file {path}")
    try:
        contract = _load_contract(path)
    except Exception as e:  # noqa: BLE001 - a broken contract fails the gate, it does not crash the caller
        return gate_error("contract parses", f"{type(e).__name__}: {e}")
    if (contract.schema, contract.table) != (schema, table):
        return gate_error(
            "contract dataset", f"{path} declares {contract.schema}.{contract.table}, expected {dataset}"
        )
    if not db_path.is_file():
        return gate_error("database exists", f"no DuckDB file at {db_path}")

    missing = _missing_table_message(db_path, schema, table)
    if missing:
        return gate_error("dataset exists", missing)

    if settings is None:
        from warehouse.settings import get_settings

        settings = get_settings()
    if baseline is None:
        baseline = volume_baseline(settings)
    variables = _variables(contract, settings, baseline)
    now = datetime.now(timezone.utc)

    from soda_core.contracts import verify_contract_locally  # imported late: telemetry env var set above

    with _VERIFY_LOCK:
        previous = os.environ.get(DATABASE_ENV_VAR)
        os.environ[DATABASE_ENV_VAR] = str(db_path.resolve())
        try:
            result = verify_contract_locally(
                data_source_file_path=str(DATASOURCE_FILE),
                contract_file_path=str(path),
                variables=variables or None,
            )
        except Exception as e:  # noqa: BLE001
            return gate_error("contract verification", f"Soda raised {type(e).__name__}: {e}")
        finally:
            if previous is None:
                os.environ.pop(DATABASE_ENV_VAR, None)
            else:
                os.environ[DATABASE_ENV_VAR] = previous

    errors = [str(e) for e in result.get_errors()] if result.has_errors else []
    by_name = {(c.name or ""): c for c in contract.checks}
    outcomes: list[CheckOutcome] = []
    for contract_result in result.contract_verification_results:
        for cr in contract_result.check_results:
            outcome = _to_outcome(dataset, cr)
            if _is_volume_check(by_name.get(outcome.check)) and outcome.outcome in ("PASSED", "FAILED"):
                outcome.message = _volume_message(cr, contract.table, baseline, outcome.passed)
            outcomes.append(outcome)

    if not outcomes:
        message = "; ".join(errors) or "the contract produced no check results"
        return gate_error("contract evaluates", message)

    failing = [o for o in outcomes if not o.passed]
    if failing:
        _add_samples(db_path, contract, failing, variables, now)
    if errors and not failing:
        # Every check passed but Soda logged errors: do not publish on a half-understood verification.
        outcomes.append(CheckOutcome(dataset, "no verification errors", "ERROR", False, None, [], "; ".join(errors)))

    passed = len(outcomes) > 0 and all(o.outcome == "PASSED" for o in outcomes)
    return GateReport(dataset, path, outcomes, passed, time.perf_counter() - started, errors)


def verify_all(
    db_path: Path, datasets: list[tuple[str, str]] | None = None, settings: "Settings | None" = None
) -> list[GateReport]:
    """Verify several contracts (every gated dataset by default) against one file, one baseline for all."""
    if settings is None:
        from warehouse.settings import get_settings

        settings = get_settings()
    baseline = volume_baseline(settings)
    return [verify(db_path, s, t, settings=settings, baseline=baseline) for s, t in (datasets or gated_datasets())]


def _missing_table_message(db_path: Path, schema: str, table: str) -> str | None:
    """None when schema.table exists in db_path (a table or a view), else why not."""
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except Exception as e:  # noqa: BLE001
        return f"cannot open {db_path} read-only: {e}"
    try:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    finally:
        con.close()
    return None if found else f"table {schema}.{table} does not exist in {db_path}"


# The diagnostic that counts offending rows, per check type (invalid and duplicate checks also report a
# missing_count, which is not what they failed on).
_COUNT_METRIC = {
    "missing": "missing_count",
    "invalid": "invalid_count",
    "duplicate": "duplicate_count",
    "failed_rows": "failed_rows_count",
}


def _is_volume_check(check: _ContractCheck | None) -> bool:
    return check is not None and check.type == "row_count" and "${var.VOLUME_" in str(check.body.get("threshold"))


def _volume_message(cr: Any, table: str, baseline: VolumeBaseline, passed: bool) -> str:
    rows = (cr.diagnostic_metric_values or {}).get("check_rows_tested")
    bounds = baseline.bounds(table)
    if bounds is None:
        if baseline.snapshot_id is None:
            where = "no previous snapshot"
        elif table in baseline.counts:
            where = f"empty in snapshot {baseline.snapshot_id}"
        else:
            where = f"not in snapshot {baseline.snapshot_id}"
        return f"row count is {rows}; {where}: nothing to compare with"
    previous = baseline.counts[table]
    pct = f"{baseline.tolerance:.0%}"
    message = (
        f"row count is {rows}, was {previous} in snapshot {baseline.snapshot_id}; "
        f"PROCURE_VOLUME_TOLERANCE={baseline.tolerance:g} (±{pct}) allows {bounds[0]}..{bounds[1]}"
    )
    if not passed and isinstance(rows, (int, float)):
        needed = math.ceil(abs(rows - previous) / previous * 100 - 1e-9) / 100
        message += (
            f". If the change is legitimate (a new source, a back-fill, a correction), accept it for one run: "
            f"PROCURE_VOLUME_TOLERANCE={needed:g} procure run"
        )
    return message


def _schema_problems(cr: Any) -> tuple[list[str], str]:
    """Sample 'keys' (the columns) and a message for a failed schema check."""
    samples, parts = [], []
    missing = list(getattr(cr, "expected_column_names_not_actual", None) or [])
    extra = list(getattr(cr, "actual_column_names_not_expected", None) or [])
    mismatches = list(getattr(cr, "column_data_type_mismatches", None) or [])
    if missing:
        parts.append("missing columns: " + ", ".join(missing))
        samples += [f"column={c} (missing)" for c in missing]
    if extra:
        parts.append("unexpected columns: " + ", ".join(extra))
        samples += [f"column={c} (unexpected)" for c in extra]
    if mismatches:
        described = []
        for m in mismatches:
            try:
                described.append(f"{m.column} {m.get_expected()} -> {m.get_actual()}")
            except Exception:  # noqa: BLE001
                described.append(f"{m.column} {m.expected_data_type} -> {m.actual_data_type}")
        parts.append("type mismatches (expected -> actual): " + ", ".join(described))
        samples += [f"column={m.column} (type)" for m in mismatches]
    if getattr(cr, "are_columns_out_of_order", False):
        parts.append("columns out of order")
    return samples, "; ".join(parts)


def _to_outcome(dataset: str, cr: Any) -> CheckOutcome:
    check = cr.check
    outcome = cr.outcome.value if hasattr(cr.outcome, "value") else str(cr.outcome)
    name = check.name or (f"{check.column_name}: {check.type}" if check.column_name else check.type)
    diagnostics = cr.diagnostic_metric_values or {}
    metric = _COUNT_METRIC.get(check.type)
    failed_rows = int(diagnostics[metric]) if metric and diagnostics.get(metric) is not None else None
    message = ""
    samples: list[str] = []
    if check.type == "row_count":
        count = diagnostics.get("check_rows_tested")
        message = f"row count is {count}" if count is not None else ""
    elif outcome == "NOT_EVALUATED":
        message = "check was not evaluated (missing table or column, or the check's SQL failed)"
    elif check.type == "schema" and outcome != "PASSED":
        samples, message = _schema_problems(cr)
    return CheckOutcome(
        dataset=dataset,
        check=name,
        outcome=outcome,
        passed=outcome == "PASSED",
        failed_rows=failed_rows,
        sample_keys=samples,
        message=message,
    )


# ---------------------------------------------------------------------------------------------- samples


def _offending_rows_sql(
    contract: _Contract, check: _ContractCheck, variables: dict[str, Any], now: datetime
) -> tuple[str, list[Any]] | None:
    """SQL (and parameters) selecting the keys of up to SAMPLE_LIMIT rows (or groups) that break `check`."""
    table = f"{_quote(contract.schema)}.{_quote(contract.table)}"
    limit = f" LIMIT {SAMPLE_LIMIT}"
    body = check.body
    if check.type == "invalid" and check.column and isinstance(body.get("valid_reference_data"), dict):
        # The foreign-key values that are not in the dimension (what to add there, or to fix here).
        ref = body["valid_reference_data"]
        ref_parts = str(ref.get("dataset", "")).split("/")
        if len(ref_parts) != 3 or not ref.get("column"):
            return None
        ref_table = f"{_quote(ref_parts[1])}.{_quote(ref_parts[2])}"
        col, ref_col = _quote(check.column), _quote(str(ref["column"]))
        return (
            f"SELECT DISTINCT t.{col} FROM {table} AS t WHERE t.{col} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ref_table} AS r WHERE r.{ref_col} = t.{col}) ORDER BY 1{limit}",
            [],
        )
    if check.type == "failed_rows" and body.get("query"):
        # The contract's own SQL (e.g. a reconciliation): its rows name the loads or states that fail.
        query = _resolve(str(body["query"]), contract, variables, now)
        return f"SELECT * FROM ({query}) AS failed ORDER BY ALL{limit}", []
    if not contract.key_columns:
        return None
    keys = ", ".join(_quote(k) for k in contract.key_columns)
    order = f" ORDER BY {keys}"
    if check.type == "missing" and check.column:
        return f"SELECT DISTINCT {keys} FROM {table} WHERE {_quote(check.column)} IS NULL{order}{limit}", []
    if check.type == "invalid" and check.column:
        col = f"({body['column_expression']})" if body.get("column_expression") else _quote(check.column)
        conditions: list[str] = []
        params: list[Any] = []
        if body.get("valid_values") is not None:
            values = list(body["valid_values"])
            conditions.append(f"{col} NOT IN ({', '.join('?' for _ in values)})" if values else "TRUE")
            params.extend(values)
        if body.get("valid_min") is not None:
            conditions.append(f"{col} < ?")
            params.append(body["valid_min"])
        if body.get("valid_max") is not None:
            conditions.append(f"{col} > ?")
            params.append(body["valid_max"])
        if not conditions:
            return None
        where = f"{col} IS NOT NULL AND ({' OR '.join(conditions)})"
        return f"SELECT DISTINCT {keys} FROM {table} WHERE {where}{order}{limit}", params
    if check.type == "duplicate":
        cols = [check.column] if check.column else list(body.get("columns") or [])
        if not cols:
            return None
        group = ", ".join(_quote(c) for c in cols)
        join = " AND ".join(f"t.{_quote(c)} IS NOT DISTINCT FROM d.{_quote(c)}" for c in cols)
        not_null = "" if not check.column else f" WHERE {_quote(check.column)} IS NOT NULL"
        tkeys = ", ".join(f"t.{_quote(k)}" for k in contract.key_columns)
        return (
            f"SELECT DISTINCT {tkeys} FROM {table} AS t JOIN (SELECT {group} FROM {table}{not_null} "
            f"GROUP BY {group} HAVING count(*) > 1) AS d ON {join} ORDER BY {tkeys}{limit}",
            [],
        )
    if check.type == "failed_rows" and body.get("expression"):
        expression = _resolve(str(body["expression"]), contract, variables, now)
        return f"SELECT DISTINCT {keys} FROM {table} WHERE ({expression}){order}{limit}", []
    return None


def _format_key(names: list[str], row: tuple, key_columns: list[str]) -> str:
    pairs = [(n, v) for n, v in zip(names, row) if n in key_columns] or list(zip(names, row))
    if len(pairs) == 1:
        n, v = pairs[0]
        return f"{n}={'NULL' if v is None else v}"
    shown = [f"{n}={v}" for n, v in pairs if v is not None]
    return " ".join(shown) if shown else "(all key columns NULL)"


def _add_samples(
    db_path: Path, contract: _Contract, failing: list[CheckOutcome], variables: dict[str, Any], now: datetime
) -> None:
    """Fill sample_keys of failing checks; sampling problems never change the gate's verdict."""
    by_name = {(c.name or ""): c for c in contract.checks}
    wanted = [o for o in failing if o.outcome == "FAILED" and not o.sample_keys and o.check in by_name]
    if not wanted:
        return
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except Exception as e:  # noqa: BLE001
        for o in wanted:
            o.message = (o.message + "; " if o.message else "") + f"could not sample rows: {e}"
        return
    try:
        for outcome in wanted:
            check = by_name[outcome.check]
            try:
                sql = _offending_rows_sql(contract, check, variables, now)
                if sql is None:
                    continue
                cur = con.execute(sql[0], sql[1])
                names = [d[0] for d in cur.description]
                # A contract query returns what an operator needs (keys and the figures that disagree): show it all.
                shown = names if (check.type == "failed_rows" and check.body.get("query")) else contract.key_columns
                outcome.sample_keys = [_format_key(names, row, shown) for row in cur.fetchall()]
            except Exception as e:  # noqa: BLE001
                outcome.message = (outcome.message + "; " if outcome.message else "") + f"could not sample rows: {e}"
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    import argparse

    from warehouse.settings import get_settings

    parser = argparse.ArgumentParser(description="Verify the publication gate's Soda contracts.")
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file (default: the working warehouse)")
    parser.add_argument("datasets", nargs="*", help="schema.table (default: every gated dataset)")
    args = parser.parse_args(argv)
    settings = get_settings()
    db = args.db or settings.warehouse
    targets = [tuple(d.split(".", 1)) for d in args.datasets] or gated_datasets()
    baseline = volume_baseline(settings)
    print(
        "volume baseline: "
        + (f"snapshot {baseline.snapshot_id}" if baseline.snapshot_id else "none (first publication)")
        + f", tolerance {baseline.tolerance:g}; freshness max {settings.freshness_max_days:g} days"
    )
    started = time.perf_counter()
    ok = True
    checks = 0
    for schema, table in targets:
        report = verify(db, schema, table, settings=settings, baseline=baseline)
        checks += len(report.checks)
        status = "PASSED" if report.passed else "FAILED"
        print(f"{schema}.{table}: {status} ({len(report.checks)} checks, {report.elapsed_s:.2f}s)")
        if not report.passed:
            ok = False
            print(report.summary())
    print(f"{len(targets)} contracts, {checks} checks, {time.perf_counter() - started:.1f}s: "
          + ("gate PASSED" if ok else "gate FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
