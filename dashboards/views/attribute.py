"""Attribute detail: the attribute's KPIs over fiscal years against their targets, by agency, with definitions."""

import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("attribute")
f = ctx.filters
board = ui.query(ctx, data.scorecard, f)
attributes = board.drop_duplicates("attribute_id").sort_values("attribute_id")
ids = [int(a) for a in attributes["attribute_id"]]
names = dict(zip(ids, attributes["attribute_name"]))

ui.url_state("attribute_pick", "attribute", ids[0], options=ids)
attribute_id = st.selectbox("Attribute", ids, key="attribute_pick", format_func=lambda a: f"{a}. {names[a]}")
ui.write_url(attribute=attribute_id)

row = board[(board["attribute_id"] == attribute_id) & (board["fiscal_year"] == f.fiscal_year)]
description = attributes.loc[attributes["attribute_id"] == attribute_id, "description"].iloc[0]
st.markdown(f"### {attribute_id}. {names[attribute_id]}")
st.caption(description)
if not row.empty:
    r = row.iloc[0]
    code, band = fmt.score_band(r["score"])
    c1, c2, c3 = st.columns(3)
    with c1:
        ui.tile(f"Score FY {f.fiscal_year}", fmt.score(r["score"]) + (" / 100" if not pd.isna(r["score"]) else ""),
                lines=(f"{fmt.STATUS[code][0]} {band}", f"Change: {fmt.change(r['score_change'])}"))
    with c2:
        ui.tile("KPIs on target", f"{int(r['kpis_on_target'] or 0)} of {int(r['kpis_scored'] or 0)} scored",
                lines=(f"{int(r['kpis_near'] or 0)} near, {int(r['kpis_off'] or 0)} off",))
    with c3:
        ui.tile("KPIs with data", f"{int(r['kpis_with_data'] or 0)} of {int(r['kpis_defined'] or 0)}",
                lines=("No-data and no-target KPIs are not scored.",))

if f.agency and f.category:
    st.info(ui.BOTH_FILTERS)
kpis = ui.query(ctx, data.kpi_rows, f, attribute_id=attribute_id)
ui.status_legend()
for kpi_id, rows in kpis.groupby("kpi_id", sort=False):
    d = rows.iloc[0]
    unit = d["unit"]
    current = rows[rows["fiscal_year"] == f.fiscal_year]
    with st.container(border=True):
        st.markdown(f"#### {kpi_id} {d['kpi_name']}")
        left, right = st.columns([1, 2])
        with left:
            if current.empty:
                st.metric(f"{kpi_id} FY {f.fiscal_year}", fmt.DASH)
                st.caption(f"{fmt.status('no_data')}" + (f": {d['no_data_reason']}" if pd.notna(d["no_data_reason"]) else ""))
            else:
                c = current.iloc[0]
                st.metric(f"{kpi_id} FY {f.fiscal_year}", fmt.kpi_value(c["value"], unit))
                st.caption(f"Target {fmt.kpi_value(c['target'], unit)} · {fmt.status(c['status'])}"
                           f" ({'higher' if d['direction'] == 'up' else 'lower' if d['direction'] == 'down' else 'no'} is better)")
                st.caption(f"Numerator {fmt.kpi_basis(c['numerator'], unit, 'numerator')} · "
                           f"denominator {fmt.kpi_basis(c['denominator'], unit, 'denominator')}")
                if fmt.basis(c["basis"]):
                    st.caption(f"Basis: {fmt.basis(c['basis'])}")
                if fmt.left_out(c["excluded_rows"]):
                    st.caption(fmt.left_out(c["excluded_rows"]))
            with st.expander("Definition"):
                st.markdown(f"{d['description']}\n\n**Formula** `{d['formula']}`")
                if pd.notna(d["caveats"]):
                    st.caption(f"Caveats: {d['caveats']}")
        with right:
            series = rows.dropna(subset=["fiscal_year"])[["fiscal_year", "value", "target"]].copy()
            if series["value"].notna().any():
                scale = 100.0 if unit in ("pct", "pct_unbounded") else 1.0
                series["value"] = series["value"].astype(float) * scale
                series["target"] = series["target"].astype(float) * scale
                series["fiscal_year"] = series["fiscal_year"].astype(int)
                title = {"pct": "%", "pct_unbounded": "%", "days": "days", "usd": "$"}.get(unit, unit)
                st.altair_chart(ui.line_with_target(series, "fiscal_year", "value", "target", title), width="stretch")
            else:
                st.caption("No values in any fiscal year at this grain.")
        if f.agency is None and f.category is None:
            by_agency = ui.query(ctx, data.kpi_by_agency, f, kpi_id)
            if not by_agency.empty:
                with st.expander(f"By agency, FY {f.fiscal_year} ({len(by_agency)} agencies)"):
                    display = pd.DataFrame({
                        "Agency": by_agency["agency_name"],
                        "Value": [fmt.kpi_value(v, unit) for v in by_agency["value"]],
                        "Target": [fmt.kpi_value(v, unit) for v in by_agency["target"]],
                        "Status": [fmt.status(s) for s in by_agency["status"]],
                        "Numerator": [fmt.kpi_basis(v, unit, "numerator") for v in by_agency["numerator"]],
                        "Denominator": [fmt.kpi_basis(v, unit, "denominator") for v in by_agency["denominator"]],
                    })
                    ui.table(ctx, display, f"kpi_{kpi_id}_by_agency", export=by_agency, key=f"csv-agency-{kpi_id}")

st.subheader("All values of this attribute")
values = kpis.dropna(subset=["fiscal_year"])
display = pd.DataFrame({
    "KPI": values["kpi_id"] + " " + values["kpi_name"],
    "Fiscal year": values["fiscal_year"].astype("Int64"),
    "Value": [fmt.kpi_value(v, u) for v, u in zip(values["value"], values["unit"])],
    "Target": [fmt.kpi_value(v, u) for v, u in zip(values["target"], values["unit"])],
    "Status": [fmt.status(s) for s in values["status"]],
    "Numerator": [fmt.kpi_basis(v, u, "numerator") for v, u in zip(values["numerator"], values["unit"])],
    "Denominator": [fmt.kpi_basis(v, u, "denominator") for v, u in zip(values["denominator"], values["unit"])],
    "Basis": [fmt.basis(b) for b in values["basis"]],
    "Left out": values["excluded_rows"].astype("Int64"),
})
export = values[["kpi_id", "kpi_name", "unit", "fiscal_year", "numerator", "denominator", "value", "target", "status",
                 "basis", "excluded_rows"]]
ui.table(ctx, display, f"attribute_{attribute_id}_kpis", export=export)
