"""Savings by method: each method named with its baseline, never one total across methods."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("savings")
f = ctx.filters
by_method = ui.query(ctx, data.savings_by_method, f)
year = by_method[by_method["fiscal_year"] == f.fiscal_year].sort_values("savings_amount", ascending=False)

st.caption("Each method measures savings against its own baseline (docs/kpis.md, savings); the methods overlap, so "
           "they are shown side by side and never added into one total. Projected = at award; realised = in what "
           "was actually paid.")
if year.empty:
    st.info("No savings measured for this selection in this fiscal year. Savings need awards with a baseline, "
            "contract prices, or cooperative sales reports with list prices.")
else:
    columns = st.columns(min(4, len(year)))
    for i, (_, r) in enumerate(year.head(4).iterrows()):
        with columns[i]:
            name, _, detail = r["method_label"].partition(" (")
            ui.tile(name, fmt.money(r["savings_amount"]), help=r["method_label"],
                    lines=((f"({detail}" if detail else ""),f"{fmt.pct(r['savings_rate'])} of the {fmt.money(r['baseline_amount'])} baseline",
                           f"Baseline: {r['baseline_kind'].replace('_', ' ')} · {r['savings_stage']}"))

    chart_data = year.assign(label=year["method_label"] + " — " + year["baseline_kind"].str.replace("_", " "),
                             savings=year["savings_amount"].astype(float))
    st.altair_chart(
        alt.Chart(chart_data).mark_bar().encode(
            x=alt.X("savings:Q", title="Savings ($)", axis=alt.Axis(format="$,.3~s")),
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
            color=alt.condition(alt.datum.savings < 0, alt.value("#D55E00"), alt.value("#0072B2")),
            tooltip=[alt.Tooltip("label:N", title="Method"), alt.Tooltip("savings:Q", format="$,.0f"),
                     alt.Tooltip("savings_stage:N", title="Stage")],
        ).properties(height=40 * len(chart_data) + 40),
        width="stretch",
    )

    flagged = year[year["flagged_lines_count"] > 0]
    if not flagged.empty:
        st.warning(
            f"{fmt.money(flagged['flagged_savings_amount'].sum())} of savings on "
            f"{fmt.count(flagged['flagged_lines_count'].sum())} award(s) are left out of the figures above: the "
            "award's solicitation is flagged as a bid price anomaly (red flag RF10, see Compliance), so the bid "
            "the savings are measured against is itself suspect. They are listed in the table below.")

    st.subheader(f"By method, FY {f.fiscal_year}")
    display = pd.DataFrame({
        "Method": year["method_label"], "Baseline": year["baseline_kind"].str.replace("_", " "),
        "Stage": year["savings_stage"], "Baseline amount": year["baseline_amount"].map(fmt.money),
        "Actual amount": year["actual_amount"].map(fmt.money), "Savings": year["savings_amount"].map(fmt.money),
        "Savings rate": year["savings_rate"].map(fmt.pct), "Lines": year["lines_count"].map(fmt.count),
        "Left out as price anomalies": year["flagged_savings_amount"].map(fmt.money),
    })
    ui.table(ctx, display, "savings_by_method", export=year)

st.subheader("Trend by fiscal year")
if by_method.empty:
    st.caption("No savings in any fiscal year for this selection.")
else:
    trend = by_method.assign(savings=by_method["savings_amount"].astype(float),
                             label=by_method["method_label"] + " — " + by_method["baseline_kind"].str.replace("_", " "))
    st.altair_chart(
        alt.Chart(trend).mark_line(point=True).encode(
            x=alt.X("fiscal_year:O", title="Fiscal year"),
            y=alt.Y("savings:Q", title="Savings ($)", axis=alt.Axis(format="$,.3~s")),
            color=alt.Color("label:N", title="Method", scale=alt.Scale(scheme="tableau10")),
            strokeDash=alt.StrokeDash("savings_stage:N", title="Stage"),
            tooltip=["label:N", "fiscal_year:O", alt.Tooltip("savings:Q", format="$,.0f")],
        ).properties(height=300),
        width="stretch",
    )

if f.agency is None:
    st.subheader(f"Categories that saved most, FY {f.fiscal_year}")
    top = ui.query(ctx, data.top_savings_categories, f, 10)
    display = pd.DataFrame({
        "Category": top["category_title"] + " (" + top["category_code"] + ")", "Method": top["method_label"],
        "Baseline": top["baseline_kind"].str.replace("_", " "), "Savings": top["savings_amount"].map(fmt.money),
        "Savings rate": top["savings_rate"].map(fmt.pct), "Baseline amount": top["baseline_amount"].map(fmt.money),
    })
    ui.table(ctx, display, "savings_top_categories", export=top)
else:
    ui.note("Savings by category are kept for the whole state (not per agency): clear the agency filter to see them.")
