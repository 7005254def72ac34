"""Soda v4 contracts for the raw layer, generated from the canonical schema (the one definition).

One contract per entity, ``warehouse/soda/contracts/raw/<entity>.yml``, plus one for the load ledger
``raw._loads``. `procure docs` writes them (ingestion/common/render.py registers them as generated files) and
tests/test_generated_docs.py fails while a committed copy is stale. What an entity contract checks:

- schema: the canonical columns then the lineage columns, in order, with their DuckDB types;
- required columns and lineage columns not missing;
- one row per file row: (_load_id, _row_number) unique. The entity key is *not* unique in raw, not even within
  one load: raw keeps every version of a record across loads, and the loader keeps a file's repeated keys
  (staging's latest_version() picks the last row), so the key's uniqueness is checked on the marts instead;
- allowed values (compared on the trimmed text, as the loader validates it), min / max ranges and not_before
  (a date that may not precede another of the row). Date windows are not repeated here: they are relative to
  the day of loading, and the loader enforces them;
- reconciliation with the ledger, per load of the entity: rows_loaded = rows in raw with that _load_id,
  rows_quarantined = rows in quarantine, rows_in = loaded + quarantined, and no raw or quarantine row of a
  load the ledger does not know; for entities with an amount column, amount_loaded = sum of the amount in raw
  and amount_quarantined = sum of the quarantined amounts that parse (the loader's own rule);
- freshness, for entities flagged ``freshness: true``: the newest _loaded_at at most
  ``${var.FRESHNESS_MAX_DAYS}`` days old (the gate passes PROCURE_FRESHNESS_MAX_DAYS). An entity never
  delivered is not stale: a source that has no such data (Nevada's exports have no payments) must not block
  the gate; its KPIs report no_data instead. Written as a failed_rows query so that the empty case passes and
  the failure names the newest load and its age.

Foreign keys (``references``) are not checked in raw: raw holds what was received; the marts contracts check
referential integrity of what is published.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingestion.common.parsing import parse_expr
from ingestion.common.schema import LINEAGE_COLUMNS, Entity, load_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
RAW_CONTRACTS_DIR = REPO_ROOT / "warehouse" / "soda" / "contracts" / "raw"
LEDGER_TABLE = "_loads"
DATASOURCE = "procure"
DEFAULT_FRESHNESS_MAX_DAYS = 35

_HEADER = (
    "# Generated from ingestion/common/canonical_schema.yml by `procure docs` (ingestion/common/contracts.py).\n"
    "# Do not edit by hand: change the canonical schema or the generator, then run `procure docs`.\n"
)


def _q(value: object) -> str:
    """A YAML scalar: numbers as they are, everything else single-quoted (so 'off' or 'y' stay strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _type_lines(duckdb_type: str, indent: str) -> list[str]:
    """data_type (and precision/scale) of a column for Soda's schema check."""
    match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duckdb_type.upper())
    if match:
        return [
            f"{indent}data_type: decimal",
            f"{indent}numeric_precision: {match.group(1)}",
            f"{indent}numeric_scale: {match.group(2)}",
        ]
    return [f"{indent}data_type: {duckdb_type.lower()}"]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _column_block(name: str, duckdb_type: str, checks: list[list[str]]) -> list[str]:
    lines = [f"  - name: {name}", *_type_lines(duckdb_type, "    ")]
    if checks:
        lines.append("    checks:")
        for check in checks:
            lines += ["      " + check[0], *("      " + line for line in check[1:])]
    return lines


def _literal(sql: str, indent: str) -> list[str]:
    return [indent + line if line else "" for line in sql.strip("\n").splitlines()]


def _rows_query(e: Entity) -> str:
    return f"""\
-- one row per load of {e.name} whose counts disagree (or rows of a load the ledger does not know)
WITH ledger AS (
    -- a retracted load keeps its counts in the ledger as history; its rows must be gone from raw and quarantine
    SELECT
        load_id, status, rows_in,
        CASE WHEN status = 'retracted' THEN 0 ELSE rows_loaded END AS rows_loaded,
        CASE WHEN status = 'retracted' THEN 0 ELSE rows_quarantined END AS rows_quarantined
    FROM raw._loads WHERE entity = '{e.name}'
),
loaded AS (SELECT _load_id AS load_id, count(*) AS n FROM raw.{e.name} GROUP BY _load_id),
quarantined AS (SELECT _load_id AS load_id, count(*) AS n FROM quarantine.{e.name} GROUP BY _load_id),
load_ids AS (
    SELECT load_id FROM ledger UNION SELECT load_id FROM loaded UNION SELECT load_id FROM quarantined
)
SELECT
    k.load_id,
    l.status AS ledger_status,
    l.rows_in AS ledger_rows_in,
    l.rows_loaded AS ledger_rows_loaded,
    coalesce(r.n, 0) AS raw_rows,
    l.rows_quarantined AS ledger_rows_quarantined,
    coalesce(q.n, 0) AS quarantine_rows
FROM load_ids AS k
LEFT JOIN ledger AS l ON l.load_id IS NOT DISTINCT FROM k.load_id
LEFT JOIN loaded AS r ON r.load_id IS NOT DISTINCT FROM k.load_id
LEFT JOIN quarantined AS q ON q.load_id IS NOT DISTINCT FROM k.load_id
WHERE l.load_id IS NULL
    OR l.rows_loaded <> coalesce(r.n, 0)
    OR l.rows_quarantined <> coalesce(q.n, 0)
    OR (l.status = 'loaded' AND l.rows_in <> l.rows_loaded + l.rows_quarantined)
"""


