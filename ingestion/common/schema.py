"""The canonical schema, loaded from canonical_schema.yml (the single definition).

Everything that needs to know the shape of an entity reads it from here: the loader's validation, the
raw DDL, the generated data dictionary and the generated dbt sources.
"""

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
    "price": "DECIMAL(18,4)",
    "date": "DATE",
    "boolean": "BOOLEAN",
}

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

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


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


def _parse(raw: dict) -> dict[str, Entity]:
    entities: dict[str, Entity] = {}
    for name, spec in raw["entities"].items():
        cols = []
        for c in spec["columns"]:
            if c["type"] not in DUCKDB_TYPES:
                raise SchemaError(f"{name}.{c['name']}: unknown type {c['type']!r}; use one of {sorted(DUCKDB_TYPES)}")
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
