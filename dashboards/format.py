"""Number formats and status words shared by every page, the CSV export and the briefing.

Executives read money in $K / $M / $B, rates in %, durations in days; a status is always a word and a symbol,
never a colour alone (the palette is the Okabe-Ito one, safe for the common colour-vision deficiencies).
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd

DASH = "—"

# status -> (symbol, words, colour). Symbols differ in shape, not only in colour.
STATUS = {
    "on_target": ("✔", "On target", "#009E73"),
    "near": ("▲", "Near target", "#E69F00"),
    "off": ("✖", "Off target", "#D55E00"),
    "no_target": ("○", "No target set", "#6B7280"),
    "no_data": ("∅", "No data", "#6B7280"),
}

# An attribute's score (0-100, docs/scorecard.md) read as a band; the thresholds are the points of the statuses
# (100 on target, 50 near): a score of 75 or more is mostly on target, under 50 mostly off.
SCORE_BANDS = ((75.0, "on_target", "On track"), (50.0, "near", "Watch"), (0.0, "off", "Off track"))


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def money(value, signed: bool = False) -> str:
    """$K / $M / $B with three significant digits ($1.23M, $45.6K, $789), as executives read money."""
    if _missing(value):
        return DASH
    v = float(value)
    sign = "-" if v < 0 else ("+" if signed and v > 0 else "")
    v = abs(v)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= div * 0.9995:  # 999.6 reads $1.00K, 999.4 stays $999
            scaled = v / div
            digits = 0 if scaled >= 100 else (1 if scaled >= 10 else 2)
            text = f"{scaled:,.{digits}f}"
            if float(text.replace(",", "")) >= 1000 and suffix != "B":  # 999.96K rounds to 1,000K: say $1.00M
                continue
            return f"{sign}${text}{suffix}"
    return f"{sign}${v:,.0f}"


def pct(value, signed: bool = False, digits: int = 1) -> str:
    """A share (0.253 -> '25.3%')."""
    if _missing(value):
        return DASH
    return f"{float(value) * 100:{'+' if signed else ''}.{digits}f}%"


def days(value, digits: int = 1) -> str:
    if _missing(value):
        return DASH
    return f"{float(value):,.{digits}f} days"


def count(value) -> str:
    if _missing(value):
        return DASH
    return f"{int(value):,}"


def kpi_value(value, unit: str | None) -> str:
    """A KPI value in its catalogue unit (kpi_definitions.unit)."""
    if _missing(value):
        return DASH
    if unit == "pct":
        return pct(value)
    if unit == "pct_unbounded":  # not a share: savings can be negative, growth can exceed 100%
        return pct(value, signed=True)
    if unit == "days":
        return days(value)
    if unit in ("usd", "usd_per_fte"):
        return money(value) + (" per FTE" if unit == "usd_per_fte" else "")
    if unit == "count":
        return count(value)
    return f"{float(value):,.2f}"


def kpi_basis(value, unit: str | None, part: str) -> str:
    """Numerator / denominator in words: money for shares of spend, days and items for medians."""
    if _missing(value):
        return DASH
    if unit in ("pct", "pct_unbounded", "usd", "usd_per_fte"):
        return money(value)
    if unit == "days":
        return f"{float(value):,.0f} days" if part == "numerator" else f"{float(value):,.0f} items"
    return f"{float(value):,.2f}"


BASES = {
    "paid": "paid (payments)",
    "invoiced": "invoiced (invoices)",
    "committed": "committed (purchase orders, net of cancellations)",
    "awarded": "awarded (award values)",
}


def basis(code: str | None) -> str:
    """What a KPI's money is measured on, in words ('' when the KPI measures no money)."""
    if _missing(code):
        return ""
    return BASES.get(code, str(code))


def left_out(count) -> str:
    """'12 input rows left out (a value the KPI needs is unknown)'; '' when none or not applicable."""
    if _missing(count) or int(count) == 0:
        return ""
    n = int(count)
    return f"{n:,} input row{'s' if n != 1 else ''} left out (a value the KPI needs is unknown)"


def status(code: str | None) -> str:
    """'✔ On target' — symbol and words, so the status reads without colour."""
    symbol, words, _ = STATUS.get(code if not _missing(code) else "no_data", ("?", str(code), "#6B7280"))
    return f"{symbol} {words}"


def status_colour(code: str | None) -> str:
    return STATUS.get(code if not _missing(code) else "no_data", STATUS["no_data"])[2]


def score_band(score) -> tuple[str, str]:
    """(status code, words) of an attribute score; ('no_data', 'Not measured') when no KPI could be scored."""
    if _missing(score):
        return "no_data", "Not measured"
    for floor, code, words in SCORE_BANDS:
        if float(score) >= floor:
            return code, words
    return "off", "Off track"


def score(value) -> str:
    return DASH if _missing(value) else f"{float(value):.0f}"


def change(value, unit: str = "points") -> str:
    """A signed change with an arrow that also reads without colour: '▲ +8 points', '▼ -3 points', '= 0 points'."""
    if _missing(value):
        return DASH
    v = float(value)
    arrow = "▲" if v > 0.05 else ("▼" if v < -0.05 else "=")
    return f"{arrow} {v:+.0f} {unit}"


# Cells a spreadsheet would evaluate as a formula (OWASP "CSV injection"): = + - @ and the tab / carriage return
# that some spreadsheets strip before looking at the first character.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV a download button serves: UTF-8 with BOM (Excel opens it right), formula injection neutralised in
    every text cell and in the header."""
    safe = frame.copy()
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    # CRLF line ends (RFC 4180): a lone carriage return inside a cell is then quoted, not a row break
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def as_float(value):
    """Decimal from DuckDB -> float for charts only (tables format from the exact value)."""
    if _missing(value):
        return math.nan
    return float(value) if isinstance(value, (Decimal, int, float)) else value
