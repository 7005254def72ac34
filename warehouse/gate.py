"""The publication gate: Soda v4 data contracts verified against a DuckDB file.

One contract per gated table lives in ``warehouse/soda/contracts/<schema>/<table>.yml``; the data source is
``warehouse/soda/datasource.yml`` (name ``procure``, read-only, database from ``$PROCURE_GATE_DATABASE``, which
:func:`verify` sets for the duration of a verification).

Soda v4 traps handled here (see docs/stack notes):
- a check that is NOT_EVALUATED (wrong dataset name, missing table, broken SQL) does not make Soda's result
  fail, so the gate passes only if there is at least one check and *every* check outcome is PASSED;
- Soda errors with no check results (bad data source, unreadable file) fail the gate with the errors as message;
- telemetry is switched off before soda_core is imported (offline, it adds seconds per verification).

For a failing check the gate queries the table itself (read-only connection, values parameterised, identifiers
taken only from the contract file) to name up to 5 offending primary keys, so an operator reads e.g.
``marts.fct_payments: check 'payment_date within 1990-01-01..2030-12-31' failed on 1 row(s), e.g. payment_id=P-123``.

CLI: ``python -m warehouse.gate [--db PATH] [schema.table ...]`` verifies (all gated tables by default) and exits 1
when any check did not pass.
"""

from __future__ import annotations

import os

os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from ruamel.yaml import YAML  # the YAML 1.2 parser Soda uses: 'off' stays a string, as Soda reads it

SODA_DIR = Path(__file__).resolve().parent / "soda"
CONTRACTS_DIR = SODA_DIR / "contracts"
DATASOURCE_FILE = SODA_DIR / "datasource.yml"
DATABASE_ENV_VAR = "PROCURE_GATE_DATABASE"
SAMPLE_LIMIT = 5

# Gate order: marts before the KPI layer built on them; other schemas after, alphabetically.
_SCHEMA_ORDER = {"marts": 0, "kpi": 1}
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
    """Every (schema, table) with a contract file, marts first, then kpi, then the rest."""
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
    return _Contract(schema=schema, table=table, checks=checks, key_columns=key)


# ---------------------------------------------------------------------------------------------- verify


def verify(db_path: Path, schema: str, table: str) -> GateReport:
    """Verify the contract of schema.table against the DuckDB file db_path (opened read-only, closed after)."""
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

    from soda_core.contracts import verify_contract_locally  # imported late: telemetry env var set above

    with _VERIFY_LOCK:
        previous = os.environ.get(DATABASE_ENV_VAR)
        os.environ[DATABASE_ENV_VAR] = str(db_path.resolve())
        try:
            result = verify_contract_locally(
                data_source_file_path=str(DATASOURCE_FILE), contract_file_path=str(path)
            )
        except Exception as e:  # noqa: BLE001
            return gate_error("contract verification", f"Soda raised {type(e).__name__}: {e}")
        finally:
            if previous is None:
                os.environ.pop(DATABASE_ENV_VAR, None)
            else:
                os.environ[DATABASE_ENV_VAR] = previous

    errors = [str(e) for e in result.get_errors()] if result.has_errors else []
    outcomes: list[CheckOutcome] = []
    for contract_result in result.contract_verification_results:
        for cr in contract_result.check_results:
            outcomes.append(_to_outcome(dataset, cr))

    if not outcomes:
        message = "; ".join(errors) or "the contract produced no check results"
        return gate_error("contract evaluates", message)

    failing = [o for o in outcomes if not o.passed]
    if failing:
        _add_samples(db_path, contract, failing)
    if errors and not failing:
        # Every check passed but Soda logged errors: do not publish on a half-understood verification.
        outcomes.append(CheckOutcome(dataset, "no verification errors", "ERROR", False, None, [], "; ".join(errors)))

    passed = len(outcomes) > 0 and all(o.outcome == "PASSED" for o in outcomes)
    return GateReport(dataset, path, outcomes, passed, time.perf_counter() - started, errors)


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


