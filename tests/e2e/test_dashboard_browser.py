"""The dashboard in a real browser: every page of dashboards/registry.py, served by `streamlit run` on the snapshot
`procure run` published for the default data set, opened in Debian's headless chromium through Playwright.

AppTest (tests/e2e/test_dashboard_pages.py) runs the page scripts without a frontend; this test catches what
only a browser shows: a page that does not load at its URL, an exception or error box on screen, a blank render.
Each page is screenshotted in full to <artefacts>/screenshots/<url_path>.png, where <artefacts> is
$PROCURE_TEST_ARTIFACTS or test-artifacts/ at the repository root, so a reviewer (or CI) can look at the pages.

The browser is the system chromium (`make browser` installs it with apt; `make test` runs that first), never one
downloaded by `playwright install`. KEY_NUMBERS holds, per page, strings computed from the snapshot that must be
on screen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from dashboards import format as fmt
from dashboards.registry import PAGES, PageSpec
from dashboards.server import command
from tests.e2e.conftest import dashboard_default_view

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PROCURE_TEST_ARTIFACTS") or REPO / "test-artifacts")
SCREENSHOTS = ARTIFACTS / "screenshots"

# Root in a container: no sandbox; no GPU; /dev/shm is small in containers; no network calls of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
MAX_SCREENSHOT_HEIGHT = 20_000  # px: a runaway page must not make a gigapixel PNG
TIMEOUT_MS = 60_000  # one page render; the CI machine is slow and shared
SERVER_START_TIMEOUT_S = 90

# Selectors of the Streamlit 1.67 frontend (data-testid names in streamlit/static/static/js/index.*.js).
# Finished running: the app root's script state is "notRunning" (it is "initial" before the first run and
# "running"/"rerunRequested" during one) and the running-man status widget is gone.
APP_ROOT = '[data-testid="stApp"]'
SCRIPT_STATE = "data-test-script-state"
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
MAIN = '[data-testid="stMain"]'
# An error on screen: an exception box (uncaught, or st.exception) or an st.error box. Alerts of kind error
# render their content as stAlertContentError (info, warning and success as stAlertContent<Kind>).
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
# A modal on a freshly opened page: Streamlit's "Page not found" (a URL path no page has) is one.
DIALOG = '[data-testid="stDialog"]'


# ---- what each page must show, computed from the snapshot independently of the app's queries ----------------

def _sql(snapshot: Path, query: str, params: tuple = ()) -> list[tuple]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


_default_view = dashboard_default_view


def _scorecard_numbers(snapshot: Path) -> list[str]:
    """Each attribute's score, the attributes measured and the KPIs on target, of the default view."""
    state, year = _default_view(snapshot)
    rows = _sql(snapshot, """SELECT attribute_id, score, kpis_on_target, kpis_scored FROM main.attribute_scorecard
                             WHERE state_code = ? AND agency_id IS NULL AND fiscal_year = ?
                             ORDER BY attribute_id""", (state, year))
    assert len(rows) == 12, f"attribute_scorecard has {len(rows)} rows for {state} FY {year}, expected 12"
    measured = [r for r in rows if r[1] is not None]
    on, scored = sum(r[2] or 0 for r in rows), sum(r[3] or 0 for r in rows)
    return [f"{len(measured)} of 12", f"{on:.0f} of {scored:.0f}"] + [f"{r[1]:.0f} / 100" for r in measured]


# url_path -> strings that must appear in the page's main area (page_text). Only text in the DOM counts:
# st.dataframe draws its cells on a canvas, so table values are not seen here (AppTest checks those).
def _attribute_numbers(snapshot: Path) -> list[str]:
    """Attribute 1's KPI values of the default view (the page opens on attribute 1)."""
    state, year = _default_view(snapshot)
    rows = _sql(snapshot, """SELECT v.value, d.unit FROM main.kpi_values AS v JOIN main.kpi_definitions AS d USING (kpi_id)
                             WHERE v.attribute_id = 1 AND v.state_code = ? AND v.fiscal_year = ? AND v.agency_id IS NULL
                               AND v.category_code IS NULL AND v.supplier_id IS NULL AND v.fiscal_month IS NULL
                               AND v.value IS NOT NULL""", (state, year))
    assert rows
    return [fmt.kpi_value(value, unit) for value, unit in rows]


def _savings_numbers(snapshot: Path) -> list[str]:
    """The largest method's savings of the default view (the first tile)."""
    state, year = _default_view(snapshot)
    [(saved,)] = _sql(snapshot, """SELECT sum(savings_amount) AS s FROM main.savings WHERE state_code = ? AND fiscal_year = ?
                                   AND agency_id IS NULL AND category_code IS NULL
                                   GROUP BY method, baseline_kind ORDER BY s DESC LIMIT 1""", (state, year))
    return [fmt.money(saved)]


