"""Executive dashboards: read ONLY the published snapshot (published/current.duckdb), never the warehouse."""
