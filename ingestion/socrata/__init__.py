"""Socrata (SODA 2.x) connector for state open-data portals: see connector.py."""

from ingestion.socrata.connector import FetchResult, SocrataError, SocrataSource, fetch

__all__ = ["FetchResult", "SocrataError", "SocrataSource", "fetch"]
