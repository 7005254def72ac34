"""Dagster code location: thin wrappers around ingestion/, dbt_project/ and warehouse/."""
