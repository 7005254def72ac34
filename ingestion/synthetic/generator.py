"""Synthetic multi-state procurement data set, deterministic by seed, with its ground truth.

`generate()` writes one canonical CSV per entity of ingestion/common/canonical_schema.yml into `landing_dir`
and the ground truth into `truth_dir`: KPI values (kpis.csv), red-flag anomalies (anomalies.csv), expected
quarantine rows, row counts, supplier entities and a manifest. Volume tables are built with numpy (money as
integer cents, dates as day numbers) and formatted with polars; small master data is plain Python.

Version 2 embeds every red-flag pattern of docs/red_flags.md (RF01..RF20) a few times in every state
(`_Builder.k_inj` instances per state and rule, at least one) and keeps the baseline data clear of the rules
where that is natural (amounts with cents, payments on business days, on-contract lines at the contract
price, ordinary amendments below 10 %, tight bid gaps, cooperative sales reports that agree with the
payments). The truth is not what was injected but what the data satisfies: ingestion/synthetic/truth.py and
ingestion/synthetic/redflags.py evaluate the written tables (ingestion/synthetic/dataset.py), so chance
occurrences are in the truth too.
"""

from __future__ import annotations

import csv
import gc
import json
import math
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Sequence

import holidays as holidays_lib
import numpy as np
import polars as pl
from faker import Faker

from ingestion.common.schema import load_schema
from ingestion.synthetic import dataset, fmt
from ingestion.synthetic.catalog import FAMILIES, ITEM_VARIANTS, select_commodities
from ingestion.synthetic.fmt import NULL_DATE
from ingestion.synthetic.redflags import ANOMALY_COLUMNS, RULES, compute_anomalies, normalised_name
from ingestion.synthetic.states import state_info, validate_states
from ingestion.synthetic.truth import KPI_COLUMNS, KPI_IDS, compute_kpis, fiscal_year, kpi_diagnostics

GENERATOR_VERSION = "2.0.0"
DEFAULT_STATES: tuple[str, ...] = ("NV", "TX", "NY", "MI")
DEFAULT_SCALE = 0.02
WINDOW_START = date(2023, 1, 1)
WINDOW_END = date(2025, 12, 31)
PAYMENTS_AT_SCALE_1 = 1_000_000

_EPOCH = date(1970, 1, 1)
VEHICLES = ("agency", "statewide", "cooperative_master", "participating_addendum")
AGENCY, STATEWIDE, MASTER, PA = 0, 1, 2, 3
COMPETITIVE = ("open", "selective")
# scenarios of a purchase: 0 on contract in term, 1 on contract off term, 2 off contract, 3 maverick (off contract
# in a covered category), 4 p-card, 5 PO-exempt (utilities, rent), 6 not addressable (no invoice)
# per-purchase overrides used by the injected patterns (defaults = none)
OVERRIDES = {"o_po_date": NULL_DATE, "o_total": 0, "o_nopo": False, "o_inv": 0, "o_round": False, "dup_src": -1,
             "tag": 0, "bunch": -1}
COOP_PREFIX = {"NASPO ValuePoint": "NVP", "Sourcewell": "SWL", "OMNIA Partners": "OMN", "MMCAP": "MMC"}
COOP_FEE_RATE = {"NASPO ValuePoint": 25}  # in 1/10,000 (0.0025); others: no fixed public rate

ProgressFn = Callable[[str, int, int], None]


def D(y: int, m: int, d: int) -> int:
    return (date(y, m, d) - _EPOCH).days


def to_date(days: int) -> date:
    return _EPOCH + timedelta(days=int(days))


W0, W1 = D(2023, 1, 1), D(2025, 12, 31)


@dataclass
class GenerationResult:
    files: dict[str, Path]
    rows: dict[str, int]            # data rows written per file (valid + injected invalid)
    truth_dir: Path
    valid_rows: dict[str, int] = field(default_factory=dict)
    invalid_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# ----------------------------------------------------------------------------------------------- names
STATE_AGENCY_NAMES = (
    "Department of Transportation", "Department of Health and Human Services", "Department of Corrections",
    "Department of Public Safety", "Department of Administration", "Department of Education",
    "Office of Information Technology", "Department of Natural Resources", "Department of Motor Vehicles",
    "Department of Revenue", "Department of Labor", "Department of Agriculture",
    "Department of Environmental Quality", "Department of Veterans Services", "Division of State Parks",
    "State Police", "Department of Insurance", "Department of Commerce", "Office of the Attorney General",
    "Office of the Secretary of State", "Department of Tourism", "Department of Military Affairs",
    "Public Utilities Commission", "Department of Juvenile Justice", "Employment Security Division",
    "Department of Housing", "Department of Emergency Management", "State Library and Archives",
)
JOB_TITLES = ("Procurement Officer", "Senior Buyer", "Buyer", "Contract Manager", "Purchasing Agent",
              "Procurement Analyst", "Contract Specialist", "Chief Procurement Officer", "Category Manager")
EXCLUSION_REASONS = ("Fraud", "Failure to perform contract", "False statements", "Conviction of a covered offense",
                     "Suspension pending investigation", "Bid rigging", "Tax delinquency")
AMEND_REASONS = {"extension": "Term extension", "increase": "Additional quantities / scope",
                 "decrease": "Scope reduction", "admin": "Administrative change", "pa_ext": "Extension to match master agreement"}


def _renumber(number: str, j: int) -> str:
    """An invoice number written another way, with the same normalised form (RF13)."""
    if number[:1].isalpha():                                   # INV-1234567
        head, _, tail = number.partition("-")
        return (f"{head.lower()} {tail}", f"{head}{tail}", f"{head.title()}-{tail} ")[j % 3]
    if "-" in number:                                          # 2024-01234
        a, _, b = number.partition("-")
        return (f"{a}/{b}", f"{a} {b}", f"{a}{b}")[j % 3]
    return (f"00{number}", f"#{number}", f"{number}-")[j % 3]  # 1234567


def _variant(name: str, style: int) -> str:
    """Messy name variants as checkbooks and vendor files carry them."""
    n = name
    if style == 0:
        v = n.upper().replace(",", "").replace(".", "")
    elif style == 1:
        v = n + " "
    elif style == 2:
        v = " " + n.lower() + "."
    elif style == 3:
        v = (n.replace(" Inc", " Incorporated").replace(" LLC", " L.L.C.").replace(" Ltd", " Limited")
             .replace(" and ", " & ").replace(" Group", " Grp").replace(" PLC", " P.L.C."))
    else:
        v = n.replace(",", "").upper() + " "
    if v == n:
        v = n.upper() + " "
    return v


# ----------------------------------------------------------------------------------------------- lazy tables
# The large tables are kept as numeric arrays and formatted to text a block of rows at a time while the files
# are written (memory bounded by the numeric state, not by the text).
BLOCK_ROWS = 250_000


class _G:
    """arr[idx], gathered only for the rows asked for."""
    __slots__ = ("arr", "idx")

    def __init__(self, arr, idx) -> None:
        self.arr, self.idx = arr, idx

    def __getitem__(self, sel):
        return self.arr[self.idx[sel]]

    def __len__(self) -> int:
        return len(self.idx)


class _LazyIds:
    """Stands for the Series of ids f"{prefix}{i + 1:0{width}d}" (i = 0, 1, ...) in fmt.ref."""

    def __init__(self, prefix: str, width: int) -> None:
        self.prefix, self.width = prefix, width

    def __len__(self) -> int:
        return 1 << 62

    def gather(self, idx) -> pl.Series:
        return fmt.prefixed(self.prefix, np.asarray(idx, dtype=np.int64) + 1, self.width)


def _rows(sel, n: int) -> np.ndarray:
    """Row numbers of a block selector (a slice or an index array)."""
    return np.arange(*sel.indices(n), dtype=np.int64) if isinstance(sel, slice) else np.asarray(sel, dtype=np.int64)


def _col(fn, *args, **kw):
    """A column formatted on demand: fn(*args, **kw) with every array argument cut to the rows asked for."""
    def cut(x, sel):
        return x[sel] if isinstance(x, (np.ndarray, _G)) else x

    def make(sel) -> pl.Series:
        return fn(*(cut(x, sel) for x in args), **{k: cut(v, sel) for k, v in kw.items()})
    return make


def _null_at(s: pl.Series, mask: np.ndarray) -> pl.Series:
    return s.scatter(np.flatnonzero(mask), None) if mask.any() else s


def _seq(prefix: str, width: int, n: int):
    return lambda sel: fmt.prefixed(prefix, _rows(sel, n) + 1, width)


def _text(values) -> pl.Series:
    return pl.Series("v", np.asarray(values).tolist(), dtype=pl.Utf8)


class _Lazy:
    """A table of `height` rows whose columns are made on demand (col(sel) -> Series), with the day number of
    each row's main business date (`month`, for the monthly file layout)."""

    def __init__(self, height: int, cols: dict, month=None) -> None:
        self.height, self.cols, self.month = height, cols, month

    @classmethod
    def of(cls, df: pl.DataFrame, month=None) -> "_Lazy":
        return cls(df.height, {c: (lambda sel, c=c: _take(df[c], sel)) for c in df.columns}, month)

    def rows(self, sel) -> pl.DataFrame:
        return pl.DataFrame([f(sel).cast(pl.Utf8).alias(k) for k, f in self.cols.items()])

    def materialise(self) -> pl.DataFrame:
        return self.rows(slice(0, self.height))


def _take(s: pl.Series, sel) -> pl.Series:
    if isinstance(sel, slice):
        a, b, _ = sel.indices(len(s))
        return s.slice(a, max(0, b - a))
    return s.gather(np.asarray(sel, dtype=np.int64))



