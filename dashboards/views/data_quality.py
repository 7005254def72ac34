"""Data quality: the snapshot on screen, the gate results that let it publish, freshness, quarantined rows."""

from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("data-quality")
snap = ctx.snapshot
manifest = snap.manifest
gate = data.gate_results(manifest)
loads = data.loads_by_source(manifest)
now = datetime.now(timezone.utc).replace(tzinfo=None)

c1, c2, c3, c4 = st.columns(4)
with c1:
    age = now - snap.created_at if snap.created_at else None
    ui.tile("Snapshot", snap.snapshot_id, lines=(
        f"published {snap.created_at:%Y-%m-%d %H:%M} UTC" if snap.created_at else "publication time unknown",
        f"{age.days} day(s) ago" if age is not None else "", f"code {snap.code_version or 'unknown'}"))
with c2:
    passed = bool((manifest.get("gate") or {}).get("passed")) and not gate.empty and bool(gate["passed"].all())
    ui.tile("Quality gate", "✔ Passed" if passed else ("✖ Failed" if not gate.empty else "Not recorded"),
            lines=(f"{len(gate)} data contracts, {fmt.count(gate['checks'].sum())} checks",
                   f"{fmt.count(gate['failed'].sum())} checks failed"))
with c3:
    ui.tile("Rows loaded", fmt.count(loads["rows_loaded"].sum()), lines=(f"from {fmt.count(loads['files'].sum())} file loads",))
with c4:
    q = loads["rows_quarantined"].sum()
    share = q / loads["rows_in"].sum() if loads["rows_in"].sum() else None
    ui.tile("Rows quarantined", fmt.count(q), lines=(f"{fmt.pct(share, digits=2)} of rows received",
                                                     "each with file, row and reason in raw._quarantine"))

st.subheader("Quarantined rows per source")
display = pd.DataFrame({
    "Source": loads["source"], "Entity": loads["entity"], "Files": loads["files"].map(fmt.count),
    "Rows received": loads["rows_in"].map(fmt.count), "Loaded": loads["rows_loaded"].map(fmt.count),
    "Quarantined": loads["rows_quarantined"].map(fmt.count),
    "Quarantined %": loads["quarantined_share"].map(lambda v: fmt.pct(v, digits=2)),
    "Newest load (UTC)": loads["newest_load"].dt.strftime("%Y-%m-%d %H:%M"),
})
ui.table(ctx, display, "loads_by_source", export=loads)
st.caption("Why rows were quarantined: `procure loads` lists every load; the reasons (file, row, column) are in the "
           "working warehouse's raw._quarantine table (docs/operations.md).")

st.subheader("Freshness: how recent the published data is")
through = ui.query(ctx, data.data_through, ctx.filters.state)
display = pd.DataFrame({
    "Table": through["table_name"], "Rows": through["rows"].map(fmt.count),
    "Newest business date": through["newest_date"].astype(str).replace({"NaT": fmt.DASH, "None": fmt.DASH}),
})
ui.table(ctx, display, "freshness", export=through)

st.subheader("Gate results")
display = pd.DataFrame({
    "Table": gate["dataset"], "Result": gate["passed"].map({True: "✔ passed", False: "✖ failed"}),
    "Checks": gate["checks"].map(fmt.count), "Failed": gate["failed"].map(fmt.count), "Evaluated at": gate["evaluated_at"],
})
ui.table(ctx, display, "gate_results", export=gate, height=420)
st.caption("Only a build whose gate passed is published; a failing run leaves this snapshot in place "
           "(`procure status` says why it failed).")
