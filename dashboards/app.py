"""Procurement KPIs — headline page.

Reads ONLY the published snapshot (``published/current.duckdb``, or ``$PROCURE_SNAPSHOT``), read-only, with
short-lived connections; query results are cached per snapshot id, so a new publication shows up on the next
rerun and never mixes with cached results of the previous one.

Run: ``streamlit run dashboards/app.py --server.headless true --browser.gatherUsageStats false``
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:  # `streamlit run dashboards/app.py` puts only dashboards/ on the path
    sys.path.insert(0, str(_REPO_ROOT))

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from dashboards import data  # noqa: E402

TITLE = "Procurement KPIs — headline"
EMPTY_STATE = "No published snapshot yet — run `make run`"
FALLBACK_NAMES = {"1.1": "Spend under management", "7.2": "Invoice-to-pay time", "12.2": "Maverick spend"}
DIRECTION_WORDS = {"up": "higher is better", "down": "lower is better"}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_states(snapshot_id: str, _path: str) -> list[str]:
    return data.states(Path(_path))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_headline(snapshot_id: str, state_code: str, _path: str) -> pd.DataFrame:
    return data.headline_by_year(Path(_path), state_code)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_definitions(snapshot_id: str, _path: str) -> pd.DataFrame:
    return data.definitions(Path(_path))


def _kpi_label(kpi_id: str, definitions: pd.DataFrame) -> str:
    match = definitions[definitions["kpi_id"] == kpi_id]
    name = match["kpi_name"].iloc[0] if not match.empty and pd.notna(match["kpi_name"].iloc[0]) else None
    return f"{kpi_id} {name or FALLBACK_NAMES.get(kpi_id, '')}".strip()


def _kpi_unit(kpi_id: str, definitions: pd.DataFrame) -> str | None:
    match = definitions[definitions["kpi_id"] == kpi_id]
    return match["unit"].iloc[0] if not match.empty else None


def render_headline(snapshot: data.Snapshot) -> None:
    path = str(snapshot.path)
    states = cached_states(snapshot.snapshot_id, path)
    if not states:
        st.info("This snapshot holds no KPI values yet.")
        return
    state = st.selectbox("State", states, key="state")
    by_year = cached_headline(snapshot.snapshot_id, state, path)
    definitions = cached_definitions(snapshot.snapshot_id, path)
    year = data.latest_year_with_data(by_year)
    if year is None:
        st.info(f"No headline KPI values for {state} in this snapshot.")
        return

    months = data.months_with_data(snapshot.path, state, year)
    progress = "" if months >= 12 else f" ({months} of 12 months so far)"
    st.subheader(f"{state} — fiscal year {year}{progress}")
    latest = by_year[by_year["fiscal_year"] == year]
    for column, kpi_id in zip(st.columns(len(data.HEADLINE_KPIS)), data.HEADLINE_KPIS):
        row = latest[latest["kpi_id"] == kpi_id]
        unit = _kpi_unit(kpi_id, definitions)
        with column:
            if row.empty:
                st.metric(label=_kpi_label(kpi_id, definitions), value="—")
                st.caption("Target: — · Status: No data")
                continue
            r = row.iloc[0]
            unit = r["unit"] if pd.notna(r["unit"]) else unit
            description = definitions.loc[definitions["kpi_id"] == kpi_id, "description"]
            st.metric(
                label=_kpi_label(kpi_id, definitions),
                value=data.format_value(r["value"], unit),
                help=description.iloc[0] if not description.empty and pd.notna(description.iloc[0]) else None,
            )
            direction = DIRECTION_WORDS.get(r["direction"]) if pd.notna(r["direction"]) else None
            caption = f"Target: {data.format_value(r['target'], unit)} · Status: {data.status_words(r['status'])}"
            st.caption(caption + (f" ({direction})" if direction else ""))

    st.subheader("By fiscal year")
    table = pd.DataFrame(
        {
            "Fiscal year": by_year["fiscal_year"].astype("Int64"),
            "KPI": [_kpi_label(k, definitions) for k in by_year["kpi_id"]],
            "Numerator": [data.format_basis(v, u, "numerator") for v, u in zip(by_year["numerator"], by_year["unit"])],
            "Denominator": [data.format_basis(v, u, "denominator") for v, u in zip(by_year["denominator"], by_year["unit"])],
            "Value": [data.format_value(v, u) for v, u in zip(by_year["value"], by_year["unit"])],
            "Target": [data.format_value(v, u) for v, u in zip(by_year["target"], by_year["unit"])],
            "Status": [data.status_words(s) for s in by_year["status"]],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def render_manifest(snapshot: data.Snapshot, created: str) -> None:
    """The snapshot's manifest in the sidebar: what is published, from which loads, vouched for by which checks."""
    from warehouse.publish import gate_summary, loads_summary

    with st.sidebar:
        st.subheader("About this snapshot")
        st.markdown(
            f"- **Snapshot:** `{snapshot.snapshot_id}`\n"
            f"- **Published:** {created} UTC\n"
            f"- **Gate:** {gate_summary(snapshot.manifest)}\n"
            f"- **Loads:** {loads_summary(snapshot.manifest)}\n"
            f"- **Code version:** `{snapshot.code_version or 'unknown'}`"
        )


def main() -> None:
    st.set_page_config(page_title=TITLE, layout="wide")
    st.title(TITLE)
    try:
        snapshot = data.open_snapshot()
    except Exception as e:  # noqa: BLE001 - a broken file is reported, not raised at the reader
        st.error(f"The published snapshot at {data.snapshot_path()} could not be read: {e}")
        return
    if snapshot is None:
        st.info(EMPTY_STATE)
        return
    created = snapshot.created_at.strftime("%Y-%m-%d %H:%M:%S") if snapshot.created_at else "?"
    st.caption(f"Snapshot {snapshot.snapshot_id} · published {created} UTC")
    render_manifest(snapshot, created)
    try:
        render_headline(snapshot)
    except Exception as e:  # noqa: BLE001
        st.error(f"Snapshot {snapshot.snapshot_id} could not be read: {e}")


main()
