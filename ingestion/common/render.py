"""Generated files: the data dictionary, the dbt sources and the raw Soda contracts (from the canonical
schema; contracts in ingestion/common/contracts.py) and docs/kpis.md (from the KPI catalogue seeds,
warehouse/kpi_docs.py).

`python -m ingestion docs` (or `procure docs`) rewrites them; tests fail while a committed copy is stale.
"""

from pathlib import Path

import yaml

from ingestion.common.schema import LINEAGE_COLUMNS, SCHEMA_FILE, describe_date_bound, load_schema
from warehouse.settings import REPO_ROOT

DATA_DICTIONARY = REPO_ROOT / "docs" / "data_dictionary.md"
DBT_SOURCES = REPO_ROOT / "dbt_project" / "models" / "staging" / "_raw__sources.yml"

_HEADER = "<!-- Generated from ingestion/common/canonical_schema.yml by `procure docs`. Do not edit by hand. -->"


def render_data_dictionary() -> str:
    schema = load_schema()
    out = [
        _HEADER,
        "# Data dictionary: the canonical raw model",
        "",
        "Every source adapter (synthetic generator, files, OCDS, Socrata, cooperative sales reports) maps its",
        "input onto these entities. Ingestion validates each row against this schema: a row with an empty",
        "required field, a value that does not parse as its type, a value outside `allowed` or outside its range or",
        "date window, or a date before the one it may not precede goes to `quarantine.<entity>` with the reason, the",
        "column(s) and the value received; every other row lands in `raw.<entity>`. Two rows of one file with the same",
        "primary key are quarantined too: an exact copy of an earlier row as a duplicate (the first copy loads), rows",
        "of one key with different values all of them (nothing says which is right). Every rule that can be checked on",
        "one row is checked here, at ingest: a bad row never blocks a publication.",
        "",
        "Types: `string` VARCHAR; `integer` BIGINT; `money` DECIMAL(18,2); `price` DECIMAL(18,6) (unit prices,",
        "quantities, rates); `date` DATE (ISO `yyyy-mm-dd` in canonical files); `boolean` (`true/false`, `1/0`,",
        "`yes/no`, `y/n`).",
        "",
        "**Numbers as they are written.** `$`, thousands separators, accounting negatives `(12.00)` and `12.00-` are",
        "understood. A value that is the binary-float spelling of a shorter one (spreadsheets and JSON writers print",
        "552169.81 as `552169.81000000006`: 16 or more significant digits naming the same double) is read as the",
        "shorter value. Money keeps 2 decimals and is never rounded: a value with more (that is not float noise) is",
        "quarantined, saying so (a mapping can round it with `round:`). Prices and quantities keep 6 decimals; a value",
        "with more is rounded half away from zero and the load's ledger message counts the values rounded, per column.",
        "",
        "**Date windows.** A date column accepts dates from `earliest` to `latest`; bounds are ISO dates or relative to",
        "the day of loading (`today + 1 year`). Unless a column below says otherwise: "
        + f"{describe_date_bound(_default_window()[0])} to {describe_date_bound(_default_window()[1])}.",
        "**Sensitive** columns (tax ids, bank details, personal contact data) stay in the working warehouse; the",
        "published snapshot drops them or carries a keyed hash where a join needs one.",
        "",
        "## Lineage columns (on every raw and quarantine row)",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    out += [f"| `{n}` | {t} | {d} |" for n, t, d in LINEAGE_COLUMNS]
    out += [
        "",
        "Quarantine rows keep every column as received text, plus `_reason` (why, naming the column) and",
        "`_columns` (the failing column names, comma-separated).",
        "",
        "## Entities",
        "",
        "| entity | kind | primary key | amount column | description |",
        "|---|---|---|---|---|",
    ]
    for e in schema.values():
        out.append(
            f"| [`{e.name}`](#{e.name}) | {e.kind} | {', '.join(e.primary_key)} | {e.amount_column or ''} | {e.description} |"
        )
    for e in schema.values():
        out += ["", f"### {e.name}", "", e.description, ""]
        out.append(f"Primary key: `{', '.join(e.primary_key)}`." + (f" Reconciled amount: `{e.amount_column}`." if e.amount_column else ""))
        out += ["", "| column | type | required | rules | description |", "|---|---|---|---|---|"]
        for c in e.columns:
            rules = []
            if c.name in e.primary_key:
                rules.append("key")
            if c.allowed:
                rules.append("one of " + ", ".join(f"`{v}`" for v in c.allowed))
            if c.min is not None:
                rules.append(f">= {c.min}")
            if c.max is not None:
                rules.append(f"<= {c.max}")
            if c.type == "date" and (c.earliest or c.latest):
                rules.append(f"{describe_date_bound(c.earliest) if c.earliest else '...'} to "
                             f"{describe_date_bound(c.latest) if c.latest else '...'}")
            if c.not_before:
                rules.append(f"not before `{c.not_before}`")
            if c.default is not None:
                rules.append(f"empty = `{c.default}`")
            if c.references:
                rules.append(f"refers to `{c.references}`")
            if c.sensitive:
                rules.append("**sensitive**")
            out.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {'; '.join(rules)} | {c.description} |"
            )
    return "\n".join(out) + "\n"


def _default_window() -> tuple[str, str]:
    with open(SCHEMA_FILE, encoding="utf-8") as fh:
        window = (yaml.safe_load(fh) or {}).get("date_window") or {}
    return str(window.get("earliest", "")), str(window.get("latest", ""))


def render_dbt_sources() -> str:
    schema = load_schema()
    tables = []
    for e in schema.values():
        cols = [{"name": c.name, "description": c.description, "data_type": c.duckdb_type.lower()} for c in e.columns]
        cols += [{"name": n, "description": d, "data_type": t.lower()} for n, t, d in LINEAGE_COLUMNS]
        tables.append({"name": e.name, "description": e.description, "columns": cols})
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Canonical raw entities loaded by ingestion/ (validated, with lineage).",
                "tables": tables,
            }
        ],
    }
    body = yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True)
    return "# Generated from ingestion/common/canonical_schema.yml by `procure docs`. Do not edit by hand.\n" + body


def generated_files() -> dict[Path, str]:
    from ingestion.common.contracts import raw_contract_files
    from warehouse.kpi_docs import kpi_doc_files

    return {
        DATA_DICTIONARY: render_data_dictionary(),
        DBT_SOURCES: render_dbt_sources(),
        **kpi_doc_files(),
        **raw_contract_files(),
    }


def write_generated() -> list[Path]:
    """Write every generated file that changed, and remove raw contracts no entity generates any more."""
    from ingestion.common.contracts import stale_raw_contracts

    written = []
    for path, content in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            written.append(path)
    for orphan in stale_raw_contracts():
        orphan.unlink()
        written.append(orphan)
    return written


def stale_files() -> list[Path]:
    """Generated files whose committed copy differs (or is missing), and orphaned raw contracts."""
    from ingestion.common.contracts import stale_raw_contracts

    stale = [p for p, content in generated_files().items() if not p.exists() or p.read_text(encoding="utf-8") != content]
    return stale + stale_raw_contracts()
