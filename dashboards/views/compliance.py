"""Compliance and red flags: the compliance KPIs, then every finding with its evidence (filterable, exportable)."""

import pandas as pd
import streamlit as st

from dashboards import data, format as fmt, ui

ctx = ui.page("compliance")
f = ctx.filters

by_rule = ui.query(ctx, data.red_flag_summary, f)
kpis = ui.query(ctx, data.kpi_rows, f, kind="compliance")
current = kpis[kpis["fiscal_year"] == f.fiscal_year]
off = current[current["status"] == "off"]

c1, c2, c3 = st.columns(3)
with c1:
    ui.tile("Red flags", fmt.count(by_rule["findings"].sum()), lines=(f"{len(by_rule)} of 20 rules fired",))
with c2:
    ui.tile("Amount flagged", fmt.money(by_rule["amount"].sum()) if not by_rule.empty else fmt.DASH,
            lines=("Sum of the flagged items' amounts; one payment can be flagged by several rules.",))
with c3:
    ui.tile("Compliance KPIs off target", f"{len(off)} of {current['status'].isin(['on_target', 'near', 'off']).sum()}",
            lines=("scored compliance KPIs of the fiscal year",))

st.subheader("Compliance KPIs")
if f.agency and f.category:
    st.info(ui.BOTH_FILTERS)
ui.status_legend()
definitions = kpis.drop_duplicates("kpi_id")[["kpi_id", "kpi_name", "unit", "attribute_name"]]
table = definitions.merge(current[["kpi_id", "numerator", "denominator", "value", "target", "status", "basis",
                                   "excluded_rows"]], on="kpi_id", how="left")
display = pd.DataFrame({
    "KPI": table["kpi_id"] + " " + table["kpi_name"], "Attribute": table["attribute_name"],
    "Value": [fmt.kpi_value(v, u) for v, u in zip(table["value"], table["unit"])],
    "Target": [fmt.kpi_value(v, u) for v, u in zip(table["target"], table["unit"])],
    "Status": [fmt.status(s) for s in table["status"]],
    "Basis": [fmt.basis(b) for b in table["basis"]],
})
ui.table(ctx, display, "compliance_kpis", export=table)

st.subheader("Red flags")
if f.category:
    ui.note("Red flags are not kept per category: the category filter does not apply here.")
if by_rule.empty:
    st.info("No red flags for this selection in this fiscal year.")
    st.stop()
rules = list(by_rule["rule_id"])
rule_names = dict(zip(by_rule["rule_id"], by_rule["rule_name"].str.replace("_", " ")))
left, right = st.columns([2, 1])
with left:
    picked = st.multiselect("Rules", rules, format_func=lambda r: f"{r} {rule_names[r]}", key="flag_rules",
                            placeholder="All rules")
with right:
    search = st.text_input("Search evidence, id, agency or supplier", key="flag_search").strip()

summary = pd.DataFrame({"Rule": by_rule["rule_id"] + " " + by_rule["rule_name"].str.replace("_", " "),
                        "Findings": by_rule["findings"].map(fmt.count), "Amount": by_rule["amount"].map(fmt.money)})
with st.expander(f"Findings per rule ({len(by_rule)} rules)", expanded=False):
    ui.table(ctx, summary, "red_flags_by_rule", export=by_rule, key="csv-flags-rule")

# The filter and the search run in the query; the table shows the largest SHOWN findings, the CSV all of them.
SHOWN = 1000
chosen = tuple(sorted(picked))
shown = ui.query(ctx, data.red_flags, f, chosen, search, SHOWN)
matching = int(shown["matching"].iloc[0]) if not shown.empty else 0
if matching > SHOWN:
    st.caption(f"The {SHOWN:,} largest of {matching:,} findings are shown; the CSV holds all of them.")
else:
    st.caption(f"{matching:,} findings, largest amount first. Rules and thresholds: docs/red_flags.md.")
snapshot_path = ctx.snapshot.path
display = pd.DataFrame({
    "Rule": shown["rule_id"] + " " + shown["rule_name"].str.replace("_", " "), "What": shown["entity_type"].str.replace("_", " "),
    "Id": shown["entity_id"], "Agency": shown["agency_name"], "Supplier": shown["supplier_id"],
    "Amount": shown["amount"].map(fmt.money), "Detected": shown["detected_at"].astype(str), "Evidence": shown["evidence"],
})
ui.table(ctx, display, "red_flags", export=lambda: data.red_flags(snapshot_path, f, chosen, search).drop(columns="matching"),
         height=480, total_rows=matching)
