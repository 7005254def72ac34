"""Cooperative purchasing: use of NASPO ValuePoint and other programmes by state and customer type, the discount
from list price, and the administrative fee reported against what the fee rate implies."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("cooperative")
f = ctx.filters
sales = ui.query(ctx, data.coop_by_state, f)
ui.note("From the contractors' detailed sales reports, for every state, so use can be compared; the selected state is "
        "marked. Fiscal year: each buying state's own." + (" The agency filter does not apply (sales reports name "
                                                           "customers, not agencies)." if f.agency else ""))
if sales.empty:
    st.info("No cooperative sales reports for this fiscal year. Load contractors' detailed sales reports "
            "(docs/add-your-data.md, NASPO ValuePoint).")
    st.stop()

programmes = sorted(sales["coop_program"].dropna().unique())
programme = st.selectbox("Programme", ["All programmes", *programmes], key="coop_programme",
                         index=(1 + programmes.index("NASPO ValuePoint")) if "NASPO ValuePoint" in programmes else 0)
shown = sales if programme == "All programmes" else sales[sales["coop_program"] == programme]
mine = shown[shown["state_code"] == f.state]

c1, c2, c3, c4 = st.columns(4)
with c1:
    ui.tile(f"Sales in {f.state}", fmt.money(mine["sales"].sum()), lines=(f"{fmt.count(mine['lines'].sum())} report lines",))
with c2:
    list_value = mine["list_value"].sum()
    ui.tile("Discount from list price", fmt.pct(mine["list_price_discount"].sum() / list_value) if list_value else fmt.DASH,
            lines=(f"{fmt.money(mine['list_price_discount'].sum())} below list",))
with c3:
    ui.tile("Admin fee reported", fmt.money(mine["admin_fee"].sum()),
            lines=(f"Expected from the fee rate: {fmt.money(mine['expected_admin_fee'].sum())}",))
with c4:
    state_agency = mine.loc[mine["customer_type"] == "state_agency", "sales"].sum()
    ui.tile("Bought by state agencies", fmt.pct(state_agency / mine["sales"].sum()) if mine["sales"].sum() else fmt.DASH,
            lines=("the rest: local government, K-12, higher education, non-profits",))

st.subheader("Use by state and customer type")
chart = shown.groupby(["state_code", "customer_type"], as_index=False)["sales"].sum()
chart["sales"] = chart["sales"].astype(float)
chart["customer_type"] = chart["customer_type"].str.replace("_", " ")
chart["state"] = chart["state_code"].where(chart["state_code"] != f.state, chart["state_code"] + " (selected)")
st.altair_chart(
    alt.Chart(chart).mark_bar().encode(
        x=alt.X("sales:Q", title="Sales ($)", axis=alt.Axis(format="$,.3~s")),
        y=alt.Y("state:N", title=None, sort="-x", axis=alt.Axis(labelLimit=300)),
        color=alt.Color("customer_type:N", title="Customer type",
                        scale=alt.Scale(range=["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"])),
        tooltip=["state_code:N", "customer_type:N", alt.Tooltip("sales:Q", format="$,.0f")],
    ).properties(height=40 * chart["state"].nunique() + 60),
    width="stretch",
)

st.subheader("By programme, state and customer type")
grouped = shown.groupby(["coop_program", "state_code", "customer_type"], as_index=False)[
    ["lines", "sales", "list_price_discount", "list_value", "admin_fee", "expected_admin_fee"]].sum()
grouped["discount_rate"] = grouped["list_price_discount"] / grouped["list_value"].where(grouped["list_value"] != 0)
display = pd.DataFrame({
    "Programme": grouped["coop_program"], "State": grouped["state_code"],
    "Customer type": grouped["customer_type"].str.replace("_", " "), "Lines": grouped["lines"].map(fmt.count),
    "Sales": grouped["sales"].map(fmt.money), "Below list": grouped["list_price_discount"].map(fmt.money),
    "Discount": grouped["discount_rate"].map(fmt.pct), "Admin fee": grouped["admin_fee"].map(fmt.money),
    "Expected fee": grouped["expected_admin_fee"].map(fmt.money),
})
ui.table(ctx, display, "cooperative_sales", export=grouped)
