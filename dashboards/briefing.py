"""The executive briefing: one printable page per state and fiscal year, from the published snapshot only.

A Chief Procurement Officer's one-pager: the twelve attributes' scores, the year's savings per method (never
added across methods) and the year's largest red flags, with the snapshot id and publication time so that every
number can be traced back (KPI ids, savings methods, rule ids; definitions in docs/kpis.md, docs/scorecard.md,
docs/red_flags.md).

- ``render_briefing(snapshot_path, state, fiscal_year)``: a self-contained HTML document (inline CSS for screen
  and print, no external assets, no JavaScript; every value read from the snapshot is HTML-escaped).
- ``write_briefings(snapshot_path, out_dir)``: ``<STATE>-FY<year>.html`` for every state x fiscal year with KPI
  values, plus ``index.html``; each file is written to a temporary name and renamed (readers never see half a
  file). Publication calls it for ``published/briefings/<snapshot_id>/``; ``procure briefing`` too.
- ``briefing_pdf(html_path, pdf_path)``: prints one with headless Chromium (``make browser`` installs it).

The queries are those of the dashboard (dashboards/data.py), the number formats those of dashboards/format.py.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from dashboards import data
from dashboards import format as fmt

TOP_FLAGS = 5
TOP_CATEGORIES = 5
EVIDENCE_CHARS = 150
INDEX_NAME = "index.html"
PDF_TIMEOUT_SECONDS = 120

# What a savings baseline is, and what kind of saving the basis makes it (kpi.savings, dbt_project/models/savings).
BASELINE_WORDS = {
    "list_price": "List price",
    "noncooperative_median": "Non-cooperative median",
    "runner_up_bid": "Runner-up bid",
    "prior_price": "Prior contract price",
    "estimate": "Solicitation estimate",
    "prior_year_price": "Prior-year price",
    "available_contract_price": "Available contract price",
}
BASIS_WORDS = {"hard": "hard savings", "avoidance": "cost avoidance", "list_price": "list-price discount"}
STAGE_WORDS = {"realised": "Realised", "projected": "Projected"}
_RULE_WORDS = {"po": "PO", "pa": "PA", "coop": "co-op"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")


class BriefingError(RuntimeError):
    """A briefing could not be made (no snapshot, unknown state, no PDF renderer); the message says what to do."""


# ------------------------------------------------------------------------------------------------ helpers


def _e(value) -> str:
    """Text for HTML (element content and quoted attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _day(value) -> str:
    """'31 Dec 2025' (unambiguous in every locale)."""
    if _missing(value):
        return fmt.DASH
    d = pd.Timestamp(value).date()
    return f"{d.day} {d:%b %Y}"


def _int(value) -> int:
    return 0 if _missing(value) else int(value)


def rule_words(rule_id: str, rule_name: str | None) -> str:
    """'RF06 PO after invoice' from ('RF06', 'po_after_invoice')."""
    words = [_RULE_WORDS.get(w, w) for w in str(rule_name or "").split("_") if w]
    if words and words[0] == words[0].lower():
        words[0] = words[0][:1].upper() + words[0][1:]
    return f"{rule_id} {' '.join(words)}".strip()


def _shorten(text, limit: int = EVIDENCE_CHARS) -> str:
    text = "" if _missing(text) else " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def briefing_name(state: str, fiscal_year: int) -> str:
    """The file name of a briefing: 'NV-FY2025.html' (anything but letters, digits, - and _ becomes _)."""
    return f"{_SAFE_NAME.sub('_', str(state))}-FY{int(fiscal_year)}.html"


def _symbol(code: str) -> str:
    """A status symbol in its Okabe-Ito colour; the words beside it carry the meaning."""
    symbol, _, colour = fmt.STATUS.get(code, fmt.STATUS["no_data"])
    return f'<span class="sym" style="color:{colour}" aria-hidden="true">{_e(symbol)}</span>'


# ------------------------------------------------------------------------------------------------ loading


@dataclass
class _StateData:
    """Every fiscal year of one state, read once (write_briefings renders several years from it)."""

    scorecard: pd.DataFrame
    kpis: pd.DataFrame
    savings: pd.DataFrame


def _load_state(path: Path, state: str) -> _StateData:
    f = data.Filters(state=state, fiscal_year=None)
    return _StateData(scorecard=data.scorecard(path, f), kpis=data.kpi_rows(path, f), savings=data.savings_by_method(path, f))


def _snapshot(snapshot_path) -> data.Snapshot:
    snap = data.open_snapshot(Path(snapshot_path))
    if snap is None:
        raise BriefingError(f"no published snapshot at {snapshot_path}: run `procure run` (or `make run`) first")
    return snap


# ------------------------------------------------------------------------------------------------ sections


def _header(snap: data.Snapshot, state: str, fiscal_year: int, ctx: dict) -> str:
    name = ctx["state_name"] or state
    period = ""
    if ctx["first_day"] is not None:
        period = f"{_e(_day(ctx['first_day']))} – {_e(_day(ctx['last_day']))}"
    so_far = ""
    if ctx["months_so_far"] is not None:
        so_far = f'<span class="so-far">{ctx["months_so_far"]} of 12 months so far</span>'
    period_line = " · ".join(p for p in (period, so_far) if p)
    return f"""
<header class="masthead">
  <div class="title">
    <p class="kicker">Executive procurement briefing</p>
    <h1><span class="state">{_e(name)}</span> <span class="fy">Fiscal year {int(fiscal_year)}</span></h1>
    <p class="period">{period_line}</p>
  </div>
  <dl class="provenance">
    <dt>Data through</dt><dd data-field="data-through">{_e(_day(ctx['data_through']))}</dd>
    <dt>Snapshot</dt><dd data-field="snapshot-id"><code>{_e(snap.snapshot_id)}</code></dd>
    <dt>Published</dt><dd data-field="published-at">{_e(f"{snap.created_at:%Y-%m-%d %H:%M} UTC")}</dd>
    <dt>Code version</dt><dd><code>{_e(snap.code_version or 'unknown')}</code></dd>
  </dl>
</header>"""


def _colgroup(*widths: float) -> str:
    return "<colgroup>" + "".join(f'<col style="width:{w:g}%">' for w in widths) + "</colgroup>"


def _scorecard(sd: _StateData, fiscal_year: int) -> str:
    card = sd.scorecard
    attributes = card[["attribute_id", "attribute_name"]].drop_duplicates("attribute_id").sort_values("attribute_id")
    year = card[card["fiscal_year"] == fiscal_year].set_index("attribute_id")
    kpis = sd.kpis[(sd.kpis["fiscal_year"] == fiscal_year) & sd.kpis["status"].isin(["off", "near"])]
    bands: dict[str, int] = {}
    rows = []
    for attribute_id, attribute_name in attributes.itertuples(index=False):
        r = year.loc[attribute_id] if attribute_id in year.index else None
        score = None if r is None else r["score"]
        code, words = fmt.score_band(score)
        bands[code] = bands.get(code, 0) + 1
        width = 0.0 if _missing(score) else max(0.0, min(100.0, float(score)))
        if r is None:
            on_target = with_data = fmt.DASH
        else:
            on_target = f"{_int(r['kpis_on_target'])} of {_int(r['kpis_scored'])}"
            with_data = f"{_int(r['kpis_with_data'])} of {_int(r['kpis_defined'])}"
        attention = []
        for status_code in ("off", "near"):
            ids = kpis.loc[(kpis["attribute_id"] == attribute_id) & (kpis["status"] == status_code), "kpi_id"].tolist()
            if ids:
                attention.append(f'<span class="kpis" data-status="{status_code}">{_symbol(status_code)} '
                                 f'<span class="sr">{_e(fmt.STATUS[status_code][1])}:</span> {_e(", ".join(ids))}</span>')
        rows.append(f"""
    <tr data-attribute-id="{int(attribute_id)}">
      <td class="id">{int(attribute_id)}</td>
      <td class="name">{_e(attribute_name)}</td>
      <td class="num score">{_e(fmt.score(score))}</td>
      <td class="bar-cell"><span class="bar"><span style="width:{width:.1f}%;background:{fmt.status_colour(code)}"></span></span></td>
      <td class="band" data-band="{code}">{_symbol(code)} {_e(words)}</td>
      <td class="change">{_e(fmt.change(None if r is None else r['score_change']))}</td>
      <td class="num on-target">{_e(on_target)}</td>
      <td class="num with-data">{_e(with_data)}</td>
      <td class="attention">{' '.join(attention) or '<span class="quiet">none</span>'}</td>
    </tr>""")
    order = [("on_target", "On track"), ("near", "Watch"), ("off", "Off track"), ("no_data", "Not measured")]
    summary = " &nbsp; ".join(f'<span class="band-count">{_symbol(c)} <strong>{bands[c]}</strong> {_e(w)}</span>'
                              for c, w in order if bands.get(c))
    year_kpis = sd.kpis[sd.kpis["fiscal_year"] == fiscal_year]
    bases = sorted({b for b in year_kpis["basis"].dropna() if b in ("paid", "invoiced", "committed")})
    basis_note = (f'<p class="note basis" data-field="basis">Spend measured on: {_e(", ".join(fmt.basis(b) for b in bases))}'
                  "; not comparable with figures on another basis.</p>" if bases and bases != ["paid"] else "")
    return f"""
<section class="scorecard">
  <h2>Scorecard <span class="summary" data-field="bands">{summary}</span></h2>
  {basis_note}
  <table>
    {_colgroup(3, 24, 5, 7, 12, 11, 8, 8, 22)}
    <thead><tr><th class="id">#</th><th>Attribute</th><th colspan="2">Score</th><th>Standing</th>
      <th>vs FY{int(fiscal_year) - 1}</th><th class="num">KPIs on target</th><th class="num">KPIs with data</th>
      <th>KPIs off ✖ / near ▲ target</th></tr></thead>
    <tbody>{''.join(rows)}
    </tbody>
  </table>
</section>"""


def _savings(sd: _StateData, categories: pd.DataFrame, fiscal_year: int) -> str:
    s = sd.savings[sd.savings["fiscal_year"] == fiscal_year].copy()
    if s.empty:
        methods = '<p class="empty">No savings measured for this fiscal year.</p>'
    else:
        s["stage_order"] = (s["savings_stage"] != "realised").astype(int)
        s = s.sort_values(["stage_order", "savings_amount", "method", "baseline_kind"], ascending=[True, False, True, True])
        rows = []
        for r in s.itertuples(index=False):
            rows.append(f"""
      <tr data-method="{_e(r.method)}" data-baseline-kind="{_e(r.baseline_kind)}">
        <td class="name">{_e(r.method_label)}</td>
        <td>{_e(BASELINE_WORDS.get(r.baseline_kind, r.baseline_kind))}</td>
        <td class="stage">{_e(STAGE_WORDS.get(r.savings_stage, r.savings_stage))} · {_e(BASIS_WORDS.get(r.basis, r.basis))}</td>
        <td class="num savings">{_e(fmt.money(r.savings_amount))}</td>
        <td class="num baseline">{_e(fmt.money(r.baseline_amount))}</td>
        <td class="num rate">{_e(fmt.pct(r.savings_rate, signed=True))}</td>
      </tr>""")
        methods = f"""
  <table class="methods">
    {_colgroup(37, 20, 20, 8, 8, 7)}
    <thead><tr><th>Method</th><th>Baseline</th><th>Stage · basis</th><th class="num">Savings</th>
      <th class="num">Baseline</th><th class="num">Rate</th></tr></thead>
    <tbody>{''.join(rows)}
    </tbody>
  </table>"""
        flagged = s[s["flagged_lines_count"] > 0]
        if not flagged.empty:
            methods += f"""
  <p class="note flagged">Left out of these figures: {_e(fmt.money(flagged["flagged_savings_amount"].sum()))} of
  savings on {_e(fmt.count(flagged["flagged_lines_count"].sum()))} award(s) whose solicitation is flagged as a bid
  price anomaly (red flag RF10): the bid they are measured against is itself suspect.</p>"""
    if categories.empty:
        top = '<p class="empty">No savings by category for this fiscal year.</p>'
    else:
        rows = []
        for r in categories.itertuples(index=False):
            rows.append(f"""
      <tr data-category="{_e(r.category_code)}" data-method-label="{_e(r.method_label)}">
        <td class="name">{_e(r.category_title)} <code class="quiet">{_e(r.category_code)}</code></td>
        <td>{_e(r.method_label)}</td>
        <td class="num savings">{_e(fmt.money(r.savings_amount))}</td>
        <td class="num baseline">{_e(fmt.money(r.baseline_amount))}</td>
        <td class="num rate">{_e(fmt.pct(r.savings_rate, signed=True))}</td>
      </tr>""")
        top = f"""
  <table class="categories">
    {_colgroup(37, 40, 8, 8, 7)}
    <thead><tr><th>Category (UNSPSC family)</th><th>Method</th><th class="num">Savings</th>
      <th class="num">Baseline</th><th class="num">Rate</th></tr></thead>
    <tbody>{''.join(rows)}
    </tbody>
  </table>"""
    return f"""
<section class="savings">
  <h2>Top savings <span class="sub">per method and baseline, never added up: the baselines overlap;
  projected (at award) is not realised (on purchases)</span></h2>
  {methods}
  <h3>Top {TOP_CATEGORIES} categories <span class="sub">largest savings of one category under one method</span></h3>
  {top}
</section>"""


def _risks(flags: pd.DataFrame, per_rule: pd.DataFrame, fiscal_year: int) -> str:
    """flags: the largest findings (data.red_flags with a limit); per_rule: data.red_flag_summary."""
    if per_rule.empty:
        return ('<section class="risks"><h2>Top risks</h2>'
                '<p class="empty">No red flags detected in this fiscal year.</p></section>')
    rows = []
    for r in flags.head(TOP_FLAGS).itertuples(index=False):
        where = r.agency_name if not _missing(r.agency_name) else "state level"
        rows.append(f"""
      <tr data-rule-id="{_e(r.rule_id)}" data-entity-id="{_e(r.entity_id)}">
        <td class="num amount">{_e(fmt.money(r.amount))}</td>
        <td class="rule">{_e(rule_words(r.rule_id, r.rule_name))}</td>
        <td class="entity">{_e(str(r.entity_type).replace('_', ' '))} <code>{_e(r.entity_id)}</code><br>
          <span class="quiet">{_e(where)} · {_e(_day(r.detected_at))}</span></td>
        <td class="evidence">{_e(_shorten(r.evidence))}</td>
      </tr>""")
    per_rule = per_rule.sort_values(["findings", "amount", "rule_id"], ascending=[False, False, True])
    items = "".join(f"""
      <li data-rule-id="{_e(r.rule_id)}"><span class="n">{int(r.findings):,}</span>
        <span class="rule">{_e(rule_words(r.rule_id, r.rule_name))}</span>
        <span class="amount">{_e(fmt.money(r.amount))}</span></li>""" for r in per_rule.itertuples(index=False))
    n, k = int(per_rule["findings"].sum()), len(per_rule)
    return f"""
<section class="risks">
  <h2>Top risks <span class="sub" data-field="flag-count">{n:,} red-flag finding{'s' if n != 1 else ''} under {k}
  rule{'s' if k != 1 else ''} detected in FY{int(fiscal_year)}: triage signals, not verdicts</span></h2>
  <table class="flags">
    {_colgroup(9, 18, 27, 46)}
    <thead><tr><th class="num">Amount</th><th>Rule</th><th>What, where, when</th><th>Evidence</th></tr></thead>
    <tbody>{''.join(rows)}
    </tbody>
  </table>
  <h3>Findings by rule <span class="sub">count · rule · amount flagged under the rule</span></h3>
  <ul class="rules">{items}
  </ul>
</section>"""


def _footer(snap: data.Snapshot, ctx: dict) -> str:
    currency = ctx["currency"] or "the state's currency"
    return f"""
<footer>
  <p><strong>Score</strong> 0–100 per attribute = 100 × (KPIs on target + ½ near) ÷ KPIs scored; ✔ On track ≥ 75,
  ▲ Watch 50–74, ✖ Off track &lt; 50, ∅ Not measured when no KPI has a value and a target.
  <strong>Definitions</strong> KPI ids: docs/kpis.md · score: docs/scorecard.md · rule ids: docs/red_flags.md ·
  savings methods (by label): kpi.savings, dbt_project/models/savings/_savings__models.yml.
  <strong>Units</strong> money in <span data-field="currency">{_e(currency)}</span>, the state's currency as published
  ($K / $M / $B, three significant digits); rates in %; scores 0–100. State-level rows of attribute_scorecard,
  kpi_values, savings and red_flags in snapshot <code>{_e(snap.snapshot_id)}</code>.</p>
</footer>"""


# ------------------------------------------------------------------------------------------------ page

_CSS = """
@page { margin: 11mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #E9ECEF; color: #1F2328;
  font-family: "Helvetica Neue", Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
  font-size: 7.7pt; line-height: 1.22; }
.sheet { width: 210mm; margin: 6mm auto; padding: 11mm 12mm; background: #FFFFFF;
  box-shadow: 0 1px 5px rgba(0, 0, 0, 0.2); }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 0.86em; }
.quiet, code.quiet { color: #6B7280; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.masthead { display: flex; justify-content: space-between; align-items: flex-end; gap: 6mm;
  border-bottom: 2.2pt solid #0072B2; padding-bottom: 1.8mm; margin-bottom: 0.5mm; }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: 0.14em; font-size: 7pt; color: #0072B2;
  font-weight: 700; }
h1 { margin: 0.6mm 0 0.4mm; font-size: 18pt; line-height: 1.05; font-weight: 700; letter-spacing: -0.01em; }
h1 .fy { font-weight: 400; color: #374151; }
.period { margin: 0; font-size: 8.6pt; color: #374151; }
.so-far { font-weight: 700; color: #1F2328; }
.provenance { display: grid; grid-template-columns: auto auto; column-gap: 2.5mm; row-gap: 0.2mm; margin: 0;
  font-size: 7.4pt; white-space: nowrap; }
.provenance dt { color: #6B7280; text-align: right; }
.provenance dd { margin: 0; font-weight: 600; }
h2 { font-size: 10.2pt; margin: 2.4mm 0 0.6mm; color: #0B3C5D; }
h2 .sub, h3 .sub { font-size: 7pt; font-weight: 400; color: #6B7280; margin-left: 1.2mm; }
h3 { font-size: 8pt; margin: 1.4mm 0 0.4mm; color: #374151; }
section { break-inside: avoid; }
.summary { margin-left: 2.5mm; font-size: 8pt; font-weight: 400; color: #1F2328; }
.band-count { white-space: nowrap; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 6.6pt; font-weight: 700; color: #4B5563; text-transform: uppercase;
  letter-spacing: 0.03em; border-bottom: 0.8pt solid #9CA3AF; padding: 0.4mm 1.1mm; vertical-align: bottom; }
td { padding: 0.3mm 1.1mm; border-bottom: 0.4pt solid #E5E7EB; vertical-align: top; overflow: hidden;
  text-overflow: ellipsis; }
tbody tr:nth-child(even) td { background: #F6F8FA; }
.num { text-align: right; white-space: nowrap; }
th.num { white-space: normal; }
td.id, th.id { text-align: right; color: #6B7280; padding-right: 0.4mm; padding-left: 0; }
td.name { white-space: nowrap; }
td.score { font-weight: 700; font-size: 8.8pt; line-height: 1.1; padding-right: 1mm; }
.bar-cell { padding-left: 0.4mm; vertical-align: middle; }
.bar { display: block; height: 2.3mm; background: #E5E7EB; border-radius: 0.5mm; overflow: hidden; }
.bar > span { display: block; height: 100%; }
td.band, td.change, td.stage { white-space: nowrap; }
.sym { font-weight: 700; }
td.with-data { color: #6B7280; }
td.attention { font-size: 7.3pt; }
.kpis { margin-right: 1.4mm; white-space: nowrap; }
td.savings, td.amount { font-weight: 700; }
td.baseline { color: #4B5563; }
td.entity { font-size: 7pt; line-height: 1.15; white-space: nowrap; }
td.evidence { font-size: 7pt; line-height: 1.15; color: #374151; }
ul.rules { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(3, 1fr);
  column-gap: 4mm; font-size: 7.2pt; line-height: 1.15; }
ul.rules li { display: flex; gap: 1.4mm; padding: 0.15mm 0; border-bottom: 0.4pt solid #E5E7EB; white-space: nowrap; }
ul.rules .n { min-width: 6mm; text-align: right; font-weight: 700; font-variant-numeric: tabular-nums; }
ul.rules .rule { flex: 1; overflow: hidden; text-overflow: ellipsis; }
ul.rules .amount { color: #4B5563; font-variant-numeric: tabular-nums; }
.empty { color: #6B7280; font-style: italic; margin: 1mm 0; }
footer { margin-top: 2mm; padding-top: 1.2mm; border-top: 0.6pt solid #9CA3AF; font-size: 6.7pt;
  color: #4B5563; }
footer p { margin: 0 0 0.5mm; }
table.index td { padding: 1.2mm; font-size: 9pt; }
table.index a { color: #0072B2; }
@media print {
  body { background: none; }
  .sheet { width: auto; margin: 0; padding: 0; box-shadow: none; }
}
"""


def _document(title: str, body: str, snapshot_id: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="procure briefing">
<meta name="snapshot-id" content="{_e(snapshot_id)}">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main class="sheet">{body}
</main>
</body>
</html>
"""


def _render(path: Path, snap: data.Snapshot, sd: _StateData, state: str, fiscal_year: int) -> str:
    ctx = data.briefing_context(path, state, fiscal_year)
    if ctx["state_name"] is None:
        raise BriefingError(f"state {state!r} is not in snapshot {snap.snapshot_id} (dim_state)")
    f = data.Filters(state=state, fiscal_year=fiscal_year)
    categories = data.top_savings_categories(path, f, TOP_CATEGORIES)
    flags = data.red_flags(path, f, limit=TOP_FLAGS)  # the largest only: a state's year can hold 100,000s
    per_rule = data.red_flag_summary(path, f)
    body = (_header(snap, state, fiscal_year, ctx) + _scorecard(sd, fiscal_year)
            + _savings(sd, categories, fiscal_year) + _risks(flags, per_rule, fiscal_year) + _footer(snap, ctx))
    title = f"{ctx['state_name'] or state} — fiscal year {int(fiscal_year)} — executive procurement briefing"
    return _document(title, body, snap.snapshot_id)


def render_briefing(snapshot_path, state: str, fiscal_year: int) -> str:
    """The briefing of one state and fiscal year as a self-contained HTML document."""
    snap = _snapshot(snapshot_path)
    return _render(snap.path, snap, _load_state(snap.path, state), state, int(fiscal_year))


# ------------------------------------------------------------------------------------------------ files


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def briefing_targets(snapshot_path) -> list[tuple[str, str, int]]:
    """(state_code, state_name, fiscal_year) of every state x fiscal year with KPI values, newest year first."""
    options = data.filter_options(Path(snapshot_path))
    names = dict(zip(options["states"]["state_code"], options["states"]["state_name"]))
    years = options["years"]
    return [(s, names.get(s) or s, int(y)) for s, y in zip(years["state_code"], years["fiscal_year"]) if not _missing(y)]


def _index(snap: data.Snapshot, targets: list[tuple[str, str, int]], out_dir: Path) -> str:
    by_state: dict[tuple[str, str], list[int]] = {}
    for state, name, year in targets:
        by_state.setdefault((state, name), []).append(year)
    rows = []
    for (state, name), years in by_state.items():
        links = []
        for year in sorted(years, reverse=True):
            file = briefing_name(state, year)
            if (out_dir / file).is_file():
                links.append(f'<a href="{_e(file)}">FY{year}</a>')
            else:
                links.append(f'<span class="quiet" title="not generated">FY{year}</span>')
        rows.append(f"<tr><td class=\"name\">{_e(name)} <code class=\"quiet\">{_e(state)}</code></td>"
                    f"<td class=\"years\">{' · '.join(links)}</td></tr>")
    body = f"""
<header class="masthead">
  <div class="title">
    <p class="kicker">Executive procurement briefings</p>
    <h1>One page per state and fiscal year</h1>
  </div>
  <dl class="provenance">
    <dt>Snapshot</dt><dd><code>{_e(snap.snapshot_id)}</code></dd>
    <dt>Published</dt><dd>{_e(f"{snap.created_at:%Y-%m-%d %H:%M} UTC")}</dd>
  </dl>
</header>
<table class="index">
  {_colgroup(34, 66)}
  <thead><tr><th>State</th><th>Fiscal years</th></tr></thead>
  <tbody>{''.join(rows)}</tbody>
</table>
<footer><p>Each briefing prints on one A4 or Letter page. Definitions: docs/kpis.md, docs/scorecard.md,
docs/red_flags.md.</p></footer>"""
    return _document(f"Executive procurement briefings — snapshot {snap.snapshot_id}", body, snap.snapshot_id)


def write_briefings(snapshot_path, out_dir, states: Iterable[str] | None = None,
                    years: Iterable[int] | None = None) -> list[Path]:
    """Write <STATE>-FY<year>.html for every state x fiscal year with KPI values (or those of `states` / `years`)
    and index.html into out_dir, each atomically. Returns the briefings' paths, then the index's."""
    snap = _snapshot(snapshot_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    all_targets = briefing_targets(snap.path)
    wanted_states = {str(s) for s in states} if states is not None else None
    wanted_years = {int(y) for y in years} if years is not None else None
    targets = [t for t in all_targets
               if (wanted_states is None or t[0] in wanted_states) and (wanted_years is None or t[2] in wanted_years)]
    written: list[Path] = []
    loaded: dict[str, _StateData] = {}
    for state, _, year in targets:
        if state not in loaded:
            loaded[state] = _load_state(snap.path, state)
        path = out_dir / briefing_name(state, year)
        _write_atomic(path, _render(snap.path, snap, loaded[state], state, year))
        written.append(path)
    index = out_dir / INDEX_NAME
    _write_atomic(index, _index(snap, all_targets, out_dir))
    from warehouse.durable import fsync_dir

    fsync_dir(out_dir)
    return written + [index]


# ------------------------------------------------------------------------------------------------ PDF


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def briefing_pdf(html_path, pdf_path) -> Path:
    """Print a briefing to PDF with headless Chromium (written to a temporary name, then renamed)."""
    exe = find_chromium()
    if exe is None:
        raise BriefingError("cannot print PDF: no `chromium` on the PATH; install it with `make browser` "
                            "(the HTML briefing prints from any browser too)")
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    if not html_path.is_file():
        raise BriefingError(f"no briefing at {html_path}")
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf_path.with_name(f".{pdf_path.name}.{secrets.token_hex(4)}.tmp")
    with tempfile.TemporaryDirectory(prefix="procure-chromium-") as profile:  # own profile: runs in parallel
        try:
            result = subprocess.run(
                [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                 "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                 f"--print-to-pdf={tmp}", html_path.as_uri()],
                capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False,
            )
            ok = result.returncode == 0 and tmp.is_file() and tmp.read_bytes()[:5] == b"%PDF-"
            if not ok:
                tail = (result.stderr or result.stdout or "").strip().splitlines()[-3:]
                raise BriefingError(f"chromium could not print {html_path.name} (exit {result.returncode}): "
                                    + " | ".join(tail))
            os.replace(tmp, pdf_path)
        except subprocess.TimeoutExpired as exc:
            raise BriefingError(f"chromium did not print {html_path.name} within {PDF_TIMEOUT_SECONDS} s") from exc
        finally:
            tmp.unlink(missing_ok=True)
    return pdf_path


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF as Chromium writes it (uncompressed page objects): '/Type /Page' not followed by 's'."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


__all__ = ["BriefingError", "briefing_name", "briefing_pdf", "briefing_targets", "find_chromium",
           "pdf_page_count", "render_briefing", "rule_words", "write_briefings"]
