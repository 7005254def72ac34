"""Resolution: which raw records are the same real party, computed in Python between the raw load and dbt.

resolution/supplier_matches (ingestion/resolution/suppliers.py) reads raw.suppliers and replaces
resolution.supplier_matches; dbt declares that table as the source `resolution.supplier_matches`, whose asset
key is this asset's, so int_suppliers_resolved (and everything built on supplier_key) runs after it. Not in
the raw group: the ingest-only job (landing sensor) does not run it; the next procure_job does.
"""

import dagster as dg

from ingestion.resolution.suppliers import resolve_suppliers
from orchestration.locking import hold_warehouse
from warehouse.settings import get_settings


@dg.asset(
    key=["resolution", "supplier_matches"],
    deps=[dg.AssetKey(["raw", "suppliers"])],
    group_name="resolution",
    kinds={"duckdb", "python"},
    pool="duckdb_writer",
    description=(
        "resolution.supplier_matches: one row per supplier record (latest version of raw.suppliers) with the "
        "resolved supplier_key, how it was linked (tax id, normalised name, fuzzy name with rapidfuzz; "
        "different tax ids never merge), the score, the record it was linked to and the evidence."
    ),
)
def supplier_matches(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Resolve the supplier records and replace resolution.supplier_matches."""
    hold_warehouse(context)
    report = resolve_suppliers(get_settings().warehouse)
    context.log.info(report.summary())
    return dg.MaterializeResult(
        metadata={
            "records": report.records,
            "suppliers": report.clusters,
            "suppliers_with_several_records": report.multi_record_clusters,
            **{f"records_{method}": report.by_method.get(method, 0)
               for method in ("tax_id", "exact_name", "fuzzy_name", "singleton")},
            "links_vetoed": report.vetoed,
            "ambiguous_records": report.ambiguous,
            "seconds": round(report.seconds, 2),
        }
    )
