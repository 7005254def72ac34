"""The executive dashboard: eight pages over the published snapshot.

Reads ONLY the published snapshot (``published/current.duckdb``, or ``$PROCURE_SNAPSHOT``), read-only, with
short-lived connections and parameterised queries; results are cached per snapshot id, so a new publication shows
up on the next rerun and never mixes with cached results of the previous one. The filters (state, fiscal year,
agency, category) live in the URL, so a view can be shared: ``/savings?state=NV&fy=2025&agency=NV-002``.

Run: ``procure dashboard`` (or ``make dashboard``).
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:  # `streamlit run dashboards/app.py` puts only dashboards/ on the path
    sys.path.insert(0, str(_REPO_ROOT))

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from dashboards import data, ui  # noqa: E402
from dashboards.registry import PAGES  # noqa: E402

APP_TITLE = "State procurement performance"
ALL_AGENCIES = "All agencies"
ALL_CATEGORIES = "All categories"
# URL query parameter per filter.
PARAMS = {"state": "state", "fiscal_year": "fy", "agency": "agency", "category": "category"}


def _select(label: str, name: str, options: list, default, format_func=str, help: str | None = None):
    """A sidebar selectbox whose value starts from the URL and is written back to it."""
    key = f"filter_{name}"
    ui.url_state(key, PARAMS[name], default, options=options)
    return st.sidebar.selectbox(label, options, key=key, format_func=format_func, help=help)


def filters(snapshot: data.Snapshot) -> ui.Context:
    opts = ui._cached(snapshot.snapshot_id, "filter_options", str(snapshot.path), (), ())
    states = opts["states"]
    if states.empty:
        return ui.Context(snapshot=snapshot, filters=None)
    st.sidebar.header("Filters")
    state_names = dict(zip(states["state_code"], states["state_name"].fillna(states["state_code"])))
    state = _select("State", "state", list(states["state_code"]), states["state_code"].iloc[0],
                    format_func=lambda s: f"{state_names.get(s, s)} ({s})")
    state_years = opts["years"][opts["years"]["state_code"] == state]
    months = dict(zip(state_years["fiscal_year"].astype(int), state_years["months"].astype(int)))
    years = list(months)  # newest first
    # The default is the newest complete fiscal year (an annual scorecard on three months misleads); the year in
    # progress is one click away and says so.
    complete = [y for y in years if months[y] >= 12]  # 0 months known: no monthly KPIs, years cannot be told apart
    year = _select("Fiscal year", "fiscal_year", years, (complete or years)[0] if years else None,
                   format_func=lambda y: f"FY {y}" + ("" if months[y] in (0, 12) else f" (year to date, {months[y]} months)"),
                   help="The state's own fiscal year (dim_state.fiscal_year_start_month). Default: the newest complete one."
                   ) if years else None
    agencies = opts["agencies"][opts["agencies"]["state_code"] == state]
    agency_names = dict(zip(agencies["agency_id"], agencies["agency_name"].fillna(agencies["agency_id"])))
    agency = _select("Agency", "agency", [ALL_AGENCIES, *agencies["agency_id"]], ALL_AGENCIES,
                     format_func=lambda a: agency_names.get(a, a))
    categories = opts["categories"]
    category_titles = dict(zip(categories["category_code"], categories["category_title"].fillna(categories["category_code"])))
    category = _select("Category", "category", [ALL_CATEGORIES, *categories["category_code"]], ALL_CATEGORIES,
                       format_func=lambda c: c if c == ALL_CATEGORIES else f"{category_titles.get(c, c)} ({c})")
    agency = None if agency == ALL_AGENCIES else agency
    category = None if category == ALL_CATEGORIES else category

    ui.write_url(state=state, fy=year, agency=agency, category=category)

    f = data.Filters(state=state, fiscal_year=year, agency=agency, category=category)
    return ui.Context(snapshot=snapshot, filters=f, state_name=state_names.get(state, state),
                      agency_name=agency_names.get(agency) if agency else None,
                      category_title=category_titles.get(category) if category else None,
                      months_in_year=months.get(year, 0) if year else 0)


def sidebar_about(snapshot: data.Snapshot) -> None:
    """The snapshot's manifest: what is published, from which loads, vouched for by which checks."""
    from warehouse.publish import gate_summary, loads_summary

    created = snapshot.created_at.strftime("%Y-%m-%d %H:%M") if snapshot.created_at else "?"
    with st.sidebar:
        st.divider()
        st.caption(
            f"**Snapshot** `{snapshot.snapshot_id}`  \n"
            f"**Published** {created} UTC  \n"
            f"**Gate** {gate_summary(snapshot.manifest)}  \n"
            f"**Loads** {loads_summary(snapshot.manifest)}  \n"
            f"**Code** `{snapshot.code_version or 'unknown'}`"
        )


def main() -> None:
    st.set_page_config(page_title=APP_TITLE, page_icon=":material/account_balance:", layout="wide")
    navigation = st.navigation(
        [st.Page(str(Path(__file__).parent / p.script), title=p.title, url_path=p.url_path, icon=p.icon,
                 default=(i == 0)) for i, p in enumerate(PAGES)]
    )
    st.sidebar.caption(APP_TITLE)
    try:
        snapshot = data.open_snapshot()
    except Exception as e:  # noqa: BLE001 - a broken file is reported, not raised at the reader
        st.error(f"The published snapshot at {data.snapshot_path()} could not be read: {e}. "
                 "`procure snapshots` lists the kept ones; `procure publish --rollback previous` restores the last.")
        st.stop()
    if snapshot is None:
        st.session_state[ui.CONTEXT_KEY] = ui.Context(snapshot=None, filters=None)
    else:
        try:
            st.session_state[ui.CONTEXT_KEY] = filters(snapshot)
        except Exception as e:  # noqa: BLE001
            st.error(f"Snapshot {snapshot.snapshot_id} could not be read: {e}")
            st.stop()
        sidebar_about(snapshot)
    navigation.run()


main()