def _to_outcome(dataset: str, cr: Any) -> CheckOutcome:
    check = cr.check
    outcome = cr.outcome.value if hasattr(cr.outcome, "value") else str(cr.outcome)
    name = check.name or (f"{check.column_name}: {check.type}" if check.column_name else check.type)
    diagnostics = cr.diagnostic_metric_values or {}
    metric = _COUNT_METRIC.get(check.type)
    failed_rows = int(diagnostics[metric]) if metric and diagnostics.get(metric) is not None else None
    message = ""
    if check.type == "row_count":
        count = diagnostics.get("check_rows_tested")
        message = f"row count is {count}" if count is not None else ""
    elif outcome == "NOT_EVALUATED":
        message = "check was not evaluated (missing table or column, or the check's SQL failed)"
    return CheckOutcome(
        dataset=dataset,
        check=name,
        outcome=outcome,
        passed=outcome == "PASSED",
        failed_rows=failed_rows,
        sample_keys=[],
        message=message,
    )


# ---------------------------------------------------------------------------------------------- samples


def _offending_rows_sql(contract: _Contract, check: _ContractCheck) -> tuple[str, list[Any]] | None:
    """SQL (and parameters) selecting the key columns of up to SAMPLE_LIMIT rows that break `check`."""
    if not contract.key_columns:
        return None
    table = f"{_quote(contract.schema)}.{_quote(contract.table)}"
    keys = ", ".join(_quote(k) for k in contract.key_columns)
    order = f" ORDER BY {keys}"
    limit = f" LIMIT {SAMPLE_LIMIT}"
    body = check.body
    if check.type == "missing" and check.column:
        return f"SELECT DISTINCT {keys} FROM {table} WHERE {_quote(check.column)} IS NULL{order}{limit}", []
    if check.type == "invalid" and check.column:
        col = _quote(check.column)
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
    if check.type == "failed_rows":
        if body.get("expression"):
            return f"SELECT DISTINCT {keys} FROM {table} WHERE ({body['expression']}){order}{limit}", []
        if body.get("query"):
            # The contract's own SQL; the sample uses whichever key columns it returns.
            return f"SELECT * FROM ({body['query']}) AS failed LIMIT {SAMPLE_LIMIT}", []
    return None


def _format_key(names: list[str], row: tuple, key_columns: list[str]) -> str:
    pairs = [(n, v) for n, v in zip(names, row) if n in key_columns] or list(zip(names, row))
    if len(pairs) == 1:
        n, v = pairs[0]
        return f"{n}={'NULL' if v is None else v}"
    shown = [f"{n}={v}" for n, v in pairs if v is not None]
    return " ".join(shown) if shown else "(all key columns NULL)"


def _add_samples(db_path: Path, contract: _Contract, failing: list[CheckOutcome]) -> None:
    """Fill sample_keys of failing checks; sampling problems never change the gate's verdict."""
    by_name = {(c.name or ""): c for c in contract.checks}
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except Exception as e:  # noqa: BLE001
        for o in failing:
            o.message = (o.message + "; " if o.message else "") + f"could not sample rows: {e}"
        return
    try:
        for outcome in failing:
            check = by_name.get(outcome.check)
            if check is None or outcome.outcome != "FAILED":
                continue
            try:
                sql = _offending_rows_sql(contract, check)
                if sql is None:
                    continue
                cur = con.execute(sql[0], sql[1])
                names = [d[0] for d in cur.description]
                outcome.sample_keys = [_format_key(names, row, contract.key_columns) for row in cur.fetchall()]
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
    db = args.db or get_settings().warehouse
    targets = [tuple(d.split(".", 1)) for d in args.datasets] or gated_datasets()
    ok = True
    for schema, table in targets:
        report = verify(db, schema, table)
        status = "PASSED" if report.passed else "FAILED"
        print(f"{schema}.{table}: {status} ({len(report.checks)} checks, {report.elapsed_s:.2f}s)")
        if not report.passed:
            ok = False
            print(report.summary())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