def _cycle_numbers(snapshot: Path) -> list[str]:
    state, year = _default_view(snapshot)
    [(median, n)] = _sql(snapshot, """SELECT median(requisition_to_payment_days), count(requisition_to_payment_days)
                                      FROM main.fct_procure_to_pay WHERE state_code = ? AND fiscal_year = ?""", (state, year))
    return [fmt.days(median), f"{n:,}"]


def _compliance_numbers(snapshot: Path) -> list[str]:
    state, year = _default_view(snapshot)
    [(n, amount)] = _sql(snapshot, """SELECT count(*), sum(r.amount) FROM main.red_flags AS r JOIN main.dim_date AS d
                                      ON d.state_code = r.state_code AND d.date_day = r.detected_at
                                      WHERE r.state_code = ? AND d.fiscal_year = ?""", (state, year))
    return [f"{n:,}", fmt.money(amount)]


def _cooperative_numbers(snapshot: Path) -> list[str]:
    state, year = _default_view(snapshot)
    [(total,)] = _sql(snapshot, """SELECT sum(total) FROM main.fct_coop_sales WHERE state_code = ? AND fiscal_year = ?
                                   AND coop_program = 'NASPO ValuePoint'""", (state, year))
    return [f"Sales in {state}", fmt.money(total)]


def _contracts_numbers(snapshot: Path) -> list[str]:
    state, _ = _default_view(snapshot)
    [(n,)] = _sql(snapshot, """SELECT count(*) FROM main.dim_contract WHERE state_code = ? AND effective_end_date
                               BETWEEN (SELECT max(payment_date) FROM main.fct_payments WHERE state_code = ?)
                               AND (SELECT max(payment_date) FROM main.fct_payments WHERE state_code = ?) + 180""",
                    (state, state, state))
    return ["Expiring within 180 days", f"{n:,}"]


def _data_quality_numbers(snapshot: Path) -> list[str]:
    [(snapshot_id, manifest)] = _sql(snapshot, "SELECT snapshot_id, manifest FROM main.snapshot_manifest")
    loads = [ld for ld in json.loads(manifest)["loads"] if ld["status"] == "loaded"]
    return [snapshot_id, "✔ Passed", f"{sum(ld['rows_loaded'] for ld in loads):,}"]


KEY_NUMBERS: dict[str, Callable[[Path], list[str]]] = {
    "scorecard": _scorecard_numbers,
    "attribute": _attribute_numbers,
    "savings": _savings_numbers,
    "cycle-times": _cycle_numbers,
    "compliance": _compliance_numbers,
    "cooperative": _cooperative_numbers,
    "contracts": _contracts_numbers,
    "data-quality": _data_quality_numbers,
}


# ---- the server and the browser -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


@contextmanager
def streamlit_server(home: Path, snapshot: Path, log: Path) -> Iterator[str]:
    """`streamlit run` of the dashboard on a free port reading `snapshot`; yields its base URL (no trailing /).

    The server runs in its own process group, killed as a whole at the end. No file watcher: other edits in the
    working tree during the test must not prompt a rerun."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCURE_", "DAGSTER_HOME", "STREAMLIT_"))}
    env.update(
        PROCURE_HOME=str(home),
        PROCURE_SNAPSHOT=str(snapshot),
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        SODA_CORE_TELEMETRY_ENABLED="false",
        DAGSTER_DISABLE_TELEMETRY="1",
        PYTHONUNBUFFERED="1",
    )
    cmd = command("127.0.0.1", port)  # exactly what `procure dashboard` runs (no file watcher: see above)
    with open(log, "w") as out:  # a file, not a pipe: nobody reads the server's output while the tests run
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode} before answering {base}/_stcore/health:\n"
                            f"{_log_tail(log)}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer {base}/_stcore/health within {SERVER_START_TIMEOUT_S} s:\n"
                            f"{_log_tail(log)}")
            time.sleep(0.5)
        yield base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def snapshot(default_home) -> Path:
    """The snapshot file `procure run` published for the default data set (tests/e2e/conftest.py)."""
    return (default_home / "published" / "current.duckdb").resolve()


@pytest.fixture(scope="module")
def dashboard(default_home, snapshot, tmp_path_factory) -> Iterator[str]:
    """Base URL of the dashboard on the default data set's snapshot."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(default_home, snapshot, log) as base:
        yield base


@pytest.fixture(scope="module")
def empty_dashboard(tmp_path_factory) -> Iterator[str]:
    """Base URL of the dashboard on an installation where nothing has been published yet."""
    home = tmp_path_factory.mktemp("empty_home") / "data"
    log = home.parent / "server.log"
    with streamlit_server(home, home / "published" / "current.duckdb", log) as base:
        yield base


