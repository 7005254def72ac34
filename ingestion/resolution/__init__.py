"""Entity resolution over the raw layer (no Dagster imports here): which source records are the same real party.

suppliers.py: supplier records (raw.suppliers) -> resolution.supplier_matches, one row per supplier_id with
the resolved supplier_key and the evidence of each link. dbt's int_suppliers_resolved reads that table.
"""

from ingestion.resolution.suppliers import ResolutionReport, pairwise_scores, resolve_suppliers

__all__ = ["ResolutionReport", "pairwise_scores", "resolve_suppliers"]
