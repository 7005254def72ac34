"""The canonical schema, loaded from canonical_schema.yml (the single definition).

Everything that needs to know the shape of an entity reads it from here: the loader's validation, the
raw DDL, the generated data dictionary and the generated dbt sources.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

SCHEMA_FILE = Path(__file__).with_name("canonical_schema.yml")

# Canonical type -> DuckDB type. Money stays DECIMAL end to end (never float).
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "money": "DECIMAL(18,2)",
    "price": "DECIMAL(18,6)",
    "date": "DATE",
    "boolean": "BOOLEAN",
}
# Decimals kept by each decimal type. Money is never rounded at ingest (a value with more decimals is
# quarantined, binary-float noise aside); prices and quantities are rounded to this scale (a rule the data
# dictionary states; the load's ledger message counts the values rounded).
DECIMAL_SCALES = {"money": 2, "price": 6}
ROUNDED_TYPES = frozenset({"price"})
# A date bound: an ISO date, or today plus a number of years or days ("+1y", "+90d", "today").
_RELATIVE = re.compile(r"^(?:today|\+(\d+)([yd]))$")

# Lineage columns every raw row carries (and quarantine rows too).
LINEAGE_COLUMNS = [
    ("_source", "VARCHAR", "Source name (landing sub-folder, connector or generator)."),
    ("_file", "VARCHAR", "File (path relative to the landing root) or request the row came from."),
    ("_row_number", "BIGINT", "1-based data-row number in that file (the header is row 0)."),
    ("_load_id", "VARCHAR", "Load that brought the row in (raw._loads.load_id)."),
    ("_loaded_at", "TIMESTAMP", "When that load committed (UTC)."),
]


class SchemaError(ValueError):
    """The canonical schema file itself is inconsistent."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""
    required: bool = False
    allowed: tuple[str, ...] | None = None
    references: str | None = None
    sensitive: bool = False
    min: float | None = None
    max: float | None = None
    earliest: str | None = None      # date columns: the earliest date accepted (ISO date or relative bound)
    latest: str | None = None        # date columns: the latest date accepted
    not_before: str | None = None    # date columns: another date column of the row this one may not precede
    default: str | None = None       # the value an empty cell gets before validation

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    def window(self, today: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
        """The (earliest, latest) dates this column accepts, resolved against `today` (default: the date now)."""
        today = today or dt.date.today()
        return resolve_date_bound(self.earliest, today), resolve_date_bound(self.latest, today)


def resolve_date_bound(bound: str | None, today: dt.date) -> dt.date | None:
    """'1990-01-01' -> that date; 'today', '+1y', '+90d' -> relative to `today` (29 February + 1y -> 28 February)."""
    if bound is None:
        return None
    m = _RELATIVE.match(bound)
    if m is None:
        return dt.date.fromisoformat(bound)
    if bound == "today":
        return today
    n, unit = int(m.group(1)), m.group(2)
    if unit == "d":
        return today + dt.timedelta(days=n)
    try:
        return today.replace(year=today.year + n)
    except ValueError:
        return today.replace(year=today.year + n, day=28)


def describe_date_bound(bound: str) -> str:
    """'+1y' -> 'today + 1 year' (for messages and the data dictionary)."""
    m = _RELATIVE.match(bound)
    if m is None or bound == "today":
        return bound
    n, unit = int(m.group(1)), {"y": "year", "d": "day"}[m.group(2)]
    return f"today + {n} {unit}{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    kind: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    amount_column: str | None = None
    freshness: bool = False  # deliveries are periodic: the gate fails when the newest load is too old
    column_index: dict = field(default_factory=dict, compare=False, repr=False)

    def column(self, name: str) -> Column:
        return self.column_index[name]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _bound(value, where: str) -> str | None:
    """A date bound as written in the schema (YAML reads 1990-01-01 as a date) -> its text; validated."""
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if not _RELATIVE.match(text):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise SchemaError(f"{where}: {text!r} is neither an ISO date nor a relative bound (today, +1y, +90d)") from None
    return text


def _parse(raw: dict) -> dict[str, Entity]:
    entities: dict[str, Entity] = {}
    window = raw.get("date_window") or {}
    default_earliest = _bound(window.get("earliest"), "date_window.earliest")
    default_latest = _bound(window.get("latest"), "date_window.latest")
    for name, spec in raw["entities"].items():
        cols = []
        for c in spec["columns"]:
            if c["type"] not in DUCKDB_TYPES:
                raise SchemaError(f"{name}.{c['name']}: unknown type {c['type']!r}; use one of {sorted(DUCKDB_TYPES)}")
            where = f"{name}.{c['name']}"
            is_date = c["type"] == "date"
            for key in ("earliest", "latest", "not_before"):
                if key in c and not is_date:
                    raise SchemaError(f"{where}: {key} applies to date columns only")
            cols.append(
                Column(
                    name=c["name"],
                    type=c["type"],
                    description=c.get("description", ""),
                    required=bool(c.get("required", False)),
                    allowed=tuple(c["allowed"]) if c.get("allowed") else None,
                    references=c.get("references"),
                    sensitive=bool(c.get("sensitive", False)),
                    min=c.get("min"),
                    max=c.get("max"),
                    earliest=_bound(c.get("earliest", default_earliest), f"{where}.earliest") if is_date else None,
                    latest=_bound(c.get("latest", default_latest), f"{where}.latest") if is_date else None,
                    not_before=c.get("not_before"),
                    default=None if c.get("default") is None else str(c["default"]),
                )
            )
        index = {c.name: c for c in cols}
        if len(index) != len(cols):
            raise SchemaError(f"{name}: duplicate column names")
        pk = tuple(spec["primary_key"])
        for k in pk:
            if k not in index:
                raise SchemaError(f"{name}: primary key column {k!r} is not a column")
            if not index[k].required:
                raise SchemaError(f"{name}: primary key column {k!r} must be required")
        freshness = spec.get("freshness", False)
        if not isinstance(freshness, bool):
            raise SchemaError(f"{name}: freshness must be true or false, got {freshness!r}")
        amount = spec.get("amount_column")
        if amount and amount not in index:
            raise SchemaError(f"{name}: amount_column {amount!r} is not a column")
        entities[name] = Entity(
            name=name,
            description=spec["description"],
            kind=spec["kind"],
            primary_key=pk,
            columns=tuple(cols),
            amount_column=amount,
            freshness=freshness,
            column_index=index,
        )
    for e in entities.values():
        for c in e.columns:
            if c.not_before and (c.not_before not in e.column_index or e.column(c.not_before).type != "date"):
                raise SchemaError(f"{e.name}.{c.name}: not_before {c.not_before!r} is not a date column of {e.name}")
            if c.references:
                ref_entity, _, ref_col = c.references.partition(".")
                if ref_entity not in entities or ref_col not in entities[ref_entity].column_index:
                    raise SchemaError(f"{e.name}.{c.name}: references unknown column {c.references!r}")
    return entities


@lru_cache(maxsize=None)
def load_schema(path: Path = SCHEMA_FILE) -> dict[str, Entity]:
    """Entities by name, in the order of the schema file."""
    with open(path, encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))


def entity(name: str) -> Entity:
    schema = load_schema()
    if name not in schema:
        raise KeyError(f"unknown entity {name!r}; canonical entities are: {', '.join(schema)}")
    return schema[name]


def raw_table_ddl(e: Entity, schema_name: str = "raw") -> str:
    cols = [f"{c.name} {c.duckdb_type}" for c in e.columns]
    cols += [f"{n} {t}" for n, t, _ in LINEAGE_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS {schema_name}.{e.name} (\n  " + ",\n  ".join(cols) + "\n)"


def quarantine_table_ddl(e: Entity, schema_name: str = "quarantine") -> str:
    # Quarantined rows are kept exactly as received (text), with why and where.
    cols = [f"{c.name} VARCHAR" for c in e.columns]
    cols += [f"{n} {t}" for n, t, _ in LINEAGE_COLUMNS]
    cols += ["_reason VARCHAR", "_columns VARCHAR"]
    return f"CREATE TABLE IF NOT EXISTS {schema_name}.{e.name} (\n  " + ",\n  ".join(cols) + "\n)"
