"""Ingestion: landing files -> raw.* in the working DuckDB warehouse (no Dagster imports here)."""
