"""Cycle times: each procure-to-pay step's distribution (quartiles, 90th percentile) and its monthly trend."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("cycle-times")
f = ctx.filters
summary = ui.query(ctx, data.cycle_step_summary, f)
measured = summary[summary["pos_measured"] > 0]
if measured.empty:
    st.info("No purchase orders with measured steps for this selection and fiscal year. Cycle times need "
            "requisitions, purchase orders, receipts, invoices and payments linked by id.")
    st.stop()

end_to_end = summary.iloc[-1]
c1, c2, c3 = st.columns(3)
with c1:
    ui.tile("Requisition to payment, median", fmt.days(end_to_end["median"]),
            lines=(f"Half of the POs between {fmt.days(end_to_end['p25'], 0)} and {fmt.days(end_to_end['p75'], 0)}",))
with c2:
    ui.tile("90th percentile", fmt.days(end_to_end["p90"]), lines=("One PO in ten takes longer than this.",))
with c3:
    ui.tile("POs measured end to end", fmt.count(end_to_end["pos_measured"]),
            lines=(f"of POs dated in FY {f.fiscal_year}",))

st.subheader("Each step")
steps = summary.iloc[:-1]
box = steps.assign(p25=steps["p25"].astype(float), median=steps["median"].astype(float),
                   p75=steps["p75"].astype(float), p90=steps["p90"].astype(float))
base = alt.Chart(box).encode(y=alt.Y("step:N", sort=list(steps["step"]), title=None, axis=alt.Axis(labelLimit=300)))
st.altair_chart(
    (base.mark_rule(color="#6B7280").encode(x=alt.X("p25:Q", title="Days"), x2="p90:Q")
     + base.mark_bar(color="#56B4E9", size=14).encode(x="p25:Q", x2="p75:Q")
     + base.mark_tick(color="#0072B2", thickness=3, size=18).encode(
         x="median:Q", tooltip=["step:N", alt.Tooltip("median:Q", title="median days"),
                                alt.Tooltip("p25:Q"), alt.Tooltip("p75:Q"), alt.Tooltip("p90:Q")]))
    .properties(height=40 * len(steps) + 40),
    width="stretch",
)
st.caption("Bar: the middle half of the POs (25th to 75th percentile); tick: median; line: up to the 90th percentile.")
display = pd.DataFrame({
    "Step": summary["step"], "POs measured": summary["pos_measured"].map(fmt.count),
    "25th pct": summary["p25"].map(fmt.days), "Median": summary["median"].map(fmt.days),
    "75th pct": summary["p75"].map(fmt.days), "90th pct": summary["p90"].map(fmt.days),
    "Mean": summary["mean"].map(fmt.days),
})
ui.table(ctx, display, "cycle_time_steps", export=summary.drop(columns=["position"]))

labels = dict(data.CYCLE_STEPS)
column = st.selectbox("Distribution of one step", [c for c, _ in data.CYCLE_STEPS], format_func=labels.get,
                      index=len(data.CYCLE_STEPS) - 1, key="cycle_step")
hist = ui.query(ctx, data.cycle_step_distribution, f, column)
if hist.empty:
    st.caption("No POs with this step measured.")
else:
    st.altair_chart(
        alt.Chart(hist.assign(days=hist["days"].astype(float))).mark_bar(color="#0072B2").encode(
            x=alt.X("days:Q", bin=alt.Bin(maxbins=40), title=f"{labels[column]} (days; the last bar holds the slowest 1%)"),
            y=alt.Y("sum(pos):Q", title="POs"),
            tooltip=[alt.Tooltip("days:Q", bin=True), alt.Tooltip("sum(pos):Q", title="POs")],
        ).properties(height=240),
        width="stretch",
    )

st.subheader("Median by fiscal month")
trend = ui.query(ctx, data.cycle_step_trend, f)
trend = trend[trend["fiscal_year"] == f.fiscal_year]
if trend.empty:
    st.caption("No monthly values in this fiscal year.")
else:
    st.altair_chart(
        alt.Chart(trend.assign(median=trend["median"].astype(float))).mark_line(point=True).encode(
            x=alt.X("fiscal_month:O", title=f"Fiscal month of FY {f.fiscal_year} (1 = first month)"),
            y=alt.Y("median:Q", title="Median days"),
            color=alt.Color("step:N", sort=[s for _, s in data.CYCLE_STEPS], scale=alt.Scale(scheme="tableau10"), title="Step"),
            tooltip=["step:N", "fiscal_month:O", alt.Tooltip("median:Q", format=".1f"), "pos:Q"],
        ).properties(height=300),
        width="stretch",
    )