# ----------------------------------------------------------------------------------------------- builder
class _Builder:
    def __init__(self, scale: float, seed: int, states: list[str]):
        self.scale = scale
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.states = [state_info(s) for s in states]
        self.tables: dict[str, pl.DataFrame] = {}
        self.entity_of_record: list[str] = []
        # injected red-flag patterns per state and rule (at least one in every state)
        self.k_inj = max(1, int(round(150 * scale)))
        self.injected: dict[str, int] = {r: 0 for r in RULES}
        self.invalid: dict[str, tuple] = {}   # entity -> (positions, rows, templates) of the invalid rows

    # ---------------------------------------------------------------- helpers
    def n(self, at_scale_1: float, minimum: int) -> int:
        return max(minimum, int(round(at_scale_1 * self.scale)))

    def put(self, name: str, cols: dict[str, pl.Series | list]) -> None:
        series = []
        for k, v in cols.items():
            s = v if isinstance(v, pl.Series) else pl.Series(k, v, dtype=pl.Utf8)
            series.append(s.cast(pl.Utf8).alias(k))
        self.tables[name] = pl.DataFrame(series)

    def put_lazy(self, name: str, n: int, cols: dict, month=None) -> None:
        self.tables[name] = _Lazy(n, cols, month)

    def uniform_days(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        return lo + np.floor(self.rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)

    def pick_weighted(self, pools: dict[int, tuple[np.ndarray, np.ndarray]], keys: np.ndarray) -> np.ndarray:
        """For each row, pick one element of pools[key] (elements, weights); keys visited in sorted order."""
        out = np.full(len(keys), -1, dtype=np.int64)
        for k in sorted(set(int(x) for x in np.unique(keys))):
            m = np.flatnonzero(keys == k)
            elems, w = pools[k]
            out[m] = self.rng.choice(elems, size=len(m), p=w / w.sum())
        return out

    # ---------------------------------------------------------------- reference tables
    def build_reference(self) -> None:
        st = self.states
        self.n_states = len(st)
        self.fy_start = np.array([s.fy_start_month for s in st], dtype=np.int64)
        self.put("states", {
            "state_code": [s.code for s in st], "state_name": [s.name for s in st],
            "fiscal_year_start_month": [str(s.fy_start_month) for s in st],
            "small_business_goal_pct": [s.small_business_goal_pct for s in st],
        })

        # commodity codes
        self.comms = select_commodities()
        fam_codes = []
        for c in self.comms:
            if c.family.code4 not in fam_codes:
                fam_codes.append(c.family.code4)
        self.fam_list = [next(f for f in FAMILIES if f.code4 == fc) for fc in fam_codes]
        self.fam_index = {f.code4: i for i, f in enumerate(self.fam_list)}
        self.comm_fam = np.array([self.fam_index[c.family.code4] for c in self.comms], dtype=np.int64)
        self.comm_addr = np.array([c.family.addressable for c in self.comms])
        self.comm_exempt = np.array([c.family.po_exempt for c in self.comms])
        self.fam_comms = {i: np.flatnonzero(self.comm_fam == i) for i in range(len(self.fam_list))}
        self.comm_codes = pl.Series("c", [c.code for c in self.comms], dtype=pl.Utf8)
        self.put("commodity_codes", {
            "scheme": ["UNSPSC"] * len(self.comms), "commodity_code": [c.code for c in self.comms], "commodity_title": [c.title for c in self.comms],
            "segment_code": [c.segment_code for c in self.comms], "segment_title": [c.segment_title for c in self.comms],
            "family_code": [c.family_code for c in self.comms], "family_title": [c.family_title for c in self.comms],
            "class_code": [c.class_code for c in self.comms], "class_title": [c.class_title for c in self.comms],
            "is_addressable": ["true" if c.family.addressable else "false" for c in self.comms],
            "is_po_exempt": ["true" if c.family.po_exempt else "false" for c in self.comms],
            "parent_code": [c.class_code for c in self.comms], "category_code": [c.family_code for c in self.comms],
        })

        # item catalogue: three items per commodity (fixed), base price and UoM from the family
        items_comm, items_num, items_desc, items_base, items_list = [], [], [], [], []
        for ci, c in enumerate(self.comms):
            lo, hi = c.family.price
            for j, var in enumerate(ITEM_VARIANTS):
                base = math.exp(self.rng.uniform(math.log(lo), math.log(hi)))
                items_comm.append(ci)
                items_num.append(f"{c.code}-{j + 1:02d}")
                items_desc.append(f"{c.title}, {var}")
                items_base.append(int(round(base * 10_000)))
                items_list.append(self.rng.uniform(1.0, 1.2))
        self.item_comm = np.array(items_comm, dtype=np.int64)
        self.item_base = np.array(items_base, dtype=np.int64)        # 1/10,000 USD
        self.item_listfac = np.array(items_list)
        self.item_num = pl.Series("i", items_num, dtype=pl.Utf8)
        self.item_desc = pl.Series("d", items_desc, dtype=pl.Utf8)
        self.item_uom = pl.Series("u", [self.comms[i].family.uom for i in items_comm], dtype=pl.Utf8)
        self.comm_items = {ci: np.flatnonzero(self.item_comm == ci) for ci in range(len(self.comms))}

        # thresholds
        rows = {k: [] for k in ("state_code", "threshold_type", "amount", "effective_from", "effective_to")}
        self.pcard_limit = np.zeros(self.n_states, dtype=np.int64)
        for si, s in enumerate(st):
            self.pcard_limit[si] = s.thresholds[2] * 100
            for ti, tt in enumerate(("small_purchase", "formal_solicitation", "pcard_single", "sole_source_max")):
                amt = s.thresholds[ti]
                if s.threshold_change and ti < 2:
                    chg = date.fromisoformat(s.threshold_change)
                    periods = [(amt, "2020-07-01", (chg - timedelta(days=1)).isoformat()),
                               (int(amt * 1.5), chg.isoformat(), None)]
                else:
                    periods = [(amt, "2020-07-01", None)]
                for a, f, t in periods:
                    rows["state_code"].append(s.code)
                    rows["threshold_type"].append(tt)
                    rows["amount"].append(f"{a}.00")
                    rows["effective_from"].append(f)
                    rows["effective_to"].append(t)
        self.put("purchase_thresholds", rows)

        # holidays: US federal + state, for the window
        rows = {"state_code": [], "holiday_date": [], "holiday_name": []}
        years = list(range(WINDOW_START.year, WINDOW_END.year + 1))
        for s in st:
            h = holidays_lib.country_holidays("US", subdiv=s.code, years=years)
            for d, name in sorted(h.items()):
                if WINDOW_START <= d <= WINDOW_END:
                    rows["state_code"].append(s.code)
                    rows["holiday_date"].append(d.isoformat())
                    rows["holiday_name"].append(name)
        self.put("holidays", rows)
        # business days per state (no weekend, no holiday of the state), on a padded range around the window
        self.bd0 = W0 - 400
        span = W1 + 400 - self.bd0 + 1
        dd = np.arange(span, dtype=np.int64)
        weekend = (dd + self.bd0 + 3) % 7 >= 5
        self.hol_days = {si: np.array([D(int(h[:4]), int(h[5:7]), int(h[8:])) for c, h in
                                       zip(rows["state_code"], rows["holiday_date"]) if c == s.code], dtype=np.int64)
                         for si, s in enumerate(st)}
        self.next_bd = np.zeros((self.n_states, span), dtype=np.int64)
        self.prev_bd = np.zeros((self.n_states, span), dtype=np.int64)
        self.is_bd = np.zeros((self.n_states, span), dtype=bool)
        for si in range(self.n_states):
            ok = ~weekend
            ok[self.hol_days[si] - self.bd0] = False
            self.is_bd[si] = ok
            nxt = np.where(ok, dd, span - 1)
            self.next_bd[si] = np.minimum.accumulate(nxt[::-1])[::-1] + self.bd0
            self.prev_bd[si] = np.maximum.accumulate(np.where(ok, dd, 0)) + self.bd0

    def t_small(self, si: np.ndarray, day: np.ndarray) -> np.ndarray:
        """small_purchase threshold (cents) in force on the day in the state (raised on threshold_change)."""
        si = np.asarray(si, dtype=np.int64)
        base = np.array([s.thresholds[0] for s in self.states], dtype=np.int64)[si] * 100
        chg = np.array([D(*map(int, s.threshold_change.split("-"))) if s.threshold_change else 10**9
                        for s in self.states], dtype=np.int64)[si]
        return np.where(np.asarray(day) >= chg, (base // 100 * 3 // 2) * 100, base)

    def t_pcard(self, si) -> np.ndarray:
        return np.array([s.thresholds[2] for s in self.states], dtype=np.int64)[np.asarray(si, dtype=np.int64)] * 100

    def t_sole(self, si) -> np.ndarray:
        return np.array([s.thresholds[3] for s in self.states], dtype=np.int64)[np.asarray(si, dtype=np.int64)] * 100

    def near_change(self, si: int, day: int, margin: int = 45) -> bool:
        s = self.states[si]
        return bool(s.threshold_change) and abs(day - D(*map(int, s.threshold_change.split("-")))) <= margin

    def fy_bounds(self, si: int, fy: int) -> tuple[int, int]:
        s = int(self.fy_start[si])
        lo = D(fy - 1, s, 1) if s > 1 else D(fy, 1, 1)
        hi = (D(fy, s, 1) - 1) if s > 1 else D(fy, 12, 31)
        return lo, hi

    # ---------------------------------------------------------------- agencies
    def build_agencies(self) -> None:
        rng, fake = self.rng, self.fake
        ids, names, types, st_idx, weights = [], [], [], [], []
        self.local_customers: dict[int, list[tuple[str, str]]] = {}
        n_ag = 10 + int(round(20 * math.sqrt(min(self.scale, 1.0))))
        for si, s in enumerate(self.states):
            city = [fake.city() for _ in range(4)]
            others = [(f"University of {s.name}", "higher_education"), (f"{s.name} State University", "higher_education"),
                      (f"{city[0]} School District", "k12"), (f"City of {city[1]}", "local_government"),
                      (f"{s.name} Public Broadcasting Foundation", "non_profit")]
            n_state = max(5, n_ag - len(others))
            names_s = [(f"{s.name} {a}", "state_agency") for a in STATE_AGENCY_NAMES[:n_state]] + others
            for k, (nm, tp) in enumerate(names_s):
                ids.append(f"{s.code}-{k + 1:03d}")
                names.append(nm)
                types.append(tp)
                st_idx.append(si)
                base = 1.0 / (k + 1) ** 0.6 if tp == "state_agency" else 0.25
                weights.append(base * rng.uniform(0.6, 1.4))
            lc = [(f"{c} County", "local_government") for c in city[1:3]]
            lc += [(f"{fake.city()} Unified School District", "k12"), (f"{fake.city()} Community College", "higher_education"),
                   (f"City of {fake.city()}", "local_government"), (f"{fake.last_name()} Family Services", "non_profit")]
            self.local_customers[si] = lc
        self.ag_ids = pl.Series("a", ids, dtype=pl.Utf8)
        self.ag_id_list = ids
        self.ag_name = names
        self.ag_type = types
        self.ag_state = np.array(st_idx, dtype=np.int64)
        self.ag_w = np.array(weights)
        self.state_agencies = {si: (np.flatnonzero(self.ag_state == si), self.ag_w[self.ag_state == si])
                               for si in range(self.n_states)}
        self.put("agencies", {"agency_id": ids, "state_code": [self.states[i].code for i in st_idx],
                              "agency_name": names, "agency_type": types})

    def pick_agency(self, state_idx: np.ndarray) -> np.ndarray:
        return self.pick_weighted(self.state_agencies, state_idx)

    # ---------------------------------------------------------------- suppliers
    def build_suppliers(self) -> None:
        rng, fake = self.rng, self.fake
        n_ent = self.n(12_000, 60)
        addr_fams = [i for i, f in enumerate(self.fam_list) if f.addressable]
        fam_w = np.array([self.fam_list[i].weight for i in addr_fams])
        ent_names: list[str] = []
        seen: set[str] = set()
        ent_fams: list[list[int]] = []
        for e in range(n_ent):
            nm = fake.company()
            while nm in seen:
                nm = f"{nm} {fake.random_element(('Solutions', 'Services', 'Supply', 'Partners'))}"
            seen.add(nm)
            ent_names.append(nm)
            fams = [int(rng.choice(addr_fams, p=fam_w / fam_w.sum()))]
            if rng.random() < 0.3:
                f2 = int(rng.choice(addr_fams))
                if f2 not in fams:
                    fams.append(f2)
            ent_fams.append(fams)
        # every addressable family has at least four suppliers
        for fi in addr_fams:
            have = [e for e in range(n_ent) if fi in ent_fams[e]]
            for e in rng.choice(n_ent, size=max(0, 4 - len(have)), replace=False):
                ent_fams[int(e)].append(fi)
        ent_kind = ["commercial"] * n_ent
        # payees of non-addressable spend (retirement systems, county treasurers, non-profits)
        nonaddr = [i for i, f in enumerate(self.fam_list) if not f.addressable]
        for si, s in enumerate(self.states):
            for nm in (f"{s.name} Public Employees Retirement System", f"{fake.city()} County Treasurer",
                       f"{s.name} Housing Finance Agency", f"Community Action Partnership of {fake.city()}"):
                ent_names.append(nm)
                ent_fams.append(list(nonaddr))
                ent_kind.append(f"payee:{si}")
        n_ent_all = len(ent_names)
        ent_tax = [f"{rng.integers(10, 99)}-{rng.integers(1_000_000, 9_999_999)}" for _ in range(n_ent_all)]
        ent_small = rng.random(n_ent_all) < 0.25
        ent_diverse = (rng.random(n_ent_all) < 0.35) & ent_small | (rng.random(n_ent_all) < 0.04)
        other_states = [c for c in ("CA", "AZ", "UT", "OR", "IL", "FL", "GA", "WA", "CO", "OH")]

        rec_ent, rec_name = [], []
        for e in range(n_ent_all):
            k = 1
            if ent_kind[e] == "commercial":
                u = rng.random()
                k = 3 if u < 0.04 else 2 if u < 0.15 else 1
            styles = rng.permutation(5)
            for r in range(k):
                rec_ent.append(e)
                rec_name.append(ent_names[e] if r == 0 else _variant(ent_names[e], int(styles[r])))
        n_rec = len(rec_ent)
        self.rec_ent = np.array(rec_ent, dtype=np.int64)
        self.ent_first = np.searchsorted(self.rec_ent, np.arange(n_ent_all))
        self.ent_nrec = np.bincount(self.rec_ent, minlength=n_ent_all)
        perm = rng.permutation(n_rec)
        sup_ids = [f"V{100001 + int(p):06d}" for p in perm]
        self.sup_ids = pl.Series("s", sup_ids, dtype=pl.Utf8)
        self.rec_name = rec_name
        self.ent_names = ent_names
        self.ent_tax = ent_tax
        self.ent_kind = ent_kind
        # supplier pools by family: records (weights favour a few large suppliers)
        rec_w = rng.pareto(1.2, n_rec) + 0.2
        self.fam_servers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for fi in range(len(self.fam_list)):
            recs = np.array([r for r in range(n_rec) if fi in ent_fams[rec_ent[r]]
                             and (ent_kind[rec_ent[r]] == "commercial") == self.fam_list[fi].addressable], dtype=np.int64)
            if len(recs):
                self.fam_servers[fi] = (recs, rec_w[recs])
        self.state_payees = {si: np.array([r for r in range(n_rec) if ent_kind[rec_ent[r]] == f"payee:{si}"], dtype=np.int64)
                             for si in range(self.n_states)}
        # variant of the record name a checkbook prints (upper-cased, punctuation dropped)
        self.rec_payee_alt = pl.Series("p", [_variant(ent_names[e], 0) for e in rec_ent], dtype=pl.Utf8)
        self.rec_payee = pl.Series("p", rec_name, dtype=pl.Utf8)

        has_tax = rng.random(n_rec) > 0.1
        reg_from = D(2020, 1, 1) + rng.integers(0, 1900, n_rec)
        reg_to = reg_from + rng.integers(365, 3 * 365, n_rec)
        no_reg = rng.random(n_rec) < 0.05
        states_rec = []
        for r in range(n_rec):
            if ent_kind[rec_ent[r]].startswith("payee:"):
                states_rec.append(self.states[int(ent_kind[rec_ent[r]][6:])].code)
            elif rng.random() < 0.6:
                states_rec.append(self.states[int(rng.integers(0, self.n_states))].code)
            else:
                states_rec.append(other_states[int(rng.integers(0, len(other_states)))])
        cities = [fake.city() for _ in range(n_rec)]
        zips = [fake.zipcode() for _ in range(n_rec)]
        emails = [fake.company_email() if rng.random() < 0.85 else None for _ in range(n_rec)]
        self.bank = pl.Series("b", [f"XXXXXX{int(x):04d}" for x in rng.integers(0, 10_000, n_rec)], dtype=pl.Utf8)
        self.rec_small = ent_small[self.rec_ent]
        df = {
            "supplier_id": sup_ids, "supplier_name": rec_name,
            "tax_id": [ent_tax[rec_ent[r]] if has_tax[r] else None for r in range(n_rec)],
            "city": cities, "supplier_state": states_rec, "postal_code": zips, "contact_email": emails,
            "is_small_business": ["true" if ent_small[rec_ent[r]] else "false" for r in range(n_rec)],
            "is_diverse_business": ["true" if ent_diverse[rec_ent[r]] else "false" for r in range(n_rec)],
            "registration_valid_from": [None if no_reg[r] else to_date(reg_from[r]).isoformat() for r in range(n_rec)],
            "registration_valid_to": [None if no_reg[r] else to_date(reg_to[r]).isoformat() for r in range(n_rec)],
        }
        self.put("suppliers", df)
        self.tables["suppliers"] = self.tables["suppliers"].sort("supplier_id")
        self.entity_rows = sorted((sup_ids[r], f"E{rec_ent[r] + 1:06d}") for r in range(n_rec))

        # exclusions of the baseline: parties that never sold to the states (names and tax ids unlike any
        # supplier's), and suppliers whose exclusion ended before the window. Exclusions of suppliers that were
        # paid while excluded (RF12) are added by inject_exclusions once the payments exist.
        self.exc_rows: dict[str, list] = {k: [] for k in ("exclusion_id", "excluded_name", "tax_id", "state_code",
                                                          "authority", "start_date", "end_date", "reason")}
        known_names = {normalised_name(nm) for nm in rec_name}
        known_tax = set(ent_tax)
        for _ in range(max(5, int(round(0.003 * n_ent)))):
            nm = fake.company()
            while normalised_name(nm) in known_names:
                nm = f"{fake.last_name()} {fake.random_element(('Holdings', 'Enterprises', 'Trading', 'Ventures'))}"
            tax = f"{rng.integers(10, 99)}-{rng.integers(1_000_000, 9_999_999)}"
            while tax in known_tax:
                tax = f"{rng.integers(10, 99)}-{rng.integers(1_000_000, 9_999_999)}"
            start = D(2022, 6, 1) + int(rng.integers(0, 1200))
            end = start + int(rng.integers(365, 3 * 365)) if rng.random() < 0.7 else None
            self.add_exclusion(nm.upper() if rng.random() < 0.6 else nm, tax if rng.random() < 0.6 else None,
                               None if rng.random() < 0.5 else int(rng.integers(0, self.n_states)), start, end)
        commercial = [e for e in range(n_ent_all) if ent_kind[e] == "commercial"]
        for e in rng.choice(commercial, size=max(2, int(round(0.003 * n_ent))), replace=False):
            start = D(2019, 1, 1) + int(rng.integers(0, 900))
            end = min(start + int(rng.integers(200, 700)), D(2022, 12, 31))
            self.add_exclusion(ent_names[int(e)].upper() if rng.random() < 0.6 else ent_names[int(e)],
                               ent_tax[int(e)] if rng.random() < 0.6 else None,
                               None if rng.random() < 0.5 else int(rng.integers(0, self.n_states)), start, end)
        self.rec_tax = [ent_tax[rec_ent[r]] if has_tax[r] else None for r in range(n_rec)]

    def add_exclusion(self, name: str, tax: str | None, si: int | None, start: int, end: int | None,
                      reason: str | None = None) -> None:
        rows = self.exc_rows
        rows["exclusion_id"].append(f"EXC-{len(rows['exclusion_id']) + 1:05d}")
        rows["excluded_name"].append(name)
        rows["tax_id"].append(tax)
        rows["state_code"].append(None if si is None else self.states[si].code)
        rows["authority"].append("SAM.gov (U.S. General Services Administration)" if si is None
                                 else f"{self.states[si].name} State Purchasing Division")
        rows["start_date"].append(to_date(start).isoformat())
        rows["end_date"].append(None if end is None else to_date(end).isoformat())
        rows["reason"].append(reason or EXCLUSION_REASONS[int(self.rng.integers(0, len(EXCLUSION_REASONS)))])

    def pick_server(self, fam: np.ndarray) -> np.ndarray:
        return self.pick_weighted(self.fam_servers, fam)

    def alt_record(self, rec: np.ndarray, p: float) -> np.ndarray:
        """Sometimes swap a supplier record for another record of the same real supplier."""
        e = self.rec_ent[rec]
        alt = self.ent_first[e] + np.floor(self.rng.random(len(rec)) * self.ent_nrec[e]).astype(np.int64)
        return np.where(self.rng.random(len(rec)) < p, alt, rec)

    # ---------------------------------------------------------------- staff
    def build_staff(self) -> None:
        rng = self.rng
        rows = {k: [] for k in ("staff_id", "state_code", "agency_id", "job_title", "certification", "fte",
                                "annual_cost", "vacancy_date", "hire_date", "separation_date", "training_current_until")}
        n_central = 6 + int(round(60 * math.sqrt(min(self.scale, 1.0))))
        k = 0
        for si, s in enumerate(self.states):
            ags = np.flatnonzero(self.ag_state == si)
            owners = [None] * n_central + [int(a) for a in ags for _ in range(int(rng.integers(0, 4)))]
            for a in owners:
                k += 1
                hire = D(2008, 1, 1) + int(rng.integers(0, 6400))
                vac = hire - int(rng.integers(20, 200)) if rng.random() < 0.6 else None
                sep = hire + int(rng.integers(200, 4000)) if rng.random() < 0.25 else None
                if sep is not None and sep > W1:
                    sep = None
                cert = ("CPPO", "CPPB", "NIGP-CPP", "CPSM", "none", None)[int(rng.choice(6, p=[.12, .22, .06, .05, .5, .05]))]
                train = D(2022, 6, 1) + int(rng.integers(0, 1500)) if rng.random() < 0.9 else None
                rows["staff_id"].append(f"{s.code}-S{k:05d}")
                rows["state_code"].append(s.code)
                rows["agency_id"].append(None if a is None else self.ag_id_list[a])
                rows["job_title"].append(JOB_TITLES[int(rng.integers(0, len(JOB_TITLES)))])
                rows["certification"].append(cert)
                rows["fte"].append("1.00" if rng.random() < 0.9 else ("0.50", "0.75", "0.80")[int(rng.integers(0, 3))])
                rows["annual_cost"].append(f"{int(rng.integers(62_000, 165_000))}.00")
                rows["vacancy_date"].append(None if vac is None else to_date(vac).isoformat())
                rows["hire_date"].append(to_date(hire).isoformat())
                rows["separation_date"].append(None if sep is None else to_date(sep).isoformat())
                rows["training_current_until"].append(None if train is None else to_date(train).isoformat())
        self.put("procurement_staff", rows)

    # ---------------------------------------------------------------- contracts, sourcing
    def build_contracts(self) -> None:
        rng = self.rng
        C: dict[str, list] = {k: [] for k in ("state", "agency", "supplier", "vehicle", "program", "master", "fam",
                                              "comm", "method", "start", "end", "value", "cfac", "number", "legacy",
                                              "low_use", "tag")}
        seq = {"n": 0}

        def add(state, agency, fam, vehicle, start, end, value, program=None, master=-1, supplier=None,
                method=None, number=None, legacy=False, low_use=False, tag=0):
            comm = int(rng.choice(self.fam_comms[fam]))
            if supplier is None:
                supplier = int(self.pick_server(np.array([fam]))[0])
            if method is None:
                method = ("open", "selective", "limited", "direct")[int(rng.choice(4, p=[.62, .18, .12, .08]))] \
                    if vehicle == AGENCY else ("open", "selective")[int(rng.random() < 0.1)]
            seq["n"] += 1
            C["state"].append(state); C["agency"].append(agency); C["supplier"].append(supplier)
            C["vehicle"].append(vehicle); C["program"].append(program); C["master"].append(master)
            C["fam"].append(fam); C["comm"].append(comm); C["method"].append(method)
            C["start"].append(int(start)); C["end"].append(int(end)); C["value"].append(int(value))
            C["cfac"].append(C["cfac"][master] if master >= 0 else float(rng.uniform(0.78, 0.95)))
            C["number"].append(number); C["legacy"].append(legacy); C["low_use"].append(low_use); C["tag"].append(tag)
            return len(C["state"]) - 1

        def money(mu: float, sigma: float = 0.8) -> int:
            return int(round(math.exp(rng.normal(math.log(mu), sigma)) * 100 / 1000)) * 1000  # whole $10s

        K = self.k_inj
        sw_fams = [i for i, f in enumerate(self.fam_list) if f.statewide]
        agency_fams = [i for i, f in enumerate(self.fam_list) if f.addressable and not f.po_exempt]
        agency_fam_w = np.array([self.fam_list[i].weight for i in agency_fams])
        all_agency_fams = [i for i, f in enumerate(self.fam_list) if f.addressable]
        all_agency_fam_w = np.array([self.fam_list[i].weight for i in all_agency_fams])
        forced_change: dict[int, int] = {}   # contract -> value change of its first amendment (RF03, RF11)
        n_par = 1 + int(self.scale * 4)
        for si, s in enumerate(self.states):
            seqn = 0
            for j, fi in enumerate(sw_fams):
                if j > 0 and rng.random() > 0.8:
                    continue
                for p in range(n_par + int(rng.random() < 0.3)):
                    anchor = j == 0 and p == 0  # one statewide contract covering the whole window
                    t = D(2022, 7, 1) if anchor else D(2019, 1, 1) + int(rng.integers(0, 1100))
                    while t <= W1:
                        dur = D(2026, 6, 30) - t + 1 if anchor else int(rng.integers(2, 6)) * 365 + int(rng.integers(-20, 40))
                        seqn += 1
                        add(si, -1, fi, STATEWIDE, t, t + dur - 1, money(2_500_000),
                            number=f"{s.code}-SW-{to_date(t).year}-{seqn:04d}")
                        t = t + dur + int(rng.integers(-30, 150))
                        anchor = False
            n_agc = self.n(1500, 12)
            ags = self.pick_agency(np.full(n_agc + 2, si))
            for k in range(n_agc + 2):
                legacy = k >= n_agc
                fi = int(rng.choice(all_agency_fams, p=all_agency_fam_w / all_agency_fam_w.sum()))
                if legacy:
                    start = D(2019, 1, 1) + int(rng.integers(0, 500))
                    end = D(2022, 3, 1) + int(rng.integers(0, 270))
                else:
                    start = D(2020, 1, 1) + int(rng.integers(0, D(2025, 9, 30) - D(2020, 1, 1)))
                    end = start + int(rng.integers(1, 5)) * 365 - 1
                seqn += 1
                add(si, int(ags[k]), fi, AGENCY, start, end, money(250_000, 1.0),
                    number=f"{self.ag_id_list[int(ags[k])]}-{to_date(start).year}-{seqn:04d}", legacy=legacy)
            # RF20 repeat awards: five awards of one agency in a category in a row, three or four of them to one
            # supplier (five, so that the run is complete whatever the agency awarded before or after)
            for _ in range(K):
                ag = int(self.pick_agency(np.array([si]))[0])
                fi = int(rng.choice(agency_fams, p=agency_fam_w / agency_fam_w.sum()))
                sup = int(self.pick_server(np.array([fi]))[0])
                others = [int(r) for r in self.fam_servers[fi][0] if self.rec_ent[r] != self.rec_ent[sup]]
                n_rep = 3 + int(rng.random() < 0.5)
                winners = [sup] * n_rep + [others[int(rng.integers(0, len(others)))] for _ in range(5 - n_rep)]
                t = D(2020, 3, 1) + int(rng.integers(0, 1000))
                for w_ in rng.permutation(winners):
                    seqn += 1
                    add(si, ag, fi, AGENCY, t, t + int(rng.integers(1, 4)) * 365 - 1, money(180_000, 0.7),
                        supplier=int(w_), method=("open", "selective")[int(rng.random() < 0.2)], tag=20,
                        number=f"{self.ag_id_list[ag]}-{to_date(t).year}-{seqn:04d}")
                    t += int(rng.integers(60, 240))
                self.injected["RF20"] += 1
            # RF03 sole source: a direct award just under sole_source_max, amended above it (low use: little spend)
            t_ss = int(self.t_sole(si))
            for _ in range(K):
                ag = int(self.pick_agency(np.array([si]))[0])
                fi = int(rng.choice(agency_fams, p=agency_fam_w / agency_fam_w.sum()))
                start = D(2021, 1, 1) + int(rng.integers(0, D(2025, 3, 1) - D(2021, 1, 1)))
                value = int(t_ss * rng.uniform(0.80, 0.97)) // 1000 * 1000
                seqn += 1
                c = add(si, ag, fi, AGENCY, start, start + int(rng.integers(1, 4)) * 365 - 1, value, method="direct",
                        low_use=True, tag=3, number=f"{self.ag_id_list[ag]}-{to_date(start).year}-{seqn:04d}")
                forced_change[c] = int(t_ss * rng.uniform(1.1, 1.7)) // 1000 * 1000 - value
                self.injected["RF03"] += 1
        # cooperative master agreements and participating addenda
        coop_fams = [(f.coop, i) for i, f in enumerate(self.fam_list) if f.coop]
        n_m = 1 + int(self.scale * 3)
        mseq = 0
        for prog, fi in coop_fams:
            series = []
            for _ in range(n_m):
                t = D(2018, 7, 1) + int(rng.integers(0, 1200))
                while t <= W1:
                    series.append(t)
                    t += 5 * 365 + int(rng.integers(-60, 90))
            for start in series:
                lead = int(rng.integers(0, self.n_states))
                end = start + 5 * 365 - 1
                mseq += 1
                number = f"{COOP_PREFIX[prog]}{self.states[lead].code}-{to_date(start).year}-{mseq:03d}"
                m = add(lead, -1, fi, MASTER, start, end, money(60_000_000), program=prog, number=number)
                for si, s in enumerate(self.states):
                    if si != lead and rng.random() > 0.8:
                        continue
                    pstart = start + int(rng.integers(30, 200))
                    add(si, -1, fi, PA, pstart, end, money(2_000_000), program=prog, master=m,
                        supplier=C["supplier"][m], method=C["method"][m], number=f"{s.code}-PA-{number}")
        self.C = {k: (np.array(v, dtype=np.int64) if k in ("state", "agency", "supplier", "vehicle", "master",
                                                            "fam", "comm", "start", "end", "value", "tag") else v)
                  for k, v in C.items()}
        self.C["cfac"] = np.array(C["cfac"])
        self.C["low_use"] = np.array(C["low_use"], dtype=bool)
        self.C["legacy"] = np.array(C["legacy"], dtype=bool)
        self.n_contracts = nc = len(C["state"])
        C = self.C

        # RF11 large amendments: ordinary contracts whose first amendment adds 25-60 % of the value
        for si in range(self.n_states):
            cand = np.flatnonzero((C["state"] == si) & np.isin(C["vehicle"], (AGENCY, STATEWIDE)) & ~C["legacy"]
                                  & (C["tag"] == 0) & (C["start"] >= D(2020, 6, 1)) & (C["end"] - C["start"] > 200))
            for c in rng.choice(cand, size=min(K, len(cand)), replace=False):
                forced_change[int(c)] = int(C["value"][c] * rng.uniform(0.25, 0.6)) // 100 * 100
                C["tag"][c] = 11
                self.injected["RF11"] += 1

        # amendments: ordinary ones keep the cumulative growth under 9 % of the original value (RF11 reads
        # > 10 % for goods); the injected ones (RF03, RF11) come first and are large
        eff = C["end"].copy()
        cur = C["value"].copy()
        A = {k: [] for k in ("contract", "num", "date", "change", "new_end", "reason")}
        ext_of_master: dict[int, list[tuple[int, int]]] = {}
        for c in range(nc):
            if C["vehicle"][c] == PA:
                continue
            forced = forced_change.get(c)
            p = 0.6 if W0 + 60 <= C["end"][c] <= W1 - 60 else 0.3
            if forced is None and (C["legacy"][c] or rng.random() > p):
                continue
            last = C["start"][c] + 60
            room = int(C["value"][c] * 0.09) // 100 * 100
            for k in range(int(rng.integers(1, 4))):
                if last >= eff[c] - 10:
                    break
                adate = int(rng.integers(last, eff[c] - 10))
                if eff[c] - 10 > W1 + 1:   # business events stay in the window: squeeze [last, end) into it
                    adate = min(last + (adate - last) * max(W1 + 1 - last, 0) // (eff[c] - 10 - last), W1)
                if forced is not None and k == 0:
                    kind = "increase"
                elif forced is not None:
                    kind = ("extension", "admin")[int(rng.random() < 0.3)]
                else:
                    kind = ("extension", "increase", "decrease", "admin")[int(rng.choice(4, p=[.45, .35, .1, .1]))]
                new_end, change = None, 0
                if kind == "extension":
                    new_end = int(eff[c] + rng.integers(180, 731))
                    change = int(C["value"][c] * rng.uniform(0, 0.05)) // 100 * 100 if rng.random() < 0.5 else 0
                elif kind == "increase":
                    change = forced if (forced is not None and k == 0) \
                        else int(C["value"][c] * rng.uniform(0.02, 0.06)) // 100 * 100
                elif kind == "decrease":
                    change = -(int(C["value"][c] * rng.uniform(0.02, 0.1)) // 100 * 100)
                if change > 0 and not (forced is not None and k == 0):
                    change = min(change, max(0, room - (cur[c] - C["value"][c])))
                    if change == 0 and kind == "increase":
                        kind = "admin"
                A["contract"].append(c); A["num"].append(k + 1); A["date"].append(adate)
                A["change"].append(change); A["new_end"].append(new_end); A["reason"].append(AMEND_REASONS[kind])
                cur[c] += change
                if new_end is not None:
                    eff[c] = max(eff[c], new_end)
                    if C["vehicle"][c] == MASTER:
                        ext_of_master.setdefault(c, []).append((adate, new_end))
                last = adate + 1
        for c in range(nc):  # participating addenda follow their master's extensions
            m = int(C["master"][c])
            if C["vehicle"][c] != PA or m not in ext_of_master:
                continue
            for k, (adate, new_end) in enumerate(ext_of_master[m]):
                A["contract"].append(c); A["num"].append(k + 1)
                A["date"].append(max(min(adate + int(rng.integers(0, 60)), W1), int(C["start"][c])))
                A["change"].append(0); A["new_end"].append(new_end); A["reason"].append(AMEND_REASONS["pa_ext"])
                eff[c] = max(eff[c], new_end)
        # amendments of contracts that start at the very end of the window or after it would fall after the
        # window (or before the contract's start once squeezed into it): left out, with their effect on the term
        # and the value
        drop = [i for i, (c, d) in enumerate(zip(A["contract"], A["date"])) if d > W1 or d < C["start"][c]]
        if drop:
            gone = set(drop)
            for i in drop:
                cur[A["contract"][i]] -= A["change"][i]
            A = {k: [v for i, v in enumerate(vals) if i not in gone] for k, vals in A.items()}
            eff_new = C["end"].copy()
            for c, ne in zip(A["contract"], A["new_end"]):
                if ne is not None:
                    eff_new[c] = max(eff_new[c], ne)
            eff = eff_new
        C["eff"] = eff
        C["current"] = cur
        self.A = A

        # sourcing: requisition -> solicitation -> bids -> award for every contract but PAs and legacy ones;
        # injected: RF08 single bid, RF09 short submission period, RF10 second-lowest bid far above the lowest
        inj: dict[int, str] = {}
        for si in range(self.n_states):
            cand = np.flatnonzero((C["state"] == si) & (C["vehicle"] != PA) & ~C["legacy"] & (C["tag"] == 0)
                                  & np.isin(np.array(C["method"], dtype=object), COMPETITIVE))
            pick = rng.permutation(cand)
            for j, rule in enumerate(("RF08", "RF09", "RF10")):
                for c in pick[j * K:(j + 1) * K]:
                    inj[int(c)] = rule
                    self.injected[rule] += 1
        S = {k: [] for k in ("state", "agency", "title", "method", "comm", "issue", "close", "est", "emerg", "elec",
                             "status", "contract")}
        B = {k: [] for k in ("sol", "supplier", "date", "amount", "resp")}
        AW = {k: [] for k in ("sol", "supplier", "date", "pub", "value", "status")}
        C["award"] = np.full(nc, -1, dtype=np.int64)
        C["signed"] = np.full(nc, NULL_DATE, dtype=np.int64)
        C["sol"] = np.full(nc, -1, dtype=np.int64)
        for c in range(nc):
            signed = int(C["start"][c] - rng.integers(0, 31))
            if C["vehicle"][c] != PA and rng.random() < 0.93:
                C["signed"][c] = signed
            if C["vehicle"][c] == PA or C["legacy"][c]:
                continue
            award_date = signed - int(rng.integers(3, 41))
            close = award_date - int(rng.integers(10, 91))
            method = C["method"][c]
            if inj.get(c) == "RF09":
                issue = close - int(rng.integers(5, 14))
            elif method in COMPETITIVE:
                issue = close - int(rng.integers(15, 46))
            else:  # sole-source and limited procurements may run short
                issue = close - (int(rng.integers(5, 15)) if rng.random() < 0.1 else int(rng.integers(15, 46)))
            emerg = method in ("limited", "direct") and rng.random() < 0.25
            ttl = f"{self.comms[int(C['comm'][c])].family_title} - {VEHICLES[int(C['vehicle'][c])].replace('_', ' ')}"
            s_i = self._add_solicitation(S, int(C["state"][c]), int(C["agency"][c]), ttl, method, int(C["comm"][c]),
                                         issue, close, int(C["value"][c] * rng.uniform(0.85, 1.3)), emerg, "awarded", c)
            winner = int(C["supplier"][c])
            mode = {"RF08": "single", "RF10": "outlier"}.get(inj.get(c, ""))
            self._add_bids(B, s_i, method, issue, close, int(C["value"][c]), winner, int(C["fam"][c]), mode)
            AW["sol"].append(s_i); AW["supplier"].append(winner); AW["date"].append(award_date)
            AW["pub"].append(award_date + int(rng.integers(0, 21)) if rng.random() < 0.9 else NULL_DATE)
            AW["value"].append(int(C["value"][c])); AW["status"].append("active")
            C["award"][c] = len(AW["sol"]) - 1
            C["sol"][c] = s_i
        # solicitations that did not (yet) lead to a contract
        n_extra = max(4, len(S["state"]) // 7)
        addr_fams = [i for i, f in enumerate(self.fam_list) if f.addressable]
        for k in range(n_extra):
            si = int(rng.integers(0, self.n_states))
            ag = int(self.pick_agency(np.array([si]))[0]) if rng.random() < 0.6 else -1
            fi = int(rng.choice(addr_fams))
            comm = int(rng.choice(self.fam_comms[fi]))
            status = ("cancelled", "open", "closed")[k % 3]
            if status == "open":
                issue = W1 - int(rng.integers(5, 60))
                close = W1 + int(rng.integers(10, 45))
            else:
                issue = W0 + int(rng.integers(0, W1 - W0 - 120))
                close = issue + int(rng.integers(15, 46))
            est = int(round(math.exp(rng.normal(math.log(400_000), 0.9)))) * 100
            method = ("open", "selective", "limited")[int(rng.choice(3, p=[.7, .2, .1]))]
            s_i = self._add_solicitation(S, si, ag, f"{self.comms[comm].title} - {status} solicitation", method, comm,
                                         issue, close, est, False, status, -1)
            if status != "open":
                winner = int(self.pick_server(np.array([fi]))[0])
                # cancelled for want of competition: no bid or a single one
                self._add_bids(B, s_i, method, issue, close, est, winner, fi, "cancelled" if status == "cancelled" else None)
                if status == "closed" and rng.random() < 0.5:
                    AW["sol"].append(s_i); AW["supplier"].append(winner); AW["date"].append(close + int(rng.integers(10, 60)))
                    AW["pub"].append(NULL_DATE); AW["value"].append(est); AW["status"].append("cancelled")
        self.S, self.B, self.AW = S, B, AW

    def _add_solicitation(self, S, si, ag, title, method, comm, issue, close, est, emerg, status, contract) -> int:
        S["state"].append(si); S["agency"].append(ag); S["title"].append(title); S["method"].append(method)
        S["comm"].append(comm); S["issue"].append(int(issue)); S["close"].append(int(close)); S["est"].append(int(est))
        S["emerg"].append(bool(emerg)); S["elec"].append(bool(self.rng.random() < 0.8)); S["status"].append(status)
        S["contract"].append(contract)
        return len(S["state"]) - 1

    def _add_bids(self, B, s_i, method, issue, close, amount, winner, fam, mode=None) -> None:
        """Bids of a solicitation. The winner's is the lowest responsive bid; the second-lowest responsive bid
        lies 4-10 % above it (a tight distribution), or 45-120 % above it for an injected RF10 outlier."""
        rng = self.rng
        if mode == "cancelled":
            n = int(rng.random() < 0.4)
        elif method in COMPETITIVE:
            if mode == "single":
                n = 1
            elif mode == "outlier":
                n = 3 + int(rng.poisson(1.0))
            else:
                n = 1 if rng.random() < 0.04 else 2 + int(rng.poisson(2.0 if method == "open" else 1.2))
        elif method == "limited":
            n = int(rng.integers(1, 3))
        else:
            n = 1
        if n == 0:
            return
        recs, w = self.fam_servers[fam]
        keep = recs != winner
        pool, pw = recs[keep], w[keep]
        k = min(n - 1, len(pool))
        others = rng.choice(pool, size=k, replace=False, p=pw / pw.sum()) if k > 0 else np.array([], dtype=np.int64)
        gap = rng.uniform(0.45, 1.2) if mode == "outlier" else rng.uniform(0.04, 0.10)
        for j, sup in enumerate([winner] + [int(o) for o in others]):
            if j == 0:
                amt, resp = amount, True
            elif j == 1:
                amt, resp = int(amount * (1 + gap)), True
            else:
                resp = bool(rng.random() > 0.1)
                amt = int(amount * (1 + gap + rng.uniform(0.01, 0.35))) if resp else int(amount * rng.uniform(0.8, 1.5))
            B["sol"].append(s_i); B["supplier"].append(sup)
            B["date"].append(int(rng.integers(issue, close + 1)))
            B["amount"].append(amt)
            B["resp"].append(resp)

    # ---------------------------------------------------------------- purchases (volume)
    def _part(self, scen: int, st, ag, sup, comm, ref, dates, **overrides) -> None:
        """A batch of purchases (aligned arrays) with optional per-purchase overrides (see OVERRIDES)."""
        st = np.asarray(st, dtype=np.int64)
        n = len(st)
        d = {"scen": np.full(n, scen, dtype=np.int64), "state": st, "agency": np.asarray(ag, dtype=np.int64),
             "supplier": np.asarray(sup, dtype=np.int64), "comm": np.asarray(comm, dtype=np.int64),
             "contract": np.asarray(ref, dtype=np.int64), "pdate": np.asarray(dates, dtype=np.int64)}
        for k, default in OVERRIDES.items():
            v = overrides.get(k, default)
            d[k] = np.asarray(v) if np.ndim(v) else np.full(n, v)
            if k in ("o_nopo", "o_round"):
                d[k] = d[k].astype(bool)
            else:
                d[k] = d[k].astype(np.int64)
        self.parts.append(d)

    def build_purchases(self) -> None:
        rng = self.rng
        C = self.C
        n_pay = max(500, int(round(PAYMENTS_AT_SCALE_1 * self.scale)))
        n_purch = int(n_pay / 1.06)
        share = {"A": .60, "B": .01, "C": .21, "D": .04, "E": .05, "F": .04, "G": .05}
        cnt = {k: int(round(v * n_purch)) for k, v in share.items()}
        exempt_fam = np.array([f.po_exempt for f in self.fam_list])
        c_exempt = exempt_fam[C["fam"]]
        lo_in = np.maximum(C["start"], W0)
        hi_in = np.minimum(C["eff"], W1)
        has_in = (lo_in <= hi_in) & ~C["low_use"]
        self.parts = []

        def finish_contract_rows(scen, cidx, dates, master_ref_p=0.0):
            st = C["state"][cidx]
            ag = np.where(C["agency"][cidx] >= 0, C["agency"][cidx], self.pick_agency(st))
            sup = self.alt_record(C["supplier"][cidx], 0.2)
            fam = C["fam"][cidx]
            comm = self._random_comm_in(fam)
            ref = cidx.copy()
            if master_ref_p:
                to_master = (C["vehicle"][cidx] == PA) & (rng.random(len(cidx)) < master_ref_p)
                ref = np.where(to_master, C["master"][cidx], cidx)
            self._part(scen, st, ag, sup, comm, ref, dates)

        # A: on-contract, in term
        candA = np.flatnonzero(has_in & np.isin(C["vehicle"], (AGENCY, STATEWIDE, PA)) & ~c_exempt)
        # an agency's own contract is drawn on at a modest pace whatever its size (its releases would otherwise
        # pile up: many POs of one agency, supplier and category within weeks, the split-purchase pattern)
        val = np.where(C["vehicle"][candA] == AGENCY, np.minimum(C["value"][candA], 40_000_000), C["value"][candA])
        wA = np.sqrt(val.astype(float)) * (hi_in[candA] - lo_in[candA] + 1)
        cA = rng.choice(candA, size=cnt["A"], p=wA / wA.sum())
        lo = np.maximum(C["start"][cA] + 45, W0)
        lo = np.where(lo <= hi_in[cA], lo, lo_in[cA])
        finish_contract_rows(0, cA, self.uniform_days(lo, hi_in[cA]), master_ref_p=0.03)

        # B: on-contract, outside the (amended) term: mostly after it ended, some before it started (RF04)
        base = np.isin(C["vehicle"], (AGENCY, STATEWIDE, PA)) & ~c_exempt & ~C["low_use"]
        after = np.flatnonzero(base & (C["eff"] < W1 - 15))
        before = np.flatnonzero(base & (C["start"] > W0 + 15) & (C["start"] <= W1))
        nb_after = int(round(cnt["B"] * 0.8))
        ca = rng.choice(after, size=nb_after)
        cb = rng.choice(before, size=cnt["B"] - nb_after)
        a_lo = np.maximum(C["eff"][ca] + 1, W0)
        da = self.uniform_days(a_lo, np.minimum(np.maximum(C["eff"][ca] + 240, a_lo + 120), W1))
        db = self.uniform_days(np.maximum(C["start"][cb] - 90, W0), C["start"][cb] - 1)
        finish_contract_rows(1, np.concatenate([ca, cb]), np.concatenate([da, db]))
        self.injected["RF04"] += cnt["B"]

        # D: maverick: bought without a contract in a category a statewide / PA contract covers
        candD = np.flatnonzero(has_in & np.isin(C["vehicle"], (STATEWIDE, PA)))
        cD = rng.choice(candD, size=cnt["D"])
        self._add_free_rows(3, C["state"][cD], C["fam"][cD], self.uniform_days(lo_in[cD], hi_in[cD]))

        # C: off-contract buys anywhere
        addr_ne = [i for i, f in enumerate(self.fam_list) if f.addressable and not f.po_exempt]
        # off-contract buys fall mostly in categories without statewide / cooperative vehicles
        w = np.array([self.fam_list[i].weight * (0.35 if (self.fam_list[i].statewide or self.fam_list[i].coop) else 1.0)
                      for i in addr_ne])
        famC = rng.choice(addr_ne, size=cnt["C"], p=w / w.sum())
        stC = rng.integers(0, self.n_states, cnt["C"])
        self._add_free_rows(2, stC, famC, self.uniform_days(np.full(cnt["C"], W0), np.full(cnt["C"], W1)))

        # E: p-card buys
        pc = [i for i, f in enumerate(self.fam_list) if f.pcard]
        famE = rng.choice(pc, size=cnt["E"])
        stE = rng.integers(0, self.n_states, cnt["E"])
        self._add_free_rows(4, stE, famE, self.uniform_days(np.full(cnt["E"], W0), np.full(cnt["E"], W1)))

        # F: PO-exempt (utilities, rent): half under an agency contract in term
        candF = np.flatnonzero(has_in & c_exempt & (C["vehicle"] == AGENCY))
        nF_c = cnt["F"] // 2 if len(candF) else 0
        if nF_c:
            cF = rng.choice(candF, size=nF_c)
            finish_contract_rows(5, cF, self.uniform_days(lo_in[cF], hi_in[cF]))
        ex = [i for i, f in enumerate(self.fam_list) if f.po_exempt]
        nF = cnt["F"] - nF_c
        self._add_free_rows(5, rng.integers(0, self.n_states, nF), rng.choice(ex, size=nF),
                            self.uniform_days(np.full(nF, W0), np.full(nF, W1)))

        # G: not addressable (taxes, transfers, benefits, grants): no invoice
        na = [i for i, f in enumerate(self.fam_list) if not f.addressable]
        stG = rng.integers(0, self.n_states, cnt["G"])
        self._add_free_rows(6, stG, rng.choice(na, size=cnt["G"]),
                            self.uniform_days(np.full(cnt["G"], W0), np.full(cnt["G"], W1)))

        self._add_forced_rows(finish_contract_rows, lo_in, hi_in, c_exempt)
        self._inject_purchases()

        cat = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        self.parts = []
        cat["pdate"] = self.business_day(cat["pdate"], cat["state"])
        self._inject_dates_and_duplicates(cat)
        # order purchases by payment date (the checkbook's order)
        order = np.lexsort((rng.random(len(cat["pdate"])), cat["pdate"]))
        new_pos = np.empty(len(order), dtype=np.int64)
        new_pos[order] = np.arange(len(order))
        self.P = {k: v[order] for k, v in cat.items()}
        self.P["dup_src"] = np.where(self.P["dup_src"] >= 0, new_pos[np.maximum(self.P["dup_src"], 0)], -1)
        self._build_p2p()

    def per_state(self, mask: np.ndarray, states: np.ndarray, k: int) -> np.ndarray:
        """Up to k random positions of mask per state (sorted)."""
        out = []
        for si in range(self.n_states):
            c = np.flatnonzero(mask & (states == si))
            if len(c):
                out.append(self.rng.choice(c, size=min(k, len(c)), replace=False))
        return np.sort(np.concatenate(out)).astype(np.int64) if out else np.zeros(0, dtype=np.int64)

    def _inject_purchases(self) -> None:
        """Purchases that embed RF18, RF01, RF02, RF07 and RF16 (see the module docstring)."""
        rng, C, K = self.rng, self.C, self.k_inj
        addr_ne = [i for i, f in enumerate(self.fam_list) if f.addressable and not f.po_exempt]
        pcard_fams = [i for i, f in enumerate(self.fam_list) if f.pcard]

        def uniform_server(fi: int) -> int:
            recs = self.fam_servers[fi][0]
            return int(recs[int(rng.integers(0, len(recs)))])

        for si in range(self.n_states):
            # RF18: purchases on a master agreement by a state without a participating addendum in force
            segs = []
            for m in np.flatnonzero(C["vehicle"] == MASTER):
                if C["state"][m] == si:
                    continue
                lo, hi = max(int(C["start"][m]), W0) + 10, min(int(C["eff"][m]), W1) - 10
                if lo > hi:
                    continue
                cover = sorted((int(C["start"][c]) - 10, int(C["eff"][c]) + 10) for c in
                               np.flatnonzero((C["vehicle"] == PA) & (C["master"] == m) & (C["state"] == si)))
                cur = lo
                for a, b in cover:
                    if a > cur:
                        segs.append((int(m), cur, min(a - 1, hi)))
                    cur = max(cur, b + 1)
                if cur <= hi:
                    segs.append((int(m), cur, hi))
            segs = [x for x in segs if x[2] - x[1] >= 20]
            if segs:
                w = np.array([b - a + 1 for _, a, b in segs], dtype=float)
                pick = rng.choice(len(segs), size=K, p=w / w.sum())
                ms = np.array([segs[i][0] for i in pick], dtype=np.int64)
                dates = self.uniform_days(np.array([segs[i][1] for i in pick]), np.array([segs[i][2] for i in pick]))
                self._part(0, np.full(K, si), self.pick_agency(np.full(K, si)), C["supplier"][ms],
                           self._random_comm_in(C["fam"][ms]), ms, dates, tag=18)
                self.injected["RF18"] += K

            # RF01: split purchases: 2-4 POs just under the small-purchase threshold (p-card: 2-3 on one day
            # under the single-purchase limit) from one agency to one supplier in one category within days
            for g in range(K + 1):
                is_pcard = g == K
                fi = int(rng.choice(pcard_fams if is_pcard else addr_ne))
                sup, ag = uniform_server(fi), int(self.pick_agency(np.array([si]))[0])
                d0 = int(rng.integers(W0 + 30, W1 - 150))
                while self.near_change(si, d0, 60):
                    d0 = int(rng.integers(W0 + 30, W1 - 150))
                m = (2 + int(rng.random() < 0.3)) if is_pcard else 2 + int(rng.integers(0, 3))
                t = int(self.t_pcard(si)) if is_pcard else int(self.t_small(np.array([si]), np.array([d0]))[0])
                while True:
                    shares = rng.uniform(0.7, 1.3, m)
                    totals = (t * rng.uniform(1.05, 1.2 + 0.12 * m) * shares / shares.sum()).astype(np.int64)
                    if totals.max() < 0.97 * t and totals.sum() >= 1.02 * t:
                        break
                po_d = np.full(m, d0) if is_pcard else d0 + np.concatenate([[0], np.cumsum(rng.integers(1, 9, m - 1))])
                pd_ = po_d + (rng.integers(1, 6, m) if is_pcard else rng.integers(25, 50, m))
                self._part(4 if is_pcard else 2, np.full(m, si), np.full(m, ag), np.full(m, sup),
                           self._random_comm_in(np.full(m, fi)), np.full(m, -1), pd_, o_po_date=po_d, o_total=totals, tag=1)
                self.injected["RF01"] += 1

            # RF07: invoices without a PO above the p-card limit, in categories that need a PO
            fams = rng.choice(addr_ne, size=K)
            amounts = (self.t_pcard(si) * rng.uniform(1.3, 6.0, K)).astype(np.int64)
            self._part(2, np.full(K, si), self.pick_agency(np.full(K, si)), self.alt_record(self.pick_server(fams), 0.15),
                       self._random_comm_in(fams), np.full(K, -1), self.uniform_days(np.full(K, W0 + 60), np.full(K, W1)),
                       o_nopo=True, o_inv=amounts, tag=7)
            self.injected["RF07"] += K

            # RF16: round amounts: rent (PO-exempt, invoiced) and grants (not addressable, no invoice)
            rent = [i for i, f in enumerate(self.fam_list) if f.po_exempt]
            grant = [i for i, f in enumerate(self.fam_list) if not f.addressable]
            for j in range(K):
                amt = int(rng.integers(3, 61)) * 100_000
                d = int(rng.integers(W0 + 60, W1))
                if j % 2 == 0:
                    fi = int(rng.choice(rent))
                    sup = int(self.pick_server(np.array([fi]))[0])
                    self._part(5, [si], self.pick_agency(np.array([si])), [sup], self._random_comm_in(np.array([fi])),
                               [-1], [d], o_inv=amt, o_round=True, tag=16)
                else:
                    fi = int(rng.choice(grant))
                    sup = int(rng.choice(self.state_payees[si]))
                    self._part(6, [si], self.pick_agency(np.array([si])), [sup], self._random_comm_in(np.array([fi])),
                               [-1], [d], o_inv=amt * 10, o_round=True, tag=16)
                self.injected["RF16"] += 1

        # RF02: threshold bunching: an agency's POs of a fiscal year pile up just under the small-purchase
        # threshold. More POs than needed are drafted; _build_p2p keeps enough to beat the agency-year's other
        # POs between half the threshold and the threshold, and cancels the rest.
        base = {k: np.concatenate([p[k] for p in self.parts]) for k in ("agency", "pdate", "scen")}
        self.bunch_cells: list[tuple[int, int, int]] = []
        for si in range(self.n_states):
            fys = [fy for fy in range(WINDOW_START.year, WINDOW_END.year + 2)
                   if self.fy_bounds(si, fy)[0] >= W0 and self.fy_bounds(si, fy)[1] <= W1]
            ags = np.flatnonzero(self.ag_state == si)
            ags = ags[np.argsort(self.ag_w[ags], kind="stable")]
            combos = [(int(a), fy) for a in ags for fy in fys]
            for a, fy in combos[:min(K, 3)]:
                lo, hi = self.fy_bounds(si, fy)
                hi = min(hi, W1 - 70)
                n_base = int(((base["agency"] == a) & (base["pdate"] >= lo + 30) & (base["pdate"] <= hi + 60)
                              & np.isin(base["scen"], (0, 1, 2, 3))).sum())
                m = min(400, 6 + int(0.35 * n_base))
                po_d = np.sort(self.uniform_days(np.full(m, lo), np.full(m, hi)))
                t = self.t_small(np.full(m, si), po_d)
                totals = (t * rng.uniform(0.905, 0.995, m)).astype(np.int64)
                fams = rng.choice(addr_ne, size=m)
                cell = len(self.bunch_cells)
                self.bunch_cells.append((si, a, fy))
                self._part(2, np.full(m, si), np.full(m, a), self.alt_record(self.pick_server(fams), 0.15),
                           self._random_comm_in(fams), np.full(m, -1), po_d + rng.integers(25, 60, m),
                           o_po_date=po_d, o_total=totals, tag=2, bunch=cell)
                self.injected["RF02"] += 1

    def _inject_dates_and_duplicates(self, cat: dict[str, np.ndarray]) -> None:
        """RF15 (payments moved to a weekend or a holiday) and RF13 (duplicate invoices, appended rows)."""
        rng, K = self.rng, self.k_inj
        for si in range(self.n_states):
            cand = np.flatnonzero((cat["state"] == si) & (cat["tag"] == 0) & (cat["pdate"] >= W0 + 100)
                                  & (cat["pdate"] <= W1 - 10))
            for j, i in enumerate(rng.choice(cand, size=min(K, len(cand)), replace=False)):
                d = int(cat["pdate"][i])
                new = d + (5 - (d + 3) % 7) + int(rng.random() < 0.5)          # the next Saturday or Sunday
                if j % 2 == 1:
                    h = self.hol_days[si]
                    h = h[(h >= W0 + 100) & (h <= W1)]
                    if len(h):
                        new = int(h[np.argmin(np.abs(h - d))])
                cat["pdate"][i] = min(new, W1)
                cat["tag"][i] = 15
                self.injected["RF15"] += 1
        # RF13: the supplier sends the same invoice again, number reformatted; some are paid twice
        src = self.per_state((cat["tag"] == 0) & np.isin(cat["scen"], (0, 2)) & (cat["pdate"] <= W1 - 40),
                             cat["state"], self.k_inj)
        dup = {k: v[src].copy() for k, v in cat.items()}
        dup["pdate"] = self.business_day(cat["pdate"][src] + rng.integers(5, 26, len(src)), cat["state"][src])
        dup["dup_src"] = src
        dup["tag"][:] = 13
        cat["tag"][src] = 130
        for k in cat:
            cat[k] = np.concatenate([cat[k], dup[k]])
        self.injected["RF13"] += len(src)

    def business_day(self, days: np.ndarray, state: np.ndarray) -> np.ndarray:
        """The next business day of the state (no weekend, no holiday) on or after each date; the previous
        one when that falls after the window."""
        i = np.asarray(days, dtype=np.int64) - self.bd0
        s = np.asarray(state, dtype=np.int64)
        nxt = self.next_bd[s, i]
        return np.where(nxt > W1, self.prev_bd[s, i], nxt)

    def _random_comm_in(self, fam: np.ndarray) -> np.ndarray:
        sizes = np.array([len(self.fam_comms[i]) for i in range(len(self.fam_list))])
        maxk = sizes.max()
        table = np.full((len(self.fam_list), maxk), -1, dtype=np.int64)
        for i in range(len(self.fam_list)):
            table[i, :sizes[i]] = self.fam_comms[i]
        fam = np.asarray(fam, dtype=np.int64)
        k = np.floor(self.rng.random(len(fam)) * sizes[fam]).astype(np.int64)
        return table[fam, k]

    def _add_free_rows(self, scen, st, fam, dates) -> None:
        st = np.asarray(st, dtype=np.int64)
        fam = np.asarray(fam, dtype=np.int64)
        ag = self.pick_agency(st)
        if scen == 6:
            sup = np.array([int(self.rng.choice(self.state_payees[int(s)])) for s in st], dtype=np.int64)
        else:
            sup = self.alt_record(self.pick_server(fam), 0.15)
        comm = self._random_comm_in(fam)
        self._part(scen, st, ag, sup, comm, np.full(len(st), -1), np.asarray(dates, dtype=np.int64))

    def _add_forced_rows(self, finish_contract_rows, lo_in, hi_in, c_exempt) -> None:
        """Guarantee every state x fiscal year has in-term, off-term and maverick payments."""
        rng, C = self.rng, self.C
        A_c, A_d, B_c, B_d, D_st, D_fam, D_d = [], [], [], [], [], [], []
        usable = np.isin(C["vehicle"], (AGENCY, STATEWIDE, PA)) & ~c_exempt & ~C["low_use"]
        for si in range(self.n_states):
            s = int(self.fy_start[si])
            fys = sorted(set(int(x) for x in fiscal_year(np.arange(W0, W1 + 1), np.full(W1 - W0 + 1, s))))
            for fy in fys:
                fy_lo, fy_hi = self.fy_bounds(si, fy)
                lo, hi = max(fy_lo, W0), min(fy_hi, W1)
                mine = usable & (C["state"] == si)
                a_lo, a_hi = np.maximum(lo_in, lo), np.minimum(hi_in, hi)
                cands = np.flatnonzero(mine & (a_lo <= a_hi))
                for c in rng.choice(cands, size=3) if len(cands) else []:
                    A_c.append(c); A_d.append(int(rng.integers(a_lo[c], a_hi[c] + 1)))
                b_lo, b_hi = np.maximum(C["eff"] + 1, lo), np.full(len(C["eff"]), hi)
                cands = np.flatnonzero(mine & (b_lo <= b_hi))
                for c in rng.choice(cands, size=3) if len(cands) else []:
                    B_c.append(c); B_d.append(int(rng.integers(b_lo[c], b_hi[c] + 1)))
                cov = np.flatnonzero(np.isin(C["vehicle"], (STATEWIDE, PA)) & (C["state"] == si) & (a_lo <= a_hi)
                                     & ~C["low_use"])
                for c in rng.choice(cov, size=3) if len(cov) else []:
                    D_st.append(si); D_fam.append(int(C["fam"][c])); D_d.append(int(rng.integers(a_lo[c], a_hi[c] + 1)))
            # paid after the original end but inside an amendment's extension
            ext = np.flatnonzero(usable & (C["state"] == si) & (C["eff"] > C["end"]) & (C["end"] < W1) & (C["eff"] > W0))
            for c in rng.choice(ext, size=2) if len(ext) else []:
                A_c.append(c); A_d.append(int(rng.integers(max(C["end"][c] + 1, W0), min(C["eff"][c], W1) + 1)))
        if A_c:
            finish_contract_rows(0, np.array(A_c, dtype=np.int64), np.array(A_d, dtype=np.int64))
        if B_c:
            finish_contract_rows(1, np.array(B_c, dtype=np.int64), np.array(B_d, dtype=np.int64))
            self.injected["RF04"] += len(B_c)
        if D_st:
            self._add_free_rows(3, np.array(D_st), np.array(D_fam), np.array(D_d))

    def _build_p2p(self) -> None:
        """POs, lines, receipts, requisitions, invoices and payments, derived backwards from the payment date
        (forwards from the PO date where a pattern fixes it)."""
        rng, C, P, K = self.rng, self.C, self.P, self.k_inj
        n = len(P["pdate"])
        scen, tag = P["scen"], P["tag"]
        dup = P["dup_src"] >= 0
        dsrc = P["dup_src"][dup]
        is_src = np.zeros(n, dtype=bool)
        is_src[dsrc] = True
        free = tag == 0
        o_date = P["o_po_date"] != NULL_DATE
        o_total = P["o_total"] > 0
        pcard = scen == 4
        has_po = np.isin(scen, (0, 1, 2, 3, 4)) & ~P["o_nopo"] & ~dup
        no_po_invoice = (scen == 2) & free & (rng.random(n) < 0.03)   # small non-exempt invoices without a PO
        has_po &= ~no_po_invoice
        cancel = (scen == 2) & free & has_po & (rng.random(n) < 0.005)  # POs cancelled before anything happened
        pricing = np.where(P["contract"] >= 0, P["contract"], 0)
        pricing = np.where(C["vehicle"][pricing] == PA, C["master"][pricing], pricing)
        pricing = np.where(P["contract"] >= 0, pricing, -1)

        # dates (backwards from the payment)
        u = rng.random(n)
        lag = np.where(u < 0.15, rng.integers(2, 10, n), np.where(u < 0.78, rng.integers(10, 31, n), rng.integers(31, 76, n)))
        received = P["pdate"] - lag
        inv_date = received - rng.integers(0, 8, n)
        rc_date = inv_date - rng.integers(0, 6, n)
        lead = rng.integers(2, 31, n)
        po_date = np.where(pcard, P["pdate"] - rng.integers(1, 6, n), rc_date - lead)
        # confirming orders: the PO follows the invoice by a day or two (12.3; RF06 needs 3 days or more)
        atf = has_po & ~pcard & free & (rng.random(n) < 0.03)
        po_date = np.where(atf, np.minimum(inv_date + rng.integers(1, 3, n), P["pdate"] - 1), po_date)
        rc_date = np.where(pcard, po_date + rng.integers(0, 4, n), rc_date)
        # PO dates fixed by a pattern (RF01, RF02): the chain runs forwards from the PO
        po_f = P["o_po_date"]
        rc_f = po_f + np.where(pcard, rng.integers(0, 4, n), rng.integers(2, 11, n))
        inv_f = rc_f + rng.integers(0, 4, n)
        po_date = np.where(o_date, po_f, po_date)
        rc_date = np.where(o_date, rc_f, rc_date)
        inv_date = np.where(o_date & ~pcard, inv_f, inv_date)
        received = np.where(o_date & ~pcard, np.minimum(inv_f + rng.integers(0, 4, n), P["pdate"] - 2), received)
        # RF13 duplicates: the same invoice date, received again later
        inv_date[dup] = inv_date[dsrc]
        received[dup] = np.maximum(np.minimum(received[dsrc] + rng.integers(3, 21, len(dsrc)), P["pdate"][dup] - 2),
                                   inv_date[dup])
        # RF06: POs raised 3-20 days after the invoice they cover
        ok06 = has_po & ~pcard & free & ~atf & ~cancel & (P["pdate"] - inv_date >= 10)
        c06 = self.per_state(ok06, P["state"], K)
        po_date[c06] = inv_date[c06] + np.minimum(rng.integers(3, 21, len(c06)), P["pdate"][c06] - inv_date[c06] - 1)
        tag[c06] = 6
        self.injected["RF06"] += len(c06)
        late_rc = rng.random(n) < 0.15
        promised = np.where(late_rc, rc_date - rng.integers(1, 11, n), rc_date + rng.integers(0, 8, n))

        # PO lines
        po_idx = np.flatnonzero(has_po)
        n_po = len(po_idx)
        nl = np.where(pcard[po_idx], rng.integers(1, 3, n_po), rng.choice([1, 2, 3, 4], size=n_po, p=[.5, .25, .15, .1]))
        nl = np.where(o_total[po_idx], 1, nl)
        line_po = np.repeat(np.arange(n_po), nl)
        line_no = np.arange(len(line_po)) - np.repeat(np.cumsum(nl) - nl, nl) + 1
        first_line = line_no == 1
        pc = po_idx[line_po]                                      # purchase index of each line
        same = first_line | (rng.random(len(pc)) < 0.5)
        line_comm = np.where(same, P["comm"][pc], self._random_comm_in(self.comm_fam[P["comm"][pc]]))
        isz = np.array([len(self.comm_items[i]) for i in range(len(self.comms))])
        ifirst = np.array([self.comm_items[i][0] for i in range(len(self.comms))])
        item = ifirst[line_comm] + np.floor(rng.random(len(pc)) * isz[line_comm]).astype(np.int64)
        base = self.item_base[item]
        lpr = pricing[pc]
        contract_price = np.round(base * self.C["cfac"][np.where(lpr >= 0, lpr, 0)]).astype(np.int64)
        on_c = lpr >= 0
        # lines on a contract are bought at the contract price
        unit = np.where(on_c, contract_price, np.round(base * rng.uniform(0.9, 1.3, len(pc)))).astype(np.int64)
        # RF17: a few lines priced above the price list of the contract the PO cites, in its term
        lprc = np.maximum(lpr, 0)
        ok17 = (on_c & (P["contract"][pc] == lpr) & (tag[pc] == 0) & ~cancel[pc] & (po_date[pc] >= C["start"][lprc])
                & (po_date[pc] <= C["eff"][lprc]))
        c17 = self.per_state(ok17, P["state"][pc], K)
        unit[c17] = np.round(contract_price[c17] * rng.uniform(1.04, 1.25, len(c17))).astype(np.int64)
        tag[pc[c17]] = 17
        self.injected["RF17"] += len(c17)
        unit = np.maximum(unit, 1)
        fam_of = self.comm_fam[line_comm]
        qlo = np.array([f.qty[0] for f in self.fam_list])[fam_of]
        qhi = np.array([f.qty[1] for f in self.fam_list])[fam_of]
        qty = qlo + np.floor(rng.random(len(pc)) ** 2 * (qhi - qlo + 1)).astype(np.int64)
        qty = np.where(pcard[pc], np.minimum(qty, 3), qty)
        line_cents = np.maximum((qty * unit + 50) // 100, 1)
        # p-card buys stay under the state's single-purchase limit
        limit = self.pcard_limit[P["state"][pc]]
        cap = pcard[pc] & (line_cents * 2 > limit)
        qty = np.where(cap, 1, qty)
        unit = np.where(cap, np.minimum(unit, limit * 40), unit)
        # a PO total fixed by a pattern: one line, a quantity near total / item price, the unit price to match
        ot = o_total[pc]
        target = P["o_total"][pc] * 100                            # 1/10,000 USD
        q_o = np.clip(np.round(target / np.maximum(base, 1)), 1, 400).astype(np.int64)
        qty = np.where(ot, q_o, qty)
        unit = np.where(ot, np.round(target / q_o).astype(np.int64), unit)
        line_cents = np.maximum((qty * unit + 50) // 100, 1)
        po_total = np.zeros(n_po, dtype=np.int64)
        np.add.at(po_total, line_po, line_cents)
        total_of = np.zeros(n, dtype=np.int64)
        total_of[po_idx] = po_total

        # RF02: keep enough bunched POs to beat the agency-year's other POs in [T/2, T); cancel the rest
        p_fy = fiscal_year(po_date, self.fy_start[P["state"]])
        t_po = self.t_small(P["state"], po_date)
        in90 = (10 * total_of >= 9 * t_po) & (total_of < t_po)
        in50 = (2 * total_of >= t_po) & (total_of < t_po)
        for cell, (si, a, fy) in enumerate(self.bunch_cells):
            rows = np.flatnonzero(P["bunch"] == cell)
            others = has_po & ~pcard & ~cancel & (P["agency"] == a) & (P["bunch"] != cell) & (p_fy == fy)
            b90, b50 = int((others & in90).sum()), int((others & in50).sum())
            keep = min(len(rows), max(5 - b90, b50 - 2 * b90, 0) + 2)
            cancel[rng.permutation(rows)[keep:]] = True
        has_inv = np.isin(scen, (0, 1, 2, 3, 5)) & ~cancel

        # invoice amounts
        amount = total_of.copy()
        nopo = np.flatnonzero(~has_po)
        fam_np = self.comm_fam[P["comm"][nopo]]
        plo = np.array([f.price[0] for f in self.fam_list])[fam_np]
        phi = np.array([f.price[1] for f in self.fam_list])[fam_np]
        amount[nopo] = np.round(np.exp(rng.uniform(np.log(plo), np.log(phi))) * 100).astype(np.int64)
        # ordinary invoices without a PO stay under the p-card limit (RF07 flags the ones above it)
        lim = self.pcard_limit[P["state"][nopo]]
        small = (scen[nopo] == 2) & (amount[nopo] >= lim)
        amount[nopo] = np.where(small, (lim * rng.uniform(0.3, 0.95, len(nopo))).astype(np.int64), amount[nopo])
        amount = np.where(P["o_inv"] > 0, P["o_inv"], amount)
        match = np.full(n, "not_applicable", dtype=object)
        um = rng.random(n)
        match[has_po] = np.where(um[has_po] < 0.88, "first_pass", np.where(um[has_po] < 0.97, "after_exception", "unmatched"))
        match[dup] = match[dsrc]
        inv_amount = np.where((match == "unmatched"), np.round(amount * rng.uniform(1.0, 1.05, n)).astype(np.int64), amount)
        inv_amount[dup] = inv_amount[dsrc]
        plain = P["o_round"] | dup
        terms_u = rng.random(n)
        disc_pct = np.where(terms_u < 0.2, 2, np.where(terms_u < 0.25, 1, 0))
        disc_pct = np.where(plain, 0, disc_pct)
        disc_days = np.where(disc_pct == 2, 10, 15)
        terms = np.where(disc_pct == 2, "2/10 net 30", np.where(disc_pct == 1, "1/15 net 30", "net 30"))
        terms = np.where(rng.random(n) < 0.05, None, terms).astype(object)
        offered = np.where(disc_pct > 0, (inv_amount * disc_pct + 50) // 100, 0)
        due = received + 30
        taken = np.where((disc_pct > 0) & (P["pdate"] - inv_date <= disc_days), offered, 0)
        days_late = np.maximum(P["pdate"] - due, 0)
        interest = np.where((days_late > 0) & (rng.random(n) < 0.7) & ~plain,
                            (inv_amount * days_late * 12 + 18250) // 36500, 0)
        pay_amount = inv_amount - taken + interest

        # payments: one per purchase, some invoices paid in two instalments, a few refunds (neither on cooperative
        # contracts: their sales reports mirror the payments, and a late instalment could outlive the
        # addendum), some duplicates paid twice (RF13, RF14)
        coop = (P["contract"] >= 0) & np.isin(C["vehicle"][np.maximum(P["contract"], 0)], (MASTER, PA))
        payable = ~cancel & ~(dup & (rng.random(n) < 0.4))
        ordinary = (tag == 0) & ~is_src & payable
        split = ordinary & has_inv & ~coop & (taken == 0) & (interest == 0) & (rng.random(n) < 0.05)
        second_date = self.business_day(P["pdate"] + rng.integers(7, 31, n), P["state"])
        split &= second_date <= W1
        first_part = np.where(split, (pay_amount * rng.integers(50, 81, n)) // 100, pay_amount)
        refund = ordinary & has_inv & ~coop & (rng.random(n) < 0.006)
        refund_date = self.business_day(P["pdate"] + rng.integers(10, 91, n), P["state"])
        refund &= refund_date <= W1
        refund_amt = -np.maximum((first_part * rng.integers(5, 101, n)) // 100, 1)
        # RF14: the same amount paid to the supplier again the same or the next day, without an invoice
        c14 = self.per_state(ordinary & has_inv & ~split & ~refund & (first_part > 0), P["state"], K)
        nxt = P["pdate"][c14] + 1
        nxt_ok = (nxt <= W1) & self.is_bd[P["state"][c14], np.minimum(nxt, W1) - self.bd0] & (rng.random(len(c14)) < 0.5)
        d14 = np.where(nxt_ok, nxt, P["pdate"][c14])
        tag[c14] = 14
        self.injected["RF14"] += len(c14)
        pays = np.flatnonzero(payable)
        pay_src = np.concatenate([pays, np.flatnonzero(split), np.flatnonzero(refund), c14])
        pay_date = np.concatenate([P["pdate"][pays], second_date[split], refund_date[refund], d14])
        pay_cents = np.concatenate([first_part[pays], (pay_amount - first_part)[split], refund_amt[refund], first_part[c14]])
        pay_kind = np.concatenate([np.zeros(len(pays), int), np.ones(split.sum(), int), np.full(refund.sum(), 2),
                                   np.full(len(c14), 3)])
        porder = np.lexsort((pay_kind, pay_src, pay_date))
        pay_src, pay_date, pay_cents, pay_kind = pay_src[porder], pay_date[porder], pay_cents[porder], pay_kind[porder]

        # ids: invoices ordered by received date, POs by PO date
        inv_idx = np.flatnonzero(has_inv)
        inv_order = inv_idx[np.lexsort((inv_idx, received[inv_idx]))]
        inv_seq = np.full(n, -1, dtype=np.int64)
        inv_seq[inv_order] = np.arange(len(inv_order))
        po_order = np.lexsort((np.arange(n_po), po_date[po_idx]))
        po_seq_of_po = np.empty(n_po, dtype=np.int64)
        po_seq_of_po[po_order] = np.arange(n_po)
        po_seq = np.full(n, -1, dtype=np.int64)
        po_seq[po_idx] = po_seq_of_po
        po_seq[dup] = po_seq[dsrc]                                 # a duplicate cites the original's PO

        self.V = dict(n=n, has_po=has_po, has_inv=has_inv, pcard=pcard, received=received, inv_date=inv_date,
                      rc_date=rc_date, po_date=po_date, promised=promised, po_idx=po_idx, n_po=n_po, line_po=line_po,
                      line_no=line_no, line_comm=line_comm, item=item, qty=qty, unit=unit, line_cents=line_cents,
                      po_total=po_total, match=match, inv_amount=inv_amount, terms=terms, offered=offered, due=due,
                      taken=taken, interest=interest, pay_src=pay_src, pay_date=pay_date, pay_cents=pay_cents,
                      pay_kind=pay_kind, inv_order=inv_order, inv_seq=inv_seq, po_order=po_order, po_seq=po_seq,
                      po_seq_of_po=po_seq_of_po, disc_pct=disc_pct, cancel=cancel, dup=dup)

    # ---------------------------------------------------------------- after the payments: values, exclusions
    def adjust_contract_values(self) -> None:
        """RF05: a few contracts whose ceiling the payments overrun (the value was set below the spend); every
        other contract's ceiling covers its spend (raised where the random spend went over it)."""
        rng, C, P, V, K = self.rng, self.C, self.P, self.V, self.k_inj
        nc = self.n_contracts
        ref = P["contract"][V["pay_src"]]
        paid = np.zeros(nc, dtype=np.int64)
        np.add.at(paid, ref[ref >= 0], V["pay_cents"][ref >= 0])
        amended = np.zeros(nc, dtype=bool)
        amended[[c for c, ch in zip(self.A["contract"], self.A["change"]) if ch != 0]] = True
        bids_of: dict[int, list[int]] = {}
        for j, s_i in enumerate(self.B["sol"]):
            bids_of.setdefault(int(s_i), []).append(j)

        def set_value(c: int, new: int) -> None:
            old = int(C["value"][c])
            C["current"][c] += new - old
            C["value"][c] = new
            if C["award"][c] >= 0:
                self.AW["value"][int(C["award"][c])] = new
                s_i = int(C["sol"][c])
                f = new / old
                self.S["est"][s_i] = int(self.S["est"][s_i] * f)
                for k, j in enumerate(bids_of.get(s_i, [])):
                    self.B["amount"][j] = new if k == 0 else int(self.B["amount"][j] * f)

        cand = ((C["tag"] == 0) & np.isin(C["vehicle"], (AGENCY, STATEWIDE)) & ~amended & (paid >= 2_000_000)
                & (C["award"] >= 0))
        for c in self.per_state(cand, C["state"], K):
            set_value(int(c), max(100_000, int(paid[c] * rng.uniform(0.75, 0.93)) // 1000 * 1000))
            C["tag"][c] = 5
            self.injected["RF05"] += 1
        for c in np.flatnonzero((paid > C["current"]) & np.isin(C["tag"], (0, 20))):
            need = int(paid[c] - (C["current"][c] - C["value"][c]))
            set_value(int(c), int(need * rng.uniform(1.15, 1.5)) // 1000 * 1000 + 1000)

    def inject_exclusions(self) -> None:
        """RF12: suppliers excluded (state or federal list) while they were still being paid, matched by tax id
        (the list carries another name) or by a variant of the name (no tax id on the list)."""
        rng, P, V, K = self.rng, self.P, self.V, self.k_inj
        src = V["pay_src"]
        pos = V["pay_cents"] > 0
        sup, st, d = P["supplier"][src][pos], P["state"][src][pos], V["pay_date"][pos]
        used: set[int] = set()
        for si in range(self.n_states):
            recs, counts = np.unique(sup[st == si], return_counts=True)
            commercial = np.array([self.ent_kind[self.rec_ent[r]] == "commercial" for r in recs], dtype=bool)
            ok = commercial & (counts >= 2) & (counts <= max(2, np.median(counts)))
            cand = [int(r) for r in recs[ok] if "." not in self.rec_name[int(r)]]
            for j in range(K):
                mode = (j + si) % 4                 # 0, 1: by tax id; 2, 3: by name; 0, 2: state list, 1, 3: federal
                by_tax = mode < 2
                pool = [r for r in cand if r not in used and (self.rec_tax[r] is not None or not by_tax)]
                if not pool:
                    break
                r = pool[int(rng.integers(0, len(pool)))]
                used.add(r)
                dates = np.sort(d[(sup == r) & (st == si)])
                start = int(dates[len(dates) // 2]) - int(rng.integers(0, 10))
                end = None if rng.random() < 0.5 else start + int(rng.integers(400, 900))
                name = self.rec_name[r]
                if by_tax:   # listed under a former / trade name, with the tax id
                    excl = f"{self.fake.last_name()} {self.fake.random_element(('Holdings', 'Enterprises', 'Group'))}"
                    self.add_exclusion(excl.upper(), self.rec_tax[r], si if mode == 0 else None, start, end)
                else:        # listed by name only, written the list's way
                    words = re.sub(r"[^A-Za-z0-9 ]", " ", name).upper().split()
                    legal = words[-1] in ("INC", "INCORPORATED", "CORP", "CORPORATION", "LLC", "CO", "COMPANY",
                                          "LTD", "LP", "LLP")
                    excl = " ".join(words) + ("" if legal else " INC")
                    self.add_exclusion(excl, None, si if mode == 2 else None, start, end)
                self.injected["RF12"] += 1
        self.put("exclusions", self.exc_rows)

    # ---------------------------------------------------------------- tables from arrays
    def emit_sourcing_tables(self) -> None:
        rng, C, S, B, AW, A = self.rng, self.C, self.S, self.B, self.AW, self.A
        nc = self.n_contracts
        sol_ids = fmt.prefixed("SOL", np.arange(1, len(S["state"]) + 1), 6)
        awd_ids = fmt.prefixed("AWD", np.arange(1, len(AW["sol"]) + 1), 6)
        self.contract_ids = fmt.prefixed("CT", np.arange(1, nc + 1), 6)
        st_codes = pl.Series("s", [s.code for s in self.states], dtype=pl.Utf8)
        S_ag = np.array(S["agency"], dtype=np.int64)
        self.put("solicitations", {
            "solicitation_id": sol_ids, "state_code": fmt.ref(st_codes, S["state"]),
            "agency_id": fmt.ref(self.ag_ids, S_ag), "title": S["title"], "method": S["method"],
            "commodity_code": fmt.ref(self.comm_codes, S["comm"]), "issue_date": fmt.s_date(S["issue"]),
            "close_date": fmt.s_date(S["close"]), "estimated_value": fmt.s_money(S["est"]),
            "is_emergency": fmt.s_bool(S["emerg"]), "is_electronic_submission": fmt.s_bool(S["elec"]),
            "status": S["status"]})
        nb = len(B["sol"])
        self.put("bids", {
            "bid_id": fmt.prefixed("BID", np.arange(1, nb + 1), 7), "solicitation_id": fmt.ref(sol_ids, B["sol"]),
            "supplier_id": fmt.ref(self.sup_ids, B["supplier"]), "submitted_date": fmt.s_date(B["date"]),
            "bid_amount": fmt.s_money(B["amount"]), "is_responsive": fmt.s_bool(B["resp"])})
        self.tables["bids"] = _Lazy.of(self.tables["bids"], month=np.array(B["date"], dtype=np.int64))
        self.put("awards", {
            "award_id": awd_ids, "solicitation_id": fmt.ref(sol_ids, AW["sol"]),
            "supplier_id": fmt.ref(self.sup_ids, AW["supplier"]), "award_date": fmt.s_date(AW["date"]),
            "published_date": fmt.s_date(AW["pub"]), "award_value": fmt.s_money(AW["value"]), "status": AW["status"]})
        # requisitions for agency-issued solicitations (central-office ones get the requesting agency)
        S_state = np.array(S["state"], dtype=np.int64)
        req_ag = np.where(S_ag >= 0, S_ag, self.pick_agency(S_state))
        issue = np.array(S["issue"], dtype=np.int64)
        r_created = issue - rng.integers(20, 91, len(issue))
        r_approved = r_created + rng.integers(1, 21, len(issue))
        self._sol_req = dict(state=S_state, agency=req_ag, comm=np.array(S["comm"]), created=r_created,
                             approved=r_approved, est=np.array(S["est"], dtype=np.int64))

        prog = [p for p in C["program"]]
        lead = [self.states[int(C["state"][c])].code if C["vehicle"][c] == MASTER else None for c in range(nc)]
        fee = [("0.0025" if COOP_FEE_RATE.get(prog[c]) else None) if C["vehicle"][c] in (MASTER, PA) else None
               for c in range(nc)]
        titles = []
        for c in range(nc):
            ft = self.comms[int(C["comm"][c])].family_title
            v = int(C["vehicle"][c])
            titles.append(f"{ft} ({prog[c]} master agreement)" if v == MASTER else
                          f"{ft} ({prog[c]} participating addendum)" if v == PA else
                          f"Statewide contract: {ft}" if v == STATEWIDE else ft)
        self.put("contracts", {
            "contract_id": self.contract_ids, "contract_number": C["number"],
            "state_code": fmt.ref(st_codes, C["state"]), "agency_id": fmt.ref(self.ag_ids, C["agency"]),
            "supplier_id": fmt.ref(self.sup_ids, C["supplier"]), "title": titles,
            "vehicle": [VEHICLES[int(v)] for v in C["vehicle"]], "coop_program": prog,
            "master_contract_id": fmt.ref(self.contract_ids, C["master"]), "lead_state_code": lead,
            "award_id": fmt.ref(awd_ids, C["award"]), "commodity_code": fmt.ref(self.comm_codes, C["comm"]),
            "procurement_method": C["method"], "signed_date": fmt.s_date(C["signed"]),
            "start_date": fmt.s_date(C["start"]), "end_date": fmt.s_date(C["end"]),
            "original_value": fmt.s_money(C["value"]), "current_value": fmt.s_money(C["current"]),
            "admin_fee_rate": fee})
        na = len(A["contract"])
        order = sorted(range(na), key=lambda i: (A["contract"][i], A["num"][i]))
        self.put("contract_amendments", {
            "amendment_id": fmt.prefixed("AMD", np.arange(1, na + 1), 6),
            "contract_id": fmt.ref(self.contract_ids, [A["contract"][i] for i in order]),
            "amendment_number": [str(A["num"][i]) for i in order],
            "amendment_date": fmt.s_date([A["date"][i] for i in order]),
            "value_change": fmt.s_money([A["change"][i] for i in order]),
            "new_end_date": fmt.s_date([NULL_DATE if A["new_end"][i] is None else A["new_end"][i] for i in order]),
            "reason": [A["reason"][i] for i in order]})
        # price lists: every non-PA contract prices the catalogue items of its family (PAs use the master's)
        pc, pi = [], []
        for c in range(nc):
            if C["vehicle"][c] == PA:
                continue
            for ci in self.fam_comms[int(C["fam"][c])]:
                for it in self.comm_items[int(ci)]:
                    pc.append(c); pi.append(int(it))
        pc, pi = np.array(pc, dtype=np.int64), np.array(pi, dtype=np.int64)
        cp = np.round(self.item_base[pi] * C["cfac"][pc]).astype(np.int64)
        lp = np.maximum(np.round(self.item_base[pi] * self.item_listfac[pi]).astype(np.int64), cp)
        self.put("contract_prices", {
            "contract_id": fmt.ref(self.contract_ids, pc), "item_number": fmt.ref(self.item_num, pi),
            "item_description": fmt.ref(self.item_desc, pi), "commodity_code": fmt.ref(self.comm_codes, self.item_comm[pi]),
            "unit_of_measure": fmt.ref(self.item_uom, pi), "contract_price": fmt.s_price(cp),
            "list_price": fmt.s_price(lp), "effective_from": fmt.s_date(C["start"][pc]),
            "effective_to": fmt.s_date(C["eff"][pc])})

    def emit_p2p_tables(self) -> None:
        """Requisitions, POs, lines, receipts, invoices, payments: the random draws and numeric columns for the
        whole table here (in a fixed order), the text a block of rows at a time when the files are written."""
        rng, C, P, V = self.rng, self.C, self.P, self.V
        st_codes = pl.Series("s", [s.code for s in self.states], dtype=pl.Utf8)
        n = V["n"]
        po_idx, po_order = V["po_idx"], V["po_order"]
        # ---- purchase orders (rows in PO-date order)
        pp = po_idx[po_order]                                    # purchase of each PO row
        n_po = V["n_po"]
        contract = P["contract"][pp]
        on_c = contract >= 0
        u = rng.random(n_po)
        pcard_pp = V["pcard"][pp]
        channel = np.where(pcard_pp, 0, np.where(on_c, np.where(u < 0.35, 1, np.where(u < 0.55, 2, 3)),
                                                 np.where(u < 0.08, 1, 3))).astype(np.int8)
        del u
        channel = np.where((P["o_total"][pp] > 0) & ~pcard_pp, 3, channel).astype(np.int8)
        release = on_c & (channel != 0) & (rng.random(n_po) < 0.5)
        del on_c
        channels = pl.Series("c", ["pcard", "catalog", "punchout", "manual"], dtype=pl.Utf8)
        cnum = pl.Series("c", self.C["number"], dtype=pl.Utf8)
        po_state = P["state"][pp]
        rel_contract = np.where(release, contract, -1)
        del release

        def po_number(sel) -> pl.Series:
            i = _rows(sel, n_po) + 1
            df = pl.DataFrame({"s": fmt.ref(st_codes, po_state[sel]), "n": fmt.prefixed("", i, 7),
                               "c": fmt.ref(cnum, rel_contract[sel]), "r": fmt.prefixed("", i, 6)})
            return df.select(pl.when(pl.col("c").is_not_null()).then(pl.col("c") + pl.lit(":") + pl.col("r"))
                             .otherwise(pl.col("s") + pl.lit("-PO-") + pl.col("n")).alias("v"))["v"]

        # requisitions behind 70% of non-p-card POs
        has_req = ~pcard_pp & (rng.random(n_po) < 0.7)
        req_po = np.flatnonzero(has_req)
        del has_req
        fast = np.isin(channel[req_po], (1, 2))
        po_date_pp = _G(V["po_date"], pp)
        appr = V["po_date"][pp[req_po]] - np.where(fast, rng.integers(0, 2, len(req_po)), rng.integers(0, 11, len(req_po)))
        del fast
        created = appr - rng.integers(0, 8, len(req_po))
        sr = self._sol_req
        n_sr = len(sr["state"])
        n_extra = max(3, int(round(0.04 * (n_sr + len(req_po)))))
        ex_st = rng.integers(0, self.n_states, n_extra)
        ex_created = W1 - rng.integers(0, 300, n_extra)
        ex_status = np.where(rng.random(n_extra) < 0.5, 2, 3)
        req_state = np.concatenate([sr["state"], po_state[req_po], ex_st])
        req_agency = np.concatenate([sr["agency"], P["agency"][pp][req_po], self.pick_agency(ex_st)])
        req_comm = np.concatenate([sr["comm"], P["comm"][pp][req_po], rng.integers(0, len(self.comms), n_extra)])
        req_created = np.concatenate([sr["created"], created, ex_created])
        req_appr = np.concatenate([sr["approved"], appr, np.where(ex_status == 3, ex_created + 3, NULL_DATE)])
        req_est = np.concatenate([sr["est"], V["po_total"][po_order][req_po] * rng.integers(90, 121, len(req_po)) // 100,
                                  rng.integers(50_000, 5_000_000, n_extra)])
        req_status = np.concatenate([np.zeros(n_sr, np.int8), np.ones(len(req_po), np.int8), ex_status.astype(np.int8)])
        del created, appr
        ro = np.lexsort((np.arange(len(req_created)), req_created))
        req_seq = np.empty(len(ro), dtype=np.int64)
        req_seq[ro] = np.arange(len(ro))
        n_req = len(ro)
        req_created = req_created[ro]
        self.put_lazy("requisitions", n_req, {
            "requisition_id": _seq("REQ", 8, n_req), "state_code": _col(fmt.ref, st_codes, req_state[ro]),
            "agency_id": _col(fmt.ref, self.ag_ids, req_agency[ro]),
            "commodity_code": _col(fmt.ref, self.comm_codes, req_comm[ro]),
            "created_date": _col(fmt.s_date, req_created), "approved_date": _col(fmt.s_date, req_appr[ro]),
            "estimated_amount": _col(fmt.s_money, req_est[ro]),
            "status": _col(fmt.ref, pl.Series("s", ["approved", "ordered", "draft", "cancelled"]), req_status[ro])},
            month=req_created)
        del req_state, req_agency, req_comm, req_appr, req_est, req_status, ro
        po_req = np.full(n_po, -1, dtype=np.int64)
        po_req[req_po] = req_seq[n_sr + np.arange(len(req_po))]
        del req_seq, req_po
        status = np.where(rng.random(n_po) < 0.7, 0, 1).astype(np.int8)
        status = np.where(V["cancel"][pp], 2, status).astype(np.int8)
        approval = (rng.random(n_po) >= 0.85).astype(np.int8)
        self.put_lazy("purchase_orders", n_po, {
            "po_id": _seq("PO", 8, n_po), "po_number": po_number, "state_code": _col(fmt.ref, st_codes, po_state),
            "agency_id": _col(fmt.ref, self.ag_ids, _G(P["agency"], pp)),
            "supplier_id": _col(fmt.ref, self.sup_ids, _G(P["supplier"], pp)),
            "requisition_id": _col(fmt.ref, _LazyIds("REQ", 8), po_req),
            "contract_id": _col(fmt.ref, self.contract_ids, contract),
            "po_date": _col(fmt.s_date, po_date_pp), "total_amount": _col(fmt.s_money, _G(V["po_total"], po_order)),
            "channel": _col(fmt.ref, channels, channel),
            "approval_method": _col(fmt.ref, pl.Series("a", ["electronic", "paper"]), approval),
            "status": _col(fmt.ref, pl.Series("s", ["closed", "received", "cancelled"]), status)},
            month=po_date_pp)
        del contract, channel, status, approval, pcard_pp
        # ---- lines and receipts (grouped by PO id)
        lp = V["po_seq_of_po"][V["line_po"]]
        lo = np.lexsort((V["line_no"], lp))
        lpo = lp[lo]
        del lp
        item = _G(V["item"], lo)
        purch = po_idx[V["line_po"][lo]]
        line_no = _G(V["line_no"], lo)
        qty = _G(V["qty"], lo)
        po_ids = _LazyIds("PO", 8)
        self.put_lazy("purchase_order_lines", len(lo), {
            "po_id": _col(fmt.ref, po_ids, lpo), "line_number": _col(fmt.s_int, line_no),
            "item_number": _col(fmt.ref, self.item_num, item), "item_description": _col(fmt.ref, self.item_desc, item),
            "commodity_code": _col(fmt.ref, self.comm_codes, _G(V["line_comm"], lo)),
            "quantity": _col(lambda q: fmt.s_price(q * 10_000), qty),
            "unit_of_measure": _col(fmt.ref, self.item_uom, item), "unit_price": _col(fmt.s_price, _G(V["unit"], lo)),
            "line_amount": _col(fmt.s_money, _G(V["line_cents"], lo))},
            month=_G(po_date_pp, lpo))
        nl = len(lo)
        rdate = V["rc_date"][purch] + np.where(rng.random(nl) < 0.1, -rng.integers(0, 3, nl), 0)
        promised = np.where(rng.random(nl) < 0.05, NULL_DATE, V["promised"][purch])
        rk = ~V["cancel"][purch]                                 # nothing is received on a cancelled PO
        del purch
        nr = int(rk.sum())
        rk = np.flatnonzero(rk)
        rdate = rdate[rk]
        self.put_lazy("receipts", nr, {
            "receipt_id": _seq("RCV", 8, nr), "po_id": _col(fmt.ref, po_ids, _G(lpo, rk)),
            "line_number": _col(fmt.s_int, _G(line_no, rk)), "receipt_date": _col(fmt.s_date, rdate),
            "promised_date": _col(fmt.s_date, promised[rk]),
            "quantity_received": _col(lambda q: fmt.s_price(q * 10_000), _G(qty, rk))},
            month=rdate)
        del rdate, promised, rk, lpo, line_no, qty, item, lo
        # ---- invoices (received-date order)
        io = V["inv_order"]
        n_inv = len(io)
        sup = _G(P["supplier"], io)
        style = (self.rec_ent[P["supplier"][io]] % 3).astype(np.int8)
        inv_year = V["inv_date"][io].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

        def inv_number(i: np.ndarray) -> pl.Series:
            """The supplier's invoice number of invoice rows i (before any RF13 rewriting)."""
            num = pl.Series("n", (i * 7919 + 104_729) % 9_000_000 + 1_000_000)
            return pl.DataFrame({"s": style[i], "n": num, "y": pl.Series("y", inv_year[i])}).select(
                pl.when(pl.col("s") == 0).then(pl.lit("INV-") + pl.col("n").cast(pl.Utf8))
                .when(pl.col("s") == 1).then(pl.col("n").cast(pl.Utf8))
                .otherwise(pl.col("y").cast(pl.Utf8) + pl.lit("-") + (pl.col("n") % 100_000).cast(pl.Utf8).str.zfill(5))
                .alias("v"))["v"]

        # RF13: a duplicate carries the original's number written another way (same normalised number:
        # upper case, letters and digits only, leading zeros removed)
        dups = np.flatnonzero(V["dup"][io])
        renumbered: dict[int, str] = {}
        if len(dups):
            pos_of = np.full(n, -1, dtype=np.int64)
            pos_of[io] = np.arange(n_inv)
            origs = pos_of[P["dup_src"][io[dups]]]
            del pos_of
            # an original may itself be a duplicate renumbered earlier in the list
            for j, (k, o) in enumerate(zip(dups.tolist(), origs.tolist())):
                orig = renumbered.get(o)
                if orig is None:
                    orig = inv_number(np.array([o]))[0]
                renumbered[k] = _renumber(orig, j)
        ren_pos = np.array(sorted(renumbered), dtype=np.int64)
        ren_val = [renumbered[int(k)] for k in ren_pos]

        def invoice_number(sel) -> pl.Series:
            i = _rows(sel, n_inv)
            out = inv_number(i)
            if len(ren_pos):
                if isinstance(sel, slice):
                    a, b = np.searchsorted(ren_pos, [i[0], i[-1] + 1]) if len(i) else (0, 0)
                    if b > a:
                        out = out.scatter(ren_pos[a:b] - i[0], ren_val[a:b])
                else:
                    where = {int(k): v for k, v in zip(ren_pos.tolist(), ren_val)}
                    hit = [(j, where[int(x)]) for j, x in enumerate(i.tolist()) if int(x) in where]
                    if hit:
                        out = out.scatter([h[0] for h in hit], [h[1] for h in hit])
            return out

        electronic = rng.random(n_inv) < 0.45
        received = _G(V["received"], io)
        self.put_lazy("invoices", n_inv, {
            "invoice_id": _seq("INV", 8, n_inv), "invoice_number": invoice_number,
            "state_code": _col(fmt.ref, st_codes, _G(P["state"], io)),
            "agency_id": _col(fmt.ref, self.ag_ids, _G(P["agency"], io)), "supplier_id": _col(fmt.ref, self.sup_ids, sup),
            "po_id": _col(fmt.ref, po_ids, _G(V["po_seq"], io)), "invoice_date": _col(fmt.s_date, _G(V["inv_date"], io)),
            "received_date": _col(fmt.s_date, received), "due_date": _col(fmt.s_date, _G(V["due"], io)),
            "amount": _col(fmt.s_money, _G(V["inv_amount"], io)), "payment_terms": _col(_text, _G(V["terms"], io)),
            "discount_offered": _col(fmt.s_money, _G(V["offered"], io), null=V["disc_pct"][io] == 0),
            "is_electronic": _col(fmt.s_bool, electronic), "match_status": _col(_text, _G(V["match"], io))},
            month=received)
        del sup, electronic
        # ---- payments (date order)
        src = V["pay_src"]
        npay = len(src)
        kind = V["pay_kind"]
        first = kind == 0
        scen6 = P["scen"][src] == 6
        u_wire = rng.random(npay) < 0.5
        u_ach = rng.random(npay) < 0.72
        pcard_src = V["pcard"][src]
        method = np.where(pcard_src, 0, np.where(scen6, np.where(u_wire, 1, 2), np.where(u_ach, 2, 3))).astype(np.int8)
        del u_wire, u_ach
        method = np.where((kind == 2) | (kind == 3), 3, method).astype(np.int8)
        method[rng.random(npay) < 0.02] = -1
        sup = _G(P["supplier"], src)
        payee_alt = rng.random(npay) < 0.15
        payee_null = rng.random(npay) < 0.01

        def payee(sel) -> pl.Series:
            df = pl.DataFrame({"a": fmt.ref(self.rec_payee, sup[sel]), "b": fmt.ref(self.rec_payee_alt, sup[sel]),
                               "u": payee_alt[sel]})
            out = df.select(pl.when(pl.col("u")).then(pl.col("b")).otherwise(pl.col("a")).alias("v"))["v"]
            return _null_at(out, payee_null[sel])

        # checkbook lines without a code (never on PO-exempt buys: their code is what exempts them)
        pay_comm = np.where((rng.random(npay) < 0.01) & (P["scen"][src] != 5), -1, P["comm"][src])
        bank_null = pcard_src | (rng.random(npay) < 0.3)
        del pcard_src, scen6
        self.put_lazy("payments", npay, {
            "payment_id": _seq("PMT", 8, npay), "state_code": _col(fmt.ref, st_codes, _G(P["state"], src)),
            "agency_id": _col(fmt.ref, self.ag_ids, _G(P["agency"], src)), "supplier_id": _col(fmt.ref, self.sup_ids, sup),
            "payee_name": payee,
            "invoice_id": _col(fmt.ref, _LazyIds("INV", 8), np.where(kind == 3, -1, V["inv_seq"][src])),
            "po_id": _col(fmt.ref, po_ids, _G(V["po_seq"], src)),
            "contract_id": _col(fmt.ref, self.contract_ids, _G(P["contract"], src)),
            "commodity_code": _col(fmt.ref, self.comm_codes, pay_comm),
            "payment_date": _col(fmt.s_date, V["pay_date"]), "amount": _col(fmt.s_money, V["pay_cents"]),
            "payment_method": _col(fmt.ref, pl.Series("m", ["pcard", "wire", "ach", "check"]), method),
            "discount_taken": _col(fmt.s_money, np.where(first, V["taken"][src], 0),
                                   null=~first | (V["disc_pct"][src] == 0)),
            "interest_paid": _col(fmt.s_money, np.where(first, V["interest"][src], 0),
                                  null=~first | (V["interest"][src] == 0)),
            "bank_account": _col(lambda s, b: _null_at(fmt.ref(self.bank, s), b), sup, bank_null)},
            month=V["pay_date"])

    def emit_coop_sales(self) -> None:
        """Cooperative sales reports. Lines for state agencies mirror the state's payments on the master
        agreement or its addenda (one line per payment, invoiced in the payment's calendar quarter), so that
        reports and payments agree (RF19) except in the injected quarters: lines left out or reported twice.
        Lines for other customers (universities, schools, local governments) are drawn at random."""
        rng, C, P, V, K = self.rng, self.C, self.P, self.V, self.k_inj
        isz = np.array([len(self.comm_items[i]) for i in range(len(self.comms))])
        ifirst = np.array([self.comm_items[i][0] for i in range(len(self.comms))])
        # ---- state-agency lines, from the payments
        src = V["pay_src"]
        ref = P["contract"][src]
        rc = np.maximum(ref, 0)
        veh = C["vehicle"][rc]
        master = np.where((ref >= 0) & (veh == MASTER), ref, np.where((ref >= 0) & (veh == PA), C["master"][rc], -1))
        state_ag = np.array([t == "state_agency" for t in self.ag_type], dtype=bool)
        di = np.flatnonzero((master >= 0) & state_ag[P["agency"][src]])
        pdate = V["pay_date"][di]
        month = pdate.astype("datetime64[D]").astype("datetime64[M]")
        qstart = (month - (month.astype(np.int64) % 3)).astype("datetime64[D]").astype(np.int64)
        d_m, d_si, d_ag = master[di], P["state"][src[di]], P["agency"][src[di]]
        d_date = np.minimum(np.maximum(V["inv_date"][src[di]], qstart), pdate)
        d_total = V["pay_cents"][di].copy()
        d_comm = P["comm"][src[di]]
        d_comm = np.where(d_comm >= 0, d_comm, self._random_comm_in(C["fam"][d_m]))
        keep = np.ones(len(di), dtype=bool)
        extra = np.zeros(0, dtype=np.int64)
        quarter = (month.astype(np.int64) // 3)
        cell = (d_m * 1000 + d_si) * 100_000 + quarter
        for si in range(self.n_states):
            cells = np.unique(cell[(d_si == si) & (d_total > 0)])
            for j, cl in enumerate(rng.permutation(cells)[:K]):
                rows = np.flatnonzero(cell == cl)
                total = int(d_total[rows].sum())
                if total <= 0:
                    continue
                if j % 2 == 0:   # under-reported: lines left out until the report is at most 85 % of the payments
                    left = total
                    for r in rng.permutation(rows):
                        if left <= 0.85 * total:
                            break
                        keep[r] = False
                        left -= int(d_total[r])
                else:            # lines reported twice, until the report exceeds the payments by 15 % or more
                    over = 0
                    for r in rows[np.argsort(-d_total[rows], kind="stable")]:
                        if over >= 0.15 * total or d_total[r] <= 0:
                            break
                        extra = np.append(extra, r)
                        over += int(d_total[r])
                self.injected["RF19"] += 1
        di_rows = np.concatenate([np.flatnonzero(keep), extra])
        d_m, d_si, d_ag, d_date, d_total, d_comm = (d_m[di_rows], d_si[di_rows], d_ag[di_rows], d_date[di_rows],
                                                      d_total[di_rows], d_comm[di_rows])
        nd = len(di_rows)
        d_item = ifirst[d_comm] + np.floor(rng.random(nd) * isz[d_comm]).astype(np.int64)
        ref_price = np.maximum(np.round(self.item_base[d_item] * C["cfac"][d_m]).astype(np.int64), 1)
        d_qty = np.maximum(np.round(np.abs(d_total) * 100 / ref_price), 1).astype(np.int64)
        d_cp = np.round(np.abs(d_total) * 100 / d_qty).astype(np.int64)
        d_qty = np.where(d_total < 0, -d_qty, d_qty)
        d_ot = np.where(d_total < 0, 1, 0)

        # ---- other customers: random lines on the participating addenda
        pas = np.flatnonzero((C["vehicle"] == PA) & (np.maximum(C["start"], W0) <= np.minimum(C["eff"], W1)))
        n = self.n(60_000, 100)
        w = np.sqrt(C["value"][pas].astype(float))
        pa = rng.choice(pas, size=n, p=w / w.sum())
        r_m = C["master"][pa]
        r_si = C["state"][pa]
        r_date = self.uniform_days(np.maximum(C["start"][pa], W0), np.minimum(C["eff"][pa], W1))
        r_comm = self._random_comm_in(C["fam"][pa])
        r_item = ifirst[r_comm] + np.floor(rng.random(n) * isz[r_comm]).astype(np.int64)
        r_cp = np.round(self.item_base[r_item] * C["cfac"][r_m]).astype(np.int64)
        fam_of = self.comm_fam[r_comm]
        qhi = np.minimum(np.array([f.qty[1] for f in self.fam_list])[fam_of], 60)
        r_qty = 1 + np.floor(rng.random(n) ** 2 * qhi).astype(np.int64)
        r_ot = rng.choice(4, size=n, p=[.9, .035, .045, .02])
        r_qty = np.where(np.isin(r_ot, (1, 2)), -r_qty, r_qty)
        r_total = np.sign(r_qty) * ((np.abs(r_qty) * r_cp + 50) // 100)
        other_ag = {si: np.flatnonzero((self.ag_state == si) & ~state_ag) for si in range(self.n_states)}
        use_ag = rng.random(n) < 0.45
        r_ag = np.full(n, -1, dtype=np.int64)
        loc_pick = rng.integers(0, 6, n)
        ag_pick = rng.integers(0, 1 << 30, n)
        names, types = [], []
        for i in range(n):
            oa = other_ag[int(r_si[i])]
            if use_ag[i] and len(oa):
                a = int(oa[ag_pick[i] % len(oa)])
                r_ag[i] = a
                names.append(self.ag_name[a]); types.append(self.ag_type[a])
            else:
                nm, tp = self.local_customers[int(r_si[i])][int(loc_pick[i])]
                names.append(nm); types.append(tp)

        # ---- together
        m = np.concatenate([d_m, r_m])
        si = np.concatenate([d_si, r_si])
        ag = np.concatenate([d_ag, r_ag])
        d = np.concatenate([d_date, r_date])
        comm = np.concatenate([d_comm, r_comm])
        item = np.concatenate([d_item, r_item])
        cp = np.concatenate([d_cp, r_cp])
        qty = np.concatenate([d_qty, r_qty])
        total = np.concatenate([d_total, r_total])
        ot = np.concatenate([d_ot, r_ot])
        cust_name = [self.ag_name[int(a)] for a in d_ag] + names
        cust_type = ["state_agency"] * nd + types
        nn = len(m)
        lp = np.maximum(np.round(cp * self.item_listfac[item] / C["cfac"][m]).astype(np.int64), cp)
        order_type = np.array(["sale", "credit", "return", "upgrade"])[ot]
        rate = np.array([COOP_FEE_RATE.get(C["program"][int(x)], 0) for x in range(self.n_contracts)])[m]
        fee = np.sign(total) * ((np.abs(total) * rate + 5_000) // 10_000)
        quarter = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) // 3
        under = ((m * 7 + quarter * 13) % 17) == 0   # a few master x quarter combinations under-report the fee
        fee = np.where(under, fee // 2, fee)
        fee_null = rate == 0
        o = np.lexsort((np.arange(nn), d, m))
        st_codes = pl.Series("s", [s.code for s in self.states], dtype=pl.Utf8)
        dealers = pl.Series("d", [self.fake.company() for _ in range(5)], dtype=pl.Utf8)
        dealer_idx = np.where(rng.random(nn) < 0.3, rng.integers(0, 5, nn), -1)
        self.put("coop_sales", {
            "sales_line_id": fmt.prefixed("CS", np.arange(1, nn + 1), 8), "master_contract_id": fmt.ref(self.contract_ids, m[o]),
            "coop_program": [C["program"][int(x)] for x in m[o]], "supplier_id": fmt.ref(self.sup_ids, C["supplier"][m[o]]),
            "state_code": fmt.ref(st_codes, si[o]), "customer_type": [cust_type[i] for i in o],
            "customer_name": [cust_name[i] for i in o], "agency_id": fmt.ref(self.ag_ids, ag[o]),
            "customer_po_number": fmt.prefixed("CPO", rng.integers(1_000_000, 9_999_999, nn), 7),
            "contractor_order_number": fmt.prefixed("SO", rng.integers(10_000_000, 99_999_999, nn), 8),
            "order_type": order_type[o], "po_date": fmt.s_date((d - rng.integers(5, 41, nn))[o]),
            "ship_date": fmt.s_date((d - rng.integers(0, 6, nn))[o]), "invoice_date": fmt.s_date(d[o]),
            "invoice_number": fmt.prefixed("I", rng.integers(1_000_000, 9_999_999, nn), 7),
            "product_number": fmt.ref(self.item_num, item[o]), "product_description": fmt.ref(self.item_desc, item[o]),
            "commodity_code": fmt.ref(self.comm_codes, comm[o]), "unit_of_measure": fmt.ref(self.item_uom, item[o]),
            "list_price": fmt.s_price(lp[o]), "contract_price": fmt.s_price(cp[o]), "quantity": fmt.s_price(qty[o] * 10_000),
            "total": fmt.s_money(total[o]), "admin_fee": fmt.s_money(fee[o], null=fee_null[o]),
            "dealer": fmt.ref(dealers, dealer_idx[o])})
        self.tables["coop_sales"] = _Lazy.of(self.tables["coop_sales"], month=d[o])

    # ---------------------------------------------------------------- invalid rows
    def inject_invalid(self, entity: str, columns: dict[str, list[str]]) -> list[dict]:
        """Cloned rows with one broken field each, to be inserted while the file is written (self.invalid);
        returns the expected-quarantine records."""
        rng = self.rng
        tab = self.tables[entity]
        n = tab.height
        k = max(3, int(round(0.002 * n)))
        pk = load_schema()[entity].primary_key[0]
        templates = rng.integers(0, n, k)
        bad = tab.rows(templates)
        kinds = ("required", "date", "number")
        recs = []
        new_pk = [f"{v}X{j + 1}" for j, v in enumerate(bad[pk].to_list())]
        bad = bad.with_columns(pl.Series(pk, new_pk, dtype=pl.Utf8))
        rows = bad.to_dicts()
        for j in range(k):
            kind = kinds[j % 3]
            col = columns[kind][(j // 3) % len(columns[kind])]
            if kind == "required":
                rows[j][col] = None
                problem = "required field empty"
            elif kind == "date":
                rows[j][col] = "2024-13-45"
                problem = "unparseable date"
            else:
                rows[j][col] = "12,3x"
                problem = "non-numeric amount"
            recs.append({"col": col, "problem": problem})
        bad = pl.DataFrame(rows, schema={c: pl.Utf8 for c in bad.columns})
        positions = np.sort(rng.choice(n + k, size=k, replace=False))
        self.invalid[entity] = (positions, bad, templates)
        return [{"entity": entity, "row_number": int(p) + 1, "column": r["col"], "problem": r["problem"]}
                for p, r in zip(positions, recs)]


def _blocks(tab: _Lazy, invalid, block: int = BLOCK_ROWS):
    """The rows of a table as written, block by block: (DataFrame, day number of each row's main date or None),
    with the invalid rows (positions, rows, template of each) inserted at their positions."""
    n = tab.height
    if invalid is None:
        for a in range(0, n, block):
            b = min(n, a + block)
            yield tab.rows(slice(a, b)), (None if tab.month is None else np.asarray(tab.month[a:b]))
        if n == 0:
            yield tab.rows(slice(0, 0)), None
        return
    positions, bad, templates = invalid
    total = n + len(positions)
    for a in range(0, total, block):
        b = min(total, a + block)
        j0, j1 = np.searchsorted(positions, [a, b])         # invalid rows in [a, b)
        v0 = a - j0                                          # valid rows before position a
        v1 = b - j1
        df = tab.rows(slice(v0, v1))
        local = positions[j0:j1] - a
        if j1 > j0:
            is_bad = np.zeros(b - a, dtype=bool)
            is_bad[local] = True
            src = np.empty(b - a, dtype=np.int64)
            src[~is_bad] = np.arange(v1 - v0)
            src[is_bad] = (v1 - v0) + np.arange(j1 - j0)
            df = pl.concat([df, bad[int(j0):int(j1)]]).select(pl.all().gather(src))
        month = None
        if tab.month is not None:
            month = np.empty(b - a, dtype=np.int64)
            valid = np.ones(b - a, dtype=bool)
            valid[local] = False
            month[valid] = np.asarray(tab.month[v0:v1])
            month[local] = np.asarray(tab.month[templates[j0:j1]])
        yield df, month


# ----------------------------------------------------------------------------------------------- API
# large transactional tables: written one file per calendar month of their main business date with
# split_monthly (landing/<source>/<entity>/<entity>_YYYY-MM.csv), and read back for the ground truth
MONTHLY_DATES = {"requisitions": "created_date", "bids": "submitted_date", "purchase_orders": "po_date",
                 "purchase_order_lines": "po_date of the PO", "receipts": "receipt_date", "invoices": "received_date",
                 "payments": "payment_date", "coop_sales": "invoice_date"}
_ORDER = {"bids": ["bid_id"], "purchase_orders": ["po_id"], "purchase_order_lines": ["po_id", "line_number"],
          "receipts": ["receipt_id"], "invoices": ["invoice_id"], "payments": ["payment_id"], "coop_sales": ["sales_line_id"]}


def _month_name(month_index: int) -> str:
    return f"{month_index // 12 + 1970:04d}-{month_index % 12 + 1:02d}"


def _write_table(tab: _Lazy, invalid, columns: list[str], path: Path, folder: Path | None, name: str) -> int:
    """Write a table block by block (to `path`, or to one file per month in `folder`); returns the rows written."""
    opts = dict(null_value="", line_terminator="\n")
    handles: dict[int, object] = {}
    count = 0
    try:
        fh = None if folder else open(path, "wb")
        first = True
        for df, day in _blocks(tab, invalid):
            if "currency" in columns and "currency" not in df.columns:
                df = df.with_columns(pl.lit("USD").alias("currency"))  # every synthetic amount is in US dollars
            if "commodity_scheme" in columns and "commodity_scheme" not in df.columns:
                df = df.with_columns(pl.lit("UNSPSC").alias("commodity_scheme"))  # synthetic codes are UNSPSC
            if name == "purchase_order_lines" and "status" not in df.columns:
                df = df.with_columns(pl.lit(None, pl.Utf8).alias("status"))  # line statuses are not simulated
            if list(df.columns) != columns:
                missing = set(columns) ^ set(df.columns)
                if missing:
                    raise RuntimeError(f"generator bug: {name} columns differ from the schema: {sorted(missing)}")
                df = df.select(columns)
            count += df.height
            if folder is None:
                df.write_csv(fh, include_header=first, **opts)
                first = False
                continue
            month = np.asarray(day, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
            for m in np.unique(month).tolist():
                part = df.filter(pl.Series(month == m))
                h = handles.get(m)
                if h is None:
                    h = handles[m] = open(folder / f"{name}_{_month_name(m)}.csv", "wb")
                    part.write_csv(h, include_header=True, **opts)
                else:
                    part.write_csv(h, include_header=False, **opts)
        if fh is not None:
            fh.close()
    finally:
        for h in handles.values():
            h.close()
    return count


class _WrittenTables(dict):
    """The small tables in memory; the large ones read back from the files written, with the columns asked for,
    without the invalid rows and in the order of the single-file layout."""

    def __init__(self, small: dict[str, pl.DataFrame], files: dict[str, Path], invalid_pk: dict[str, str]) -> None:
        super().__init__(small)
        self.files, self.invalid_pk = files, invalid_pk

    def read(self, name: str, columns: list[str]) -> pl.DataFrame:
        if name in self:
            return self[name].select(columns)
        path = self.files[name]
        paths = sorted(path.glob(f"{name}_*.csv")) if path.is_dir() else [path]
        order = _ORDER[name]
        cols = list(dict.fromkeys(columns + order + ([self.invalid_pk[name]] if name in self.invalid_pk else [])))
        lf = pl.scan_csv(paths, infer_schema=False).select(cols)
        if name in self.invalid_pk:   # the invalid rows' keys end in X<n>; valid keys never hold an X
            lf = lf.filter(~pl.col(self.invalid_pk[name]).str.contains("X", literal=True))
        if path.is_dir():
            lf = lf.sort([pl.col(c).cast(pl.Int64) if c == "line_number" else pl.col(c) for c in order])
        return lf.select(columns).collect()


# Entities the generator builds no file for: synthetic commodity codes are UNSPSC already, so no crosswalk.
NOT_GENERATED = ("commodity_crosswalk",)


def generate(landing_dir: Path, truth_dir: Path, scale: float = DEFAULT_SCALE, seed: int = 42,
             states: Sequence[str] = DEFAULT_STATES, progress: ProgressFn | None = None,
             split_monthly: bool = False) -> GenerationResult:
    """Write one canonical CSV per entity to landing_dir and the ground truth to truth_dir.

    split_monthly: write each large transactional table (MONTHLY_DATES) as one file per calendar month of its
    main business date, landing_dir/<entity>/<entity>_YYYY-MM.csv (the rows of each month in the order of the
    single file; an invalid row goes with the month of the row it was cloned from). The rows and the ground truth
    are the same either way; expected_quarantine.csv's row numbers count rows of the single-file layout."""
    t0 = time.perf_counter()
    if not (isinstance(scale, (int, float)) and scale > 0 and math.isfinite(scale)):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    codes = validate_states(states)
    landing_dir, truth_dir = Path(landing_dir), Path(truth_dir)
    schema = load_schema()

    b = _Builder(float(scale), int(seed), codes)
    b.build_reference()
    b.build_agencies()
    b.build_suppliers()
    b.build_staff()
    b.build_contracts()
    b.build_purchases()
    b.adjust_contract_values()
    b.inject_exclusions()
    b.emit_sourcing_tables()
    b.emit_p2p_tables()
    b.emit_coop_sales()

    schema = {name: ent for name, ent in schema.items() if name not in NOT_GENERATED}
    valid_rows = {name: b.tables[name].height for name in schema}
    quarantine = b.inject_invalid("payments", {"required": ["agency_id", "payment_date", "supplier_id"],
                                               "date": ["payment_date"], "number": ["amount"]})
    quarantine += b.inject_invalid("invoices", {"required": ["supplier_id", "invoice_number", "received_date"],
                                                "date": ["received_date", "invoice_date"], "number": ["amount"]})
    invalid_rows = {name: 0 for name in schema}
    for q in quarantine:
        invalid_rows[q["entity"]] += 1

    landing_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    rows: dict[str, int] = {}
    small = {name: tab for name, tab in b.tables.items() if isinstance(tab, pl.DataFrame)}
    total = len(schema) + 1
    for i, (name, ent) in enumerate(schema.items(), start=1):
        tab = b.tables.pop(name)
        if isinstance(tab, pl.DataFrame):
            tab = _Lazy.of(tab)
        path, folder = landing_dir / f"{name}.csv", landing_dir / name
        split = split_monthly and name in MONTHLY_DATES
        # the other layout's files of this table would load too: remove them
        if split:
            path.unlink(missing_ok=True)
            folder.mkdir(exist_ok=True)
            for old in folder.glob(f"{name}_*.csv"):
                old.unlink()
        elif folder.is_dir():
            for old in folder.glob(f"{name}_*.csv"):
                old.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()
        rows[name] = _write_table(tab, b.invalid.get(name), ent.column_names, path, folder if split else None, name)
        files[name] = folder if split else path
        del tab
        if progress:
            progress(name, i, total)

    # ---- ground truth, from the tables as written (without the invalid rows). The builder's state goes first:
    # the large tables are read back from the files.
    entity_rows, k_inj, injected = b.entity_rows, b.k_inj, b.injected
    del b
    gc.collect()
    ds = dataset.build(_WrittenTables(small, files, {"payments": "payment_id", "invoices": "invoice_id"}))
    del small
    kpis = compute_kpis(ds)
    anomalies = compute_anomalies(ds)

    # ---- ground truth
    with open(truth_dir / "kpis.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=KPI_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(kpis)
    with open(truth_dir / "anomalies.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ANOMALY_COLUMNS)
        w.writerows(anomalies)
    with open(truth_dir / "expected_quarantine.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["entity", "row_number", "column", "problem"])
        for q in sorted(quarantine, key=lambda r: (r["entity"], r["row_number"])):
            w.writerow([q["entity"], q["row_number"], q["column"], q["problem"]])
    with open(truth_dir / "supplier_entities.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["supplier_id", "entity_id"])
        w.writerows(entity_rows)
    (truth_dir / "row_counts.json").write_text(json.dumps(
        {"valid_rows": valid_rows, "invalid_rows": invalid_rows, "file_rows": rows}, indent=2) + "\n", encoding="utf-8")
    manifest = {
        "generator": "ingestion.synthetic", "generator_version": GENERATOR_VERSION, "seed": int(seed),
        "scale": float(scale), "states": codes,
        "window": {"start": WINDOW_START.isoformat(), "end": WINDOW_END.isoformat()},
        "entities": list(schema), "kpis": KPI_IDS,
        "money": "exact: integer cents in the generator, Decimal in the truth files",
        "red_flags": {"injected_per_state": k_inj,
                      "injected_unit": "patterns embedded per rule (an RF01 group of 2-4 POs, an RF02 agency-year, an "
                                       "RF12 exclusion, an RF19 report quarter count once; RF04 counts purchases paid "
                                       "outside the term); anomalies = entities satisfying the rule, chance included",
                      "injected": injected,
                      "anomalies": {r: sum(1 for a in anomalies if a[0] == r) for r in RULES}},
        "diagnostics": kpi_diagnostics(ds),
    }
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if progress:
        progress("ground_truth", total, total)
    return GenerationResult(files=files, rows=rows, truth_dir=truth_dir, valid_rows=valid_rows,
                            invalid_rows=invalid_rows, seconds=time.perf_counter() - t0)