def _amount_query(e: Entity) -> str:
    amount = e.amount_column
    assert amount is not None
    parsed = parse_expr(e.column(amount), f"q.{amount}")
    return f"""\
-- one row per load of {e.name} whose amounts disagree with the ledger (quarantined amounts as the loader parses them)
WITH ledger AS (
    SELECT
        load_id,
        CASE WHEN status = 'retracted' THEN NULL ELSE amount_loaded END AS amount_loaded,
        CASE WHEN status = 'retracted' THEN NULL ELSE amount_quarantined END AS amount_quarantined
    FROM raw._loads WHERE entity = '{e.name}'
),
loaded AS (SELECT _load_id AS load_id, sum({amount}) AS amount FROM raw.{e.name} GROUP BY _load_id),
quarantined AS (
    SELECT q._load_id AS load_id, sum({parsed}) AS amount
    FROM quarantine.{e.name} AS q
    GROUP BY q._load_id
),
load_ids AS (
    SELECT load_id FROM ledger UNION SELECT load_id FROM loaded UNION SELECT load_id FROM quarantined
)
SELECT
    k.load_id,
    l.amount_loaded AS ledger_amount_loaded,
    r.amount AS raw_amount,
    l.amount_quarantined AS ledger_amount_quarantined,
    q.amount AS quarantine_amount
FROM load_ids AS k
LEFT JOIN ledger AS l ON l.load_id IS NOT DISTINCT FROM k.load_id
LEFT JOIN loaded AS r ON r.load_id IS NOT DISTINCT FROM k.load_id
LEFT JOIN quarantined AS q ON q.load_id IS NOT DISTINCT FROM k.load_id
WHERE l.load_id IS NULL
    OR l.amount_loaded IS DISTINCT FROM r.amount
    OR l.amount_quarantined IS DISTINCT FROM q.amount
"""


def _freshness_query(e: Entity) -> str:
    now = "timezone('UTC', CAST('${soda.NOW}' AS TIMESTAMPTZ))"
    return f"""SELECT '{e.name}' AS entity, max(_loaded_at) AS newest_load,
  date_diff('day', max(_loaded_at), {now}) AS age_days, ${{var.FRESHNESS_MAX_DAYS}} AS allowed_days
FROM raw.{e.name}
HAVING count(*) > 0 AND max(_loaded_at) < {now} - INTERVAL (${{var.FRESHNESS_MAX_DAYS}}) DAY
"""


def render_entity_contract(e: Entity) -> str:
    lines = [
        _HEADER.rstrip("\n"),
        f"# raw.{e.name}: {e.description}",
        f"dataset: {DATASOURCE}/raw/{e.name}",
        "",
    ]
    if e.freshness:
        lines += [
            "variables:",
            "  FRESHNESS_MAX_DAYS:",
            f"    default: {DEFAULT_FRESHNESS_MAX_DAYS}",
            "",
        ]
    lines += [
        "checks:",
        "  - schema:",
        "      name: columns and types",
        "  - duplicate:",
        "      name: one row per load and file row",
        "      columns: [_load_id, _row_number]",
        "  - failed_rows:",
        "      name: rows reconcile with the load ledger",
        "      qualifier: ledger_rows",
        "      query: |",
        *_literal(_rows_query(e), "        "),
    ]
    if e.amount_column:
        lines += [
            "  - failed_rows:",
            f"      name: {e.amount_column} reconciles with the load ledger",
            "      qualifier: ledger_amount",
            "      query: |",
            *_literal(_amount_query(e), "        "),
        ]
    for c in e.columns:
        if c.not_before:  # a row-level rule the loader enforces; it holds whatever the day
            lines += [
                "  - failed_rows:",
                f"      name: {c.name} not before {c.not_before}",
                f"      qualifier: {c.name}_not_before",
                f"      expression: {c.name} < {c.not_before}",
            ]
    if e.freshness:
        lines += [
            "  - failed_rows:",
            "      name: newest load within max age",
            "      qualifier: freshness",
            "      query: |",
            *_literal(_freshness_query(e), "        "),
        ]
    lines += ["", "columns:"]
    for c in e.columns:
        checks: list[list[str]] = []
        if c.required:
            checks.append(["- missing:", f"    name: {c.name} not missing"])
        if c.allowed:
            values = ", ".join(c.allowed)
            checks.append([
                "- invalid:",
                f"    name: {_q(f'{c.name} in ({values})')}",
                f"    column_expression: trim({c.name})",
                f"    valid_values: [{', '.join(_q(v) for v in c.allowed)}]",
            ])
        if c.min is not None or c.max is not None:
            if c.min is not None and c.max is not None:
                label = f"{c.name} in {_number(c.min)}..{_number(c.max)}"
            elif c.min is not None:
                label = f"{c.name} >= {_number(c.min)}"
            else:
                label = f"{c.name} <= {_number(c.max)}"
            check = ["- invalid:", f"    name: {_q(label)}"]
            if c.min is not None:
                check.append(f"    valid_min: {_number(c.min)}")
            if c.max is not None:
                check.append(f"    valid_max: {_number(c.max)}")
            if c.allowed:
                check.insert(2, "    qualifier: range")
            checks.append(check)
        lines += _column_block(c.name, c.duckdb_type, checks)
    for name, duckdb_type, _ in LINEAGE_COLUMNS:
        lines += _column_block(name, duckdb_type, [["- missing:", f"    name: {name} not missing"]])
    return "\n".join(lines) + "\n"


