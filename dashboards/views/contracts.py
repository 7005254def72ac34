"""Contracts expiring within 180 days: trailing twelve months' spend and whether a successor is in place."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("contracts")
f = ctx.filters
as_of_data = ui.query(ctx, data.data_as_of, f.state)
default = as_of_data or date.today()
# the as-of date is in the URL only when it is not the default
ui.url_state("contracts_as_of", "as_of", default, parse=date.fromisoformat)
left, right = st.columns([1, 2])
with left:
    as_of = st.date_input("As of", key="contracts_as_of",
                          help="Default: the newest payment in the published data for this state, the day the data runs to.")
ui.write_url(as_of=None if as_of == default else as_of.isoformat())
with right:
    st.caption(f"Contracts whose effective end (after amendments) falls from {as_of:%d %b %Y} to "
               f"{as_of + timedelta(days=180):%d %b %Y}. Spend: payments on the contract in the 12 months to the as-of date.")

rows = ui.query(ctx, data.expiring_contracts, f, as_of, 180)
no_successor = rows[~rows["has_successor"].fillna(False).astype(bool)]
c1, c2, c3 = st.columns(3)
with c1:
    ui.tile("Expiring within 180 days", fmt.count(len(rows)),
            lines=(f"{fmt.count((rows['days_left'] <= 90).sum())} within 90 days",))
with c2:
    ui.tile("Without a successor", fmt.count(len(no_successor)),
            lines=(f"{fmt.money(no_successor['trailing_12m_spend'].sum())} spent on them in 12 months",))
with c3:
    ui.tile("Trailing 12-month spend", fmt.money(rows["trailing_12m_spend"].sum()), lines=("on all expiring contracts",))

if rows.empty:
    st.info("No contract of this selection ends within 180 days of the as-of date.")
    st.stop()
display = pd.DataFrame({
    "Contract": rows["contract_number"].fillna(rows["contract_id"]), "Title": rows["title"],
    "Agency": rows["agency_name"].fillna("Statewide"), "Supplier": rows["supplier_name"],
    "Vehicle": rows["vehicle"].fillna("") + rows["coop_program"].map(lambda p: f" ({p})" if isinstance(p, str) else ""),
    "Ends": rows["effective_end_date"].astype(str), "Days left": rows["days_left"].map(fmt.count),
    "12-month spend": rows["trailing_12m_spend"].map(fmt.money), "Current value": rows["current_value"].map(fmt.money),
    "Successor": [f"✔ {s}" if ok else "✖ none" for ok, s in zip(rows["has_successor"].fillna(False), rows["successor_contract_id"])],
})
ui.table(ctx, display, "contracts_expiring", export=rows, height=480)
st.caption("Successor: a later contract of the same agency, category and supplier or vehicle that starts before or "
           "soon after this one ends (dim_contract.has_successor, docs/kpis.md 5.x).")
