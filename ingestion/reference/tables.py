"""Reference tables a real installation needs besides its own exports: states (the month their fiscal year starts,
their currency) and public holidays, written as canonical CSV files into the landing area.

Three kinds of "state" (the canonical `states` entity is whatever a row's money and fiscal calendar belong to):

- a US state or DC by its USPS code (`us_state`): fiscal-year start months are public facts (46 states start on
  1 July; New York 1 April; Texas 1 September; Alabama, Michigan and DC 1 October); holidays are US federal plus the
  state's own; currency USD;
- a country by its ISO 3166-1 code, or a country's subdivision by its ISO 3166-2 code (`country`): the name from
  ISO 3166 (pycountry); the fiscal-year start of a country from the CIA World Factbook (country_fiscal_years.csv,
  SOURCE.md says how); the currency from Unicode CLDR's territory data (babel); holidays from the `holidays` package
  where it knows the country (and subdivision);
- anything else (`custom`): every fact given by the user.

A fact no source here knows (a subdivision's fiscal year, a country with two currencies, a fiscal year that does
not start on the 1st of a month) must be given by the user: ReferenceError names the option. Small-business goals
and purchase thresholds differ by statute: they are left for the state to supply (purchase_thresholds.csv,
states.small_business_goal_pct), never invented here.

Writing merges: rows of codes not written now stay as they are (several countries or states in one installation);
a code written again replaces its own row and holidays.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import holidays as holidays_lib

from ingestion.synthetic.states import STATES

FISCAL_YEARS_FILE = Path(__file__).with_name("country_fiscal_years.csv")
STATES_COLUMNS = ["state_code", "state_name", "fiscal_year_start_month", "small_business_goal_pct", "currency"]
HOLIDAYS_COLUMNS = ["state_code", "holiday_date", "holiday_name"]
# Upper case: staging upper-cases every state_code, so a lower-case code here would not join its own holidays.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,19}")


class ReferenceError(ValueError):
    """A reference row that cannot be written as asked; the message names the option to give or fix."""


@dataclass(frozen=True)
class ReferenceRow:
    code: str
    name: str
    fiscal_year_start_month: int
    currency: str
    holidays_country: str | None = None    # the `holidays` package's country, None = no holidays known
    holidays_subdiv: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)  # where each fact came from, for the user


def _month(value: int | None, option: str = "--fiscal-year-start") -> int | None:
    if value is None:
        return None
    if not 1 <= value <= 12:
        raise ReferenceError(f"{option} {value}: a month 1-12 (1 = the fiscal year is the calendar year)")
    return value


def _currency(code: str | None, option: str = "--currency") -> str | None:
    import pycountry

    if code is None:
        return None
    code = code.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ReferenceError(f"{option} {code!r} is not an ISO 4217 currency code (e.g. USD, EUR, MXN, CAD)")
    return code


@lru_cache(maxsize=1)
def country_fiscal_years() -> dict[str, tuple[int | None, str]]:
    """ISO 3166-1 alpha-2 -> (fiscal-year start month, the Factbook's words), from country_fiscal_years.csv; the
    month is None where the Factbook's fiscal year does not start on the 1st of a month (the model keeps months)."""
    with open(FISCAL_YEARS_FILE, encoding="utf-8", newline="") as fh:
        return {r["country_code"]: (int(r["fiscal_year_start_month"]) if r["fiscal_year_start_month"] else None,
                                    r["factbook_fiscal_year"]) for r in csv.DictReader(fh)}


def _holidays_known(country: str, subdiv: str | None) -> tuple[str | None, str | None, str]:
    """(country, subdivision) the `holidays` package can give, and a note saying what it gives."""
    supported = holidays_lib.list_supported_countries()
    if country not in supported:
        return None, None, f"holidays: the holidays package does not know {country}; none written (deliver holidays.csv rows yourself)"
    if subdiv is not None:
        if subdiv in supported[country]:
            return country, subdiv, f"holidays: {country} national and {country}-{subdiv} ones (holidays package)"
        return country, None, (f"holidays: the holidays package has no subdivision {subdiv} of {country}: "
                               f"national {country} holidays only")
    return country, None, f"holidays: {country} national holidays (holidays package)"


def us_state(code: str) -> ReferenceRow:
    code = code.strip().upper()
    if code not in STATES:
        raise ReferenceError(f"--state {code!r} is not a US state: use a two-letter USPS code of the 50 states or DC "
                             "(for a country or another code: --country or --code)")
    name, fy_start = STATES[code]
    return ReferenceRow(code, name, fy_start, "USD", "US", code,
                        (f"fiscal year starts in month {fy_start} (state statute)", "currency USD",
                         f"holidays: US federal and {code} (holidays package)"))


def country(code: str, *, as_code: str | None = None, name: str | None = None,
            fiscal_year_start: int | None = None, currency: str | None = None) -> ReferenceRow:
    """A country (ISO 3166-1 alpha-2 or alpha-3) or a subdivision (ISO 3166-2, e.g. MX-CMX); the options given
    replace what the sources say."""
    import pycountry

    raw = code.strip().upper()
    subdivision = None
    if "-" in raw:
        subdivision = pycountry.subdivisions.get(code=raw)
        if subdivision is None:
            raise ReferenceError(f"--country {raw!r} is not an ISO 3166-2 subdivision code (e.g. MX-CMX, CA-ON); "
                                 "for a code of your own use --code with --name, --fiscal-year-start and --currency")
        nation = pycountry.countries.get(alpha_2=subdivision.country_code)
    else:
        nation = pycountry.countries.get(alpha_2=raw) if len(raw) == 2 else pycountry.countries.get(alpha_3=raw)
        if nation is None:
            raise ReferenceError(f"--country {raw!r} is not an ISO 3166-1 country code (e.g. MX or MEX); for a code of "
                                 "your own use --code with --name, --fiscal-year-start and --currency")
    notes = []
    if name is None:
        name = subdivision.name if subdivision is not None else getattr(nation, "common_name", None) or nation.name
        notes.append(f"name {name!r} (ISO 3166)")
    month = _month(fiscal_year_start)
    if month is None:
        known = country_fiscal_years().get(nation.alpha_2)
        if subdivision is not None:
            raise ReferenceError(f"--country {raw}: the fiscal year of a subdivision is not known here (it need not be "
                                 f"{nation.name}'s): give --fiscal-year-start MONTH (1-12)")
        if known is None:
            raise ReferenceError(f"--country {raw}: {nation.name}'s fiscal-year start month is not known here (the CIA "
                                 "World Factbook gives none): give --fiscal-year-start MONTH (1-12)")
        if known[0] is None:
            raise ReferenceError(f"--country {raw}: the CIA World Factbook gives {nation.name}'s fiscal year as "
                                 f"{known[1]!r}, which does not start on the 1st of a month; fiscal years here start on the "
                                 "1st: give --fiscal-year-start MONTH (1-12), the month you want its fiscal years to start")
        month = known[0]
        notes.append(f"fiscal year starts in month {month} (CIA World Factbook: {known[1]!r})")
    cur = _currency(currency)
    if cur is None:
        from babel.numbers import get_territory_currencies

        found = get_territory_currencies(nation.alpha_2, dt.date.today())
        if len(found) != 1:
            what = f"has {len(found)} legal tenders in CLDR ({', '.join(found)})" if found else "has no currency in CLDR"
            raise ReferenceError(f"--country {raw}: {nation.name} {what}: give --currency CODE (ISO 4217)")
        cur = found[0]
        notes.append(f"currency {cur} (Unicode CLDR territory data)")
    hcountry, hsubdiv, hnote = _holidays_known(nation.alpha_2, subdivision.code.split("-", 1)[1] if subdivision else None)
    notes.append(hnote)
    out_code = _code(as_code, "--code") if as_code else raw
    return ReferenceRow(out_code, name, month, cur, hcountry, hsubdiv, tuple(notes))


def custom(code: str, *, name: str | None, fiscal_year_start: int | None, currency: str | None,
           holidays_country: str | None = None) -> ReferenceRow:
    """A code of the user's own (a cooperative, a city, a region): every fact given; holidays only when
    `holidays_country` names a country (optionally COUNTRY-SUBDIV) the holidays package knows."""
    missing = [opt for opt, v in (("--name", name), ("--fiscal-year-start", fiscal_year_start), ("--currency", currency))
               if v is None or (isinstance(v, str) and not v.strip())]
    if missing:
        raise ReferenceError(f"--code {code}: a code of your own needs {', '.join(missing)} (nothing is assumed for it)")
    notes = ["name, fiscal year and currency as given"]
    hcountry = hsubdiv = None
    if holidays_country:
        country_part, _, subdiv = holidays_country.strip().upper().partition("-")
        hcountry, hsubdiv, hnote = _holidays_known(country_part, subdiv or None)
        if hcountry is None:
            raise ReferenceError(f"--holidays {holidays_country}: the holidays package does not know that country")
        notes.append(hnote)
    else:
        notes.append("holidays: none (give --holidays COUNTRY[-SUBDIV] to take a country's)")
    return ReferenceRow(_code(code, "--code"), name.strip(), _month(fiscal_year_start), _currency(currency),
                        hcountry, hsubdiv, tuple(notes))


def _code(code: str, option: str) -> str:
    code = code.strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        raise ReferenceError(f"{option} {code!r}: a code is 1-20 letters, digits, '-' or '_' (e.g. XYZ, MX-CMX)")
    return code


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_reference(landing: Path, rows: list[ReferenceRow], years: range, source: str = "reference") -> list[Path]:
    """Write (merge into) <landing>/<source>/states.csv and holidays.csv; returns the files.

    Rows already there for other codes are kept as they are, with any column they have (small_business_goal_pct
    filled in by hand, columns of a later version). A code written again replaces its row and its holidays, keeping
    the small-business goal filled in by hand. A code that is already there with another name is refused: two
    places under one code would mix their data (California and Canada are both CA: give --code CAN)."""
    codes = [r.code for r in rows]
    if len(set(codes)) != len(codes):
        raise ReferenceError(f"the code {next(c for c in codes if codes.count(c) > 1)} is asked for twice")
    folder = Path(landing) / source
    states_file, holidays_file = folder / "states.csv", folder / "holidays.csv"
    columns, existing = _read(states_file)
    by_code = {(r.get("state_code") or "").strip().upper(): r for r in existing}
    for r in rows:
        old = by_code.get(r.code)
        if old is not None and (old.get("state_name") or "").strip() and old["state_name"].strip() != r.name:
            raise ReferenceError(f"{states_file}: the code {r.code} is already {old['state_name'].strip()!r}, not "
                                 f"{r.name!r}: two places cannot share a code; write the country under another code (e.g. --country CA "
                                 "--code CAN), or edit the file if its row is wrong")
    columns = STATES_COLUMNS + [c for c in columns if c not in STATES_COLUMNS]
    written = {r.code: r for r in rows}
    out_rows = []
    for old in existing:
        key = (old.get("state_code") or "").strip().upper()
        if key in written:
            r = written.pop(key)
            out_rows.append({**old, "state_code": r.code, "state_name": r.name,
                             "fiscal_year_start_month": str(r.fiscal_year_start_month), "currency": r.currency})
        else:
            out_rows.append(old)
    out_rows += [{"state_code": r.code, "state_name": r.name, "fiscal_year_start_month": str(r.fiscal_year_start_month),
                  "small_business_goal_pct": "", "currency": r.currency} for r in written.values()]
    hcols, hexisting = _read(holidays_file)
    hcols = HOLIDAYS_COLUMNS + [c for c in hcols if c not in HOLIDAYS_COLUMNS]
    replaced = set(codes)
    hrows = [h for h in hexisting if (h.get("state_code") or "").strip().upper() not in replaced]
    for r in rows:
        if r.holidays_country is None:
            continue
        days = holidays_lib.country_holidays(r.holidays_country, subdiv=r.holidays_subdiv, years=list(years))
        hrows += [{"state_code": r.code, "holiday_date": day.isoformat(), "holiday_name": name}
                  for day, name in sorted(days.items())]
    folder.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed: an interrupted write never leaves a half file for the landing sensor to load.
    for path, cols, data in ((states_file, columns, out_rows), (holidays_file, hcols, hrows)):
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", restval="")
            w.writeheader()
            w.writerows(data)
        tmp.replace(path)
    return [states_file, holidays_file]
