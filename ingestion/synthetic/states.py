"""Built-in table of the 50 states and DC: name, fiscal-year start month, small-business goal, thresholds.

Fiscal years: 46 states start on 1 July; New York on 1 April; Texas on 1 September; Alabama, Michigan and
the District of Columbia on 1 October. The fiscal year is named by the calendar year in which it ends.
Small-business goals and purchase thresholds are plausible illustrative values (the shapes of real
statutes, not a legal reference).
"""

from __future__ import annotations

from dataclasses import dataclass

# code: (name, fiscal-year start month)
STATES: dict[str, tuple[str, int]] = {
    "AL": ("Alabama", 10), "AK": ("Alaska", 7), "AZ": ("Arizona", 7), "AR": ("Arkansas", 7),
    "CA": ("California", 7), "CO": ("Colorado", 7), "CT": ("Connecticut", 7), "DE": ("Delaware", 7),
    "DC": ("District of Columbia", 10), "FL": ("Florida", 7), "GA": ("Georgia", 7), "HI": ("Hawaii", 7),
    "ID": ("Idaho", 7), "IL": ("Illinois", 7), "IN": ("Indiana", 7), "IA": ("Iowa", 7),
    "KS": ("Kansas", 7), "KY": ("Kentucky", 7), "LA": ("Louisiana", 7), "ME": ("Maine", 7),
    "MD": ("Maryland", 7), "MA": ("Massachusetts", 7), "MI": ("Michigan", 10), "MN": ("Minnesota", 7),
    "MS": ("Mississippi", 7), "MO": ("Missouri", 7), "MT": ("Montana", 7), "NE": ("Nebraska", 7),
    "NV": ("Nevada", 7), "NH": ("New Hampshire", 7), "NJ": ("New Jersey", 7), "NM": ("New Mexico", 7),
    "NY": ("New York", 4), "NC": ("North Carolina", 7), "ND": ("North Dakota", 7), "OH": ("Ohio", 7),
    "OK": ("Oklahoma", 7), "OR": ("Oregon", 7), "PA": ("Pennsylvania", 7), "RI": ("Rhode Island", 7),
    "SC": ("South Carolina", 7), "SD": ("South Dakota", 7), "TN": ("Tennessee", 7), "TX": ("Texas", 9),
    "UT": ("Utah", 7), "VT": ("Vermont", 7), "VA": ("Virginia", 7), "WA": ("Washington", 7),
    "WV": ("West Virginia", 7), "WI": ("Wisconsin", 7), "WY": ("Wyoming", 7),
}

# Illustrative overrides; other states get values derived deterministically from the code.
_SB_GOAL = {"NV": "20.0", "TX": "26.0", "NY": "30.0", "MI": "15.0", "CA": "25.0", "DC": "35.0"}
# threshold_type -> USD; (small_purchase, formal_solicitation, pcard_single, sole_source_max)
_THRESHOLDS = {
    "NV": (50_000, 100_000, 5_000, 50_000),
    "TX": (10_000, 50_000, 5_000, 25_000),
    "NY": (50_000, 85_000, 10_000, 50_000),
    "MI": (25_000, 100_000, 5_000, 50_000),
}
# states whose small-purchase / formal thresholds were raised during the window (from, factor)
THRESHOLD_CHANGES = {"NV": "2024-07-01", "MI": "2024-10-01", "NY": "2025-04-01"}


@dataclass(frozen=True)
class StateInfo:
    code: str
    name: str
    fy_start_month: int
    small_business_goal_pct: str
    thresholds: tuple[int, int, int, int]
    threshold_change: str | None


def _code_hash(code: str) -> int:
    return (ord(code[0]) * 31 + ord(code[1])) % 997


def state_info(code: str) -> StateInfo:
    code = code.strip().upper() if isinstance(code, str) else code
    if code not in STATES:
        raise ValueError(f"unknown state code {code!r}; use a two-letter USPS code of the 50 states or DC")
    name, fy = STATES[code]
    h = _code_hash(code)
    goal = _SB_GOAL.get(code, f"{10 + h % 16}.0")
    thr = _THRESHOLDS.get(code)
    if thr is None:
        small = (10_000, 25_000, 50_000)[h % 3]
        formal = small * (2 if h % 2 else 4)
        thr = (small, formal, (3_000, 5_000, 10_000)[h % 3], (25_000, 50_000)[h % 2])
    return StateInfo(code, name, fy, goal, thr, THRESHOLD_CHANGES.get(code))


def validate_states(states) -> list[str]:
    if isinstance(states, str):
        states = [states]
    out: list[str] = []
    for s in states:
        info = state_info(s)
        if info.code not in out:
            out.append(info.code)
    if not out:
        raise ValueError("states must name at least one state")
    return out
