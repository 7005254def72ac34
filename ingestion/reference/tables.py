"""Reference tables a real installation needs besides its own exports: states (with the month their fiscal
year starts) and public holidays, written as canonical CSV files into the landing area.

Fiscal-year start months are public facts (46 states start on 1 July; New York 1 April; Texas 1 September;
Alabama, Michigan and DC 1 October); holidays come from the `holidays` package (US federal plus the state's
own). Small-business goals and purchase thresholds differ by statute: they are left for the state to supply
(purchase_thresholds.csv, states.small_business_goal_pct), never invented here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import holidays as holidays_lib

from ingestion.synthetic.states import STATES, validate_states


def write_reference(landing: Path, states: list[str], years: range, source: str = "reference") -> list[Path]:
    """Write <landing>/<source>/states.csv and holidays.csv for `states` and `years`; returns the files."""
    codes = validate_states(states)
    folder = Path(landing) / source
    folder.mkdir(parents=True, exist_ok=True)
    states_file = folder / "states.csv"
    with open(states_file, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["state_code", "state_name", "fiscal_year_start_month", "small_business_goal_pct"])
        for code in codes:
            name, fy_start = STATES[code]
            w.writerow([code, name, fy_start, ""])
    holidays_file = folder / "holidays.csv"
    with open(holidays_file, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["state_code", "holiday_date", "holiday_name"])
        for code in codes:
            for day, name in sorted(holidays_lib.country_holidays("US", subdiv=code, years=list(years)).items()):
                w.writerow([code, day.isoformat(), name])
    return [states_file, holidays_file]
