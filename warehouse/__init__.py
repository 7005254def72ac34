"""The warehouse: DuckDB connections, the publication gate and snapshots."""
