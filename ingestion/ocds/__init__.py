"""OCDS (Open Contracting Data Standard) importer: any OCDS publication -> canonical entity tables.

    from ingestion.ocds import read_ocds
    result = read_ocds(Path("releases.json"), state_code="PY")
    result.tables["awards"]  # polars DataFrame of text columns + _row_number + _location

    group = read_ocds_files([(Path("day1.json"), "day1.json"), (Path("day2.json"), "day2.json")], state_code="PY")
    group.tables["awards"]["_files"]  # the files each row drew on (releases of one ocid compile across files)

Shapes and the compile (merge) rules: reader.py; the mapping onto canonical entities: mapping.py; the code lists:
codes.py; how the loader reads the files of a mapping together: loading.py.
"""

from ingestion.ocds.reader import OcdsError, OcdsGroup, OcdsTables, read_ocds, read_ocds_files

__all__ = ["OcdsError", "OcdsGroup", "OcdsTables", "read_ocds", "read_ocds_files"]
