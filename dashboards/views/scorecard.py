"""Scorecard: the twelve attributes as tiles (score, band against target, change), each opening its detail."""

import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("scorecard")
f = ctx.filters
board = ui.query(ctx, data.scorecard, f)
year = board[board["fiscal_year"] == f.fiscal_year].set_index("attribute_id")
history = board.dropna(subset=["fiscal_year"])

if f.category:
    ui.note("The scorecard is kept per state and per agency; the category filter applies on the other pages.")
if year.empty:
    st.info(f"No attribute scores for {ctx.agency_name or ctx.state_name} in FY {f.fiscal_year}. "
            "Agencies are scored only on the KPIs measured per agency (docs/scorecard.md).")
    st.stop()

attributes = board.drop_duplicates("attribute_id").sort_values("attribute_id")
scored = year["score"].dropna()
c1, c2, c3 = st.columns(3)
with c1:
    ui.tile("Attributes measured", f"{len(scored)} of {len(attributes)}",
            lines=("An attribute is measured when at least one of its KPIs has a value and a target.",))
with c2:
    ui.tile("Average attribute score", fmt.score(scored.mean()) if len(scored) else fmt.DASH,
            lines=("0-100: every scored KPI counts 100 on target, 50 near, 0 off.",))
with c3:
    on = int(year["kpis_on_target"].fillna(0).sum())
    n = int(year["kpis_scored"].fillna(0).sum())
    ui.tile("KPIs on target", f"{on} of {n}", lines=(f"{int(year['kpis_near'].fillna(0).sum())} near, "
                                                     f"{int(year['kpis_off'].fillna(0).sum())} off target",))

st.subheader("The twelve attributes")
base_query = {k: v for k, v in (("state", f.state), ("fy", f.fiscal_year), ("agency", f.agency)) if v is not None}
columns = st.columns(4)
for i, (_, a) in enumerate(attributes.iterrows()):
    row = year.loc[a["attribute_id"]] if a["attribute_id"] in year.index else None
    score = row["score"] if row is not None else None
    code, band = fmt.score_band(score)
    symbol = fmt.STATUS[code][0]
    trend = history[(history["attribute_id"] == a["attribute_id"]) & (history["fiscal_year"] <= f.fiscal_year)].dropna(subset=["score"])
    with columns[i % 4]:
        with st.container(border=True):
            st.markdown(f"**{int(a['attribute_id'])}. {a['attribute_name']}**")
            change = None if row is None or pd.isna(row["score_change"]) else float(row["score_change"])
            st.metric(
                label=f"Score, attribute {int(a['attribute_id'])}", label_visibility="collapsed",
                value=f"{fmt.score(score)} / 100" if score is not None and not pd.isna(score) else "Not measured",
                delta=None if change is None else f"{change:+.0f} vs FY {f.fiscal_year - 1}",
                delta_arrow="off" if change is not None and abs(change) < 0.5 else "auto",
                help=a["description"],
                chart_data=list(trend["score"].astype(float)) if len(trend) > 1 else None, chart_type="line",
            )
            st.markdown(f":{'green' if code == 'on_target' else 'orange' if code == 'near' else 'red' if code == 'off' else 'gray'}"
                        f"-badge[{symbol} {band}]")
            if row is not None:
                st.caption(f"{int(row['kpis_on_target'] or 0)} of {int(row['kpis_scored'] or 0)} KPIs on target · "
                           f"{int(row['kpis_with_data'] or 0)} of {int(row['kpis_defined'] or 0)} with data")
            st.page_link("views/attribute.py", label="Open detail", icon=":material/arrow_forward:",
                         query_params={**base_query, "attribute": str(int(a["attribute_id"]))})

st.subheader("Scores by fiscal year")
wide = history.pivot_table(index=["attribute_id", "attribute_name"], columns="fiscal_year", values="score")
wide = wide.reset_index().rename(columns={"attribute_id": "Attribute", "attribute_name": "Name"})
display = wide.copy()
for column in display.columns[2:]:
    display[column] = display[column].map(fmt.score)
display.columns = [str(c) if not isinstance(c, (int, float)) else f"FY {int(c)}" for c in display.columns]
export = wide.copy()
export.columns = display.columns
ui.table(ctx, display, "scorecard_by_year", export=export)
st.caption("Bands: ✔ On track at 75 or more, ▲ Watch from 50, ✖ Off track under 50, ∅ Not measured when no KPI "
           "of the attribute has a value and a target. How the score is made: docs/scorecard.md.")
