"""OCDS (Open Contracting Data Standard) importer: any OCDS publication -> canonical entity tables.

    from ingestion.ocds import read_ocds
    result = read_ocds(Path("releases.json"), state_code="PY")
    result.tables["awards"]  # polars DataFrame of text columns + _row_number + _location

Shapes and the compile (merge) rules: reader.py; the mapping onto canonical entities: mapping.py.
"""

from ingestion.ocds.reader import OcdsError, OcdsTables, read_ocds

__all__ = ["OcdsError", "OcdsTables", "read_ocds"]