def chromium_executable() -> str:
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(exe, os.X_OK):
        pytest.fail("chromium not found: the browser test drives Debian's chromium (never `playwright install`). "
                    "`make test` installs it through `make browser` (apt-get install chromium fonts-dejavu-core "
                    "fonts-liberation); run `make browser`.")
    return exe


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    exe = chromium_executable()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    """A fresh browser context per test: no session, cookies or widget state carried over."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


# ---- helpers --------------------------------------------------------------------------------------------------

def page_text(page: Page) -> str:
    """The visible text of the main area (not the sidebar), as rendered."""
    return page.locator(MAIN).inner_text()


def _run_state(page: Page) -> dict:
    return page.evaluate(
        """([root, attr, widget]) => {
            const app = document.querySelector(root);
            return {state: app ? app.getAttribute(attr) : null, widget: document.querySelectorAll(widget).length};
        }""",
        [APP_ROOT, SCRIPT_STATE, STATUS_WIDGET],
    )


def wait_until_finished(page: Page, timeout_ms: int = TIMEOUT_MS) -> None:
    """Until the script run is over: script state "notRunning" with no status widget, twice 0.5 s apart (a page
    that reruns itself passes through "notRunning" only between runs), then no network request in flight (the
    frontend loads chart components lazily)."""
    deadline = time.monotonic() + timeout_ms / 1000
    settled = 0
    while settled < 2:
        state = _run_state(page)
        settled = settled + 1 if state == {"state": "notRunning", "widget": 0} else 0
        if time.monotonic() > deadline:
            pytest.fail(f"{page.url} still running after {timeout_ms / 1000:.0f} s: {state}\n{page_text(page)[:2000]}")
        page.wait_for_timeout(500)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)


def errors_shown(page: Page) -> list[str]:
    """The text of every exception box, st.error box and dialog on the page (sidebar included)."""
    exceptions = page.locator(EXCEPTION).all_inner_texts()
    alerts = page.locator(f"{ERROR_ALERT}:not({EXCEPTION} *)").all_inner_texts()  # an exception box holds one too
    dialogs = page.locator(DIALOG).all_inner_texts()
    return ([f"exception: {t}" for t in exceptions] + [f"st.error: {t}" for t in alerts]
            + [f"dialog: {t}" for t in dialogs])


def full_page_screenshot(page: Page, name: str) -> Path:
    """The whole page as PNG. Streamlit scrolls inside its main area, not the document, so a full_page screenshot
    alone would stop at the viewport: the viewport is first grown to the main area's height."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.unlink(missing_ok=True)
    height = page.evaluate(
        "(sel) => { const m = document.querySelector(sel); return m ? m.scrollHeight : document.body.scrollHeight; }",
        MAIN,
    )
    height = max(VIEWPORT["height"], min(height, MAX_SCREENSHOT_HEIGHT))
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    page.wait_for_timeout(500)  # layout and charts after the resize
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    assert path.exists() and path.stat().st_size > 10_000, f"{path}: missing or nearly empty screenshot"
    return path


# ---- tests ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_in_the_browser_without_errors(page, dashboard, snapshot, spec: PageSpec):
    url = f"{dashboard}/{spec.href}"
    page.goto(url)
    title = page.locator(f"{MAIN} h1").filter(has_text=re.compile(rf"^\s*{re.escape(spec.title)}\s*$"))
    expect(title, f"{url}: no h1 {spec.title!r}").to_be_visible(timeout=TIMEOUT_MS)
    wait_until_finished(page)
    shot = full_page_screenshot(page, spec.url_path)

    errors = errors_shown(page)
    assert not errors, f"{url} shows errors (screenshot {shot}):\n" + "\n".join(errors)
    text = page_text(page)
    expected = KEY_NUMBERS[spec.url_path](snapshot) if spec.url_path in KEY_NUMBERS else []
    missing = [s for s in expected if s not in text]
    assert not missing, f"{url} does not show {missing} (screenshot {shot}); its text:\n{text[:3000]}"


def test_empty_state_without_a_published_snapshot(page, empty_dashboard):
    page.goto(f"{empty_dashboard}/")
    expect(page.locator(f"{MAIN} [data-testid='stElementContainer']").first).to_be_visible(timeout=TIMEOUT_MS)
    wait_until_finished(page)
    shot = full_page_screenshot(page, "empty-state")

    errors = errors_shown(page)
    assert not errors, f"the empty state shows errors (screenshot {shot}):\n" + "\n".join(errors)
    text = page_text(page)
    assert "make run" in text, f"the empty state does not say to run `make run` (screenshot {shot}):\n{text[:2000]}"