def _ledger_columns() -> list[tuple[str, str]]:
    """(name, type) of raw._loads, read from the loader's DDL (the ledger's one definition)."""
    from ingestion.common.loader import LEDGER_DDL

    body = LEDGER_DDL[LEDGER_DDL.index("(") + 1: LEDGER_DDL.rindex(")")]
    columns = []
    for line in body.splitlines():
        line = line.split("--")[0].strip().rstrip(",")
        if not line:
            continue
        match = re.match(r"^(\w+)\s+(DECIMAL\(\d+,\s*\d+\)|\w+)", line)
        if match:
            columns.append((match.group(1), match.group(2)))
    return columns


def render_ledger_contract() -> str:
    entities = list(load_schema())
    counts = ("rows_in", "rows_loaded", "rows_quarantined")
    lines = [
        _HEADER.rstrip("\n"),
        "# raw._loads: the load ledger, one row per file load (loaded, rejected, or retracted: its rows taken back out).",
        f"dataset: {DATASOURCE}/raw/{LEDGER_TABLE}",
        "",
        "checks:",
        "  - schema:",
        "      name: columns and types",
        "  - failed_rows:",
        "      name: rows_in = rows_loaded + rows_quarantined",
        "      qualifier: rows_add_up",
        "      expression: status <> 'rejected' AND rows_in <> rows_loaded + rows_quarantined",
        "  - failed_rows:",
        "      name: duplicates are quarantined rows",
        "      qualifier: duplicates",
        "      expression: rows_duplicate < 0 OR rows_duplicate > rows_quarantined",
        "  - failed_rows:",
        "      name: rejected loads loaded nothing",
        "      qualifier: rejected_empty",
        "      expression: status = 'rejected' AND (rows_loaded <> 0 OR rows_quarantined <> 0)",
        "  - failed_rows:",
        "      name: finished_at not before started_at",
        "      qualifier: times",
        "      expression: finished_at < started_at",
        "",
        "columns:",
    ]
    for name, duckdb_type in _ledger_columns():
        checks: list[list[str]] = []
        if name == "load_id":
            checks += [["- missing:", "    name: load_id not missing"], ["- duplicate:", "    name: load_id unique"]]
        elif name in ("source", "entity", "file", "file_sha256", "status", "started_at", "finished_at"):
            checks.append(["- missing:", f"    name: {name} not missing"])
        if name == "status":
            checks.append(["- invalid:", "    name: status in (loaded, rejected, retracted)",
                           "    valid_values: ['loaded', 'rejected', 'retracted']"])
        if name == "entity":
            checks.append([
                "- invalid:",
                "    name: entity is a canonical entity",
                f"    valid_values: [{', '.join(_q(v) for v in entities)}]",
            ])
        if name in counts:
            checks += [
                ["- missing:", f"    name: {name} not missing"],
                ["- invalid:", f"    name: {name} >= 0", "    valid_min: 0"],
            ]
        lines += _column_block(name, duckdb_type, checks)
    return "\n".join(lines) + "\n"


def raw_contract_files() -> dict[Path, str]:
    """Every generated raw contract: path -> content."""
    files = {RAW_CONTRACTS_DIR / f"{name}.yml": render_entity_contract(e) for name, e in load_schema().items()}
    files[RAW_CONTRACTS_DIR / f"{LEDGER_TABLE}.yml"] = render_ledger_contract()
    return files


def stale_raw_contracts() -> list[Path]:
    """Contract files in the raw folder that no entity generates any more (a removed or renamed entity)."""
    wanted = set(raw_contract_files())
    return sorted(p for p in RAW_CONTRACTS_DIR.glob("*.yml") if p not in wanted)
