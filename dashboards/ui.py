"""What every page shares: the snapshot and filters of this run, cached queries, headers, tiles and tables.

The entry script (app.py) puts a `Context` in the session state before it runs the selected page; a page calls
`page(url_path)` first, which draws its title and question and returns the context (or shows the empty state and
stops when nothing is published). Session state, not a module global: Streamlit serves every browser session from
the same process, each with its own filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, format as fmt
from dashboards.registry import PAGES, PageSpec

CONTEXT_KEY = "_procure_context"
EMPTY_STATE = (
    "**No published snapshot yet.** The dashboard shows only data that passed the quality gate.\n\n"
    "- First time here? Run `make run`: it generates the synthetic demo data and publishes a snapshot in about "
    "a minute and a half.\n"
    "- Loading your own exports? Put them in the landing folder and run `procure run` (docs/add-your-data.md).\n"
    "- A run finished but nothing appeared? `procure status` says whether the gate failed and why; the last good "
    "snapshot stays published.\n\n"
    "Then reload this page."
)


@dataclass(frozen=True)
class Context:
    snapshot: data.Snapshot | None
    filters: data.Filters | None
    state_name: str = ""
    agency_name: str | None = None
    category_title: str | None = None
    months_in_year: int = 12  # fiscal months of the selected year with data (a year in progress has fewer)


_WRITTEN = "_procure_url_written"


def url_state(key: str, param: str, default, options: list | None = None,
              parse: Callable[[str], object] | None = None) -> None:
    """Prepare the session state of widget `key` from URL parameter `param`: the URL's value on first load, the
    widget's own value afterwards, and the URL's again when the address changed outside the app (a link opened in
    a running session, the back button). A URL value that is not an option or does not parse (a stale or hostile
    link) is ignored: it never reaches a query."""
    raw = st.query_params.get(param)
    from_url = None
    if raw is not None:
        if options is not None:
            from_url = next((o for o in options if str(o) == raw), None)
        elif parse is not None:
            try:
                from_url = parse(raw)
            except ValueError:
                from_url = None
    written = st.session_state.get(_WRITTEN, {}).get(param)
    if key not in st.session_state or (options is not None and st.session_state[key] not in options):
        st.session_state[key] = from_url if from_url is not None else default
    elif from_url is not None and raw != written:
        st.session_state[key] = from_url


def write_url(**params) -> None:
    """Put the view into the URL (None removes a parameter), so the address bar is a shareable link; remember what
    was written, to tell the app's own writes from a changed address on the next run."""
    written = st.session_state.setdefault(_WRITTEN, {})
    for param, value in params.items():
        if value is None:
            st.query_params.pop(param, None)
        elif st.query_params.get(param) != str(value):
            st.query_params[param] = str(value)
        written[param] = None if value is None else str(value)


def spec(url_path: str) -> PageSpec:
    return next(p for p in PAGES if p.url_path == url_path)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(snapshot_id: str, name: str, _path: str, args: tuple, kwargs: tuple):
    return getattr(data, name)(Path(_path), *args, **dict(kwargs))


def query(ctx: Context, fn: Callable, *args, **kwargs):
    """Run a dashboards.data query on this run's snapshot, cached per snapshot id and arguments: a new
    publication (new id) never reuses the previous snapshot's results."""
    snap = ctx.snapshot
    return _cached(snap.snapshot_id, fn.__name__, str(snap.path), args, tuple(sorted(kwargs.items())))


def page(url_path: str) -> Context:
    """Title and question of the page; the empty state (and stop) when no snapshot is published."""
    page_spec = spec(url_path)
    st.title(page_spec.title)
    ctx: Context | None = st.session_state.get(CONTEXT_KEY)
    if ctx is None or ctx.snapshot is None:
        st.info(EMPTY_STATE, icon=":material/info:")
        st.stop()
    if ctx.filters is None:
        st.info("This snapshot holds no KPI values yet: nothing to show. `procure status` tells what was loaded.")
        st.stop()
    f = ctx.filters
    where = ctx.state_name or f.state
    if ctx.agency_name:
        where += f" · {ctx.agency_name}"
    if ctx.category_title:
        where += f" · {ctx.category_title}"
    year = f"fiscal year {f.fiscal_year}" if f.fiscal_year else "no fiscal year with data"
    if f.fiscal_year and 0 < ctx.months_in_year < 12:
        year += f" ({ctx.months_in_year} of 12 months so far)"
    st.caption(f"{page_spec.question}  \n**{where}** — {year}")
    return ctx


BOTH_FILTERS = ("KPIs are kept per agency or per category, not for both at once: this view shows no KPI values. "
                "Clear the agency or the category filter.")


def note(text: str) -> None:
    st.caption(text)


def tile(label: str, value: str, help: str | None = None, lines: tuple[str, ...] = (), border: bool = True):
    """One number with its context underneath (target, status, change): a bordered container."""
    with st.container(border=border):
        st.metric(label=label, value=value, help=help)
        for line in lines:
            st.caption(line)


def _file_name(ctx: Context, name: str) -> str:
    f = ctx.filters
    parts = [name, f.state, f"FY{f.fiscal_year}" if f.fiscal_year else None, f.agency, f.category,
             ctx.snapshot.snapshot_id]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(p for p in parts if p)) + ".csv"


def table(ctx: Context, display: pd.DataFrame, name: str,
          export: pd.DataFrame | Callable[[], pd.DataFrame] | None = None, height: int | str = "auto",
          key: str | None = None, total_rows: int | None = None) -> None:
    """A formatted table and a CSV download of it: every table on every page can be exported. The CSV holds the
    export frame (unformatted values) or, when export is a callable, what it returns when the button is clicked
    (all rows of a table shown only in part); text cells a spreadsheet would run as formulas are neutralised."""
    if display.empty:
        st.caption("No rows for this selection.")
        return
    st.dataframe(display, hide_index=True, width="stretch", height=height)
    rows = total_rows if total_rows is not None else len(display)
    source = export if export is not None else display
    st.download_button(  # the CSV is made when the button is clicked (a callable), not on every render
        f"Download CSV ({rows:,} rows)",
        data=(lambda: fmt.csv_bytes(source())) if callable(source) else (lambda: fmt.csv_bytes(source)),
        file_name=_file_name(ctx, name), mime="text/csv", key=key or f"csv-{name}", icon=":material/download:",
    )


def status_legend() -> None:
    st.caption("Status: " + " · ".join(fmt.status(code) for code in ("on_target", "near", "off", "no_target", "no_data"))
               + ". The symbol carries the status; colour only repeats it.")


def line_with_target(frame: pd.DataFrame, x: str, y: str, target: str | None, y_title: str,
                     y_format: str = ",.1f", x_title: str = "Fiscal year") -> alt.Chart:
    """Values over periods as a line with points, the target as a dashed line (legend says which is which)."""
    long = frame[[x, y] + ([target] if target else [])].melt(x, var_name="series", value_name="v").dropna()
    long["series"] = long["series"].map({y: "Actual", target: "Target"} if target else {y: "Actual"})
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:O", title=x_title),
            y=alt.Y("v:Q", title=y_title, axis=alt.Axis(format=y_format)),
            color=alt.Color("series:N", title=None, scale=alt.Scale(domain=["Actual", "Target"], range=["#0072B2", "#D55E00"])),
            strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=["Actual", "Target"], range=[[1, 0], [6, 4]])),
            tooltip=[alt.Tooltip(f"{x}:O"), alt.Tooltip("series:N"), alt.Tooltip("v:Q", format=y_format)],
        )
        .properties(height=260)
    )
