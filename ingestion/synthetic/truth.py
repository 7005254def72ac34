"""Ground truth for the KPIs of docs/kpi_rules.md, computed from the tables the generator writes.

Input is the typed view of ingestion/synthetic/dataset.py (numpy arrays; money as exact integer cents,
dates as day numbers) built from the in-memory tables before the invalid rows are injected, so rows
injected as invalid never reach it. Money sums are written with two decimals (exact), counts as plain
integers; values are full-precision floats of numerator / denominator (the median for 7.2).
Grains: state x fiscal year, and state x agency x fiscal year where the KPI's agency is not NULL.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import numpy as np

KPI_COLUMNS = ["kpi_id", "state_code", "agency_id", "fiscal_year", "numerator", "denominator", "value"]
KPI_IDS = ["1.1", "3.2", "4.1", "4.2", "5.1", "6.1", "7.2", "7.3", "7.4", "8.2", "12.1", "12.2", "12.3"]
COMPETITIVE = ("open", "selective")
NON_COMPETITIVE = ("limited", "direct")


def fiscal_year(days: np.ndarray, start_month: np.ndarray) -> np.ndarray:
    """FY named by the calendar year in which it ends (docs/kpi_rules.md, shared rules)."""
    m = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    year = m // 12 + 1970
    month = m % 12 + 1
    s = np.asarray(start_month, dtype=np.int64)
    return year + ((s > 1) & (month >= s)).astype(np.int64)


def _dec(cents: int) -> str:
    return format(Decimal(int(cents)).scaleb(-2), "f")


def _rate(num: int, den: int) -> str:
    if den == 0:
        return ""
    return repr(float(Decimal(int(num)) / Decimal(int(den))))


class _Rows:
    def __init__(self, ds: SimpleNamespace) -> None:
        self.ds = ds
        self.rows: list[dict] = []

    def ratio(self, kpi: str, state: np.ndarray, agency: np.ndarray, when: np.ndarray, num: np.ndarray,
              den: np.ndarray, money: bool) -> None:
        """One row per (state, FY) and per (state, agency, FY) of the population given (aligned arrays)."""
        ds = self.ds
        ok = state >= 0
        state, agency, when, num, den = state[ok], agency[ok], when[ok], num[ok], den[ok]
        fy = fiscal_year(when, ds.fy_start[state])
        fmt = _dec if money else (lambda v: str(int(v)))
        for grain in ("state", "agency"):
            sel = np.ones(len(state), dtype=bool) if grain == "state" else agency >= 0
            ag = np.where(grain == "agency", agency, -1)[sel]
            keys = (state[sel] * 100_000 + (ag + 1)) * 10_000 + fy[sel]
            if not len(keys):
                continue
            uk, inv = np.unique(keys, return_inverse=True)
            inv = inv.reshape(-1)
            n_s = _sum_by(inv, num[sel], len(uk))
            d_s = _sum_by(inv, den[sel], len(uk))
            for k, nv, dv in zip(uk.tolist(), n_s, d_s):
                s, a, y = k // 1_000_000_000, (k // 10_000) % 100_000 - 1, k % 10_000
                self.rows.append({"kpi_id": kpi, "state_code": ds.state_codes[s],
                                  "agency_id": ds.agency_ids[a] if a >= 0 else "", "fiscal_year": int(y),
                                  "numerator": fmt(nv), "denominator": fmt(dv), "value": _rate(nv, dv)})

    def median(self, kpi: str, state: np.ndarray, agency: np.ndarray, when: np.ndarray, days: np.ndarray) -> None:
        ds = self.ds
        fy = fiscal_year(when, ds.fy_start[state])
        for grain in ("state", "agency"):
            sel = np.ones(len(state), dtype=bool) if grain == "state" else agency >= 0
            ag = np.where(grain == "agency", agency, -1)[sel]
            keys = (state[sel] * 100_000 + (ag + 1)) * 10_000 + fy[sel]
            d = np.asarray(days, dtype=np.int64)[sel]
            if not len(keys):
                continue
            order = np.lexsort((d, keys))
            k, d = keys[order], d[order]
            starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
            ends = np.r_[starts[1:], len(k)]
            sums = np.add.reduceat(d, starts)
            for a0, a1, total in zip(starts.tolist(), ends.tolist(), sums.tolist()):
                n = a1 - a0
                mid = a0 + n // 2
                med = float(d[mid]) if n % 2 else (float(d[mid - 1]) + float(d[mid])) / 2.0
                kk = int(k[a0])
                s, a, y = kk // 1_000_000_000, (kk // 10_000) % 100_000 - 1, kk % 10_000
                self.rows.append({"kpi_id": kpi, "state_code": ds.state_codes[s],
                                  "agency_id": ds.agency_ids[a] if a >= 0 else "", "fiscal_year": int(y),
                                  "numerator": str(int(total)), "denominator": str(n), "value": repr(med)})


def _sum_by(inv: np.ndarray, values: np.ndarray, n: int) -> list[int]:
    """Exact integer sums per group (int64 cents: far from overflow at any scale)."""
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, inv, np.asarray(values, dtype=np.int64))
    return out.tolist()


def first_positive_payment(ds: SimpleNamespace) -> np.ndarray:
    """Per invoice: the date of its first payment with amount > 0 (-1 when none)."""
    big = np.iinfo(np.int64).max
    first = np.full(len(ds.inv.date), big, dtype=np.int64)
    m = (ds.pay.invoice >= 0) & (ds.pay.amount > 0)
    np.minimum.at(first, ds.pay.invoice[m], ds.pay.date[m])
    return np.where(first == big, -1, first)


def covered_payments(ds: SimpleNamespace) -> np.ndarray:
    """12.2: a statewide / participating-addendum contract of the paying state in the payment's category is
    in term on the payment date."""
    pay, con = ds.pay, ds.con
    fam = np.where(pay.comm >= 0, ds.comm_family[np.maximum(pay.comm, 0)], -1)
    covered = np.zeros(len(pay.date), dtype=bool)
    cov = np.flatnonzero(np.isin(con.vehicle, ("statewide", "participating_addendum")) & (con.family >= 0))
    groups: dict[tuple[int, int], np.ndarray] = {}
    key = pay.state * 1000 + fam
    order = np.argsort(key, kind="stable")
    sk = key[order]
    uk, starts = np.unique(sk, return_index=True)
    ends = np.append(starts[1:], len(sk))
    for k, a, b in zip(uk.tolist(), starts, ends):
        groups[k] = order[a:b]
    for c in cov:
        if con.state[c] < 0:
            continue
        idx = groups.get(int(con.state[c]) * 1000 + int(con.family[c]))
        if idx is None:
            continue
        d = pay.date[idx]
        covered[idx[(con.start[c] <= d) & (d <= con.eff_end[c])]] = True
    return covered & (fam >= 0)


def compute_kpis(ds: SimpleNamespace) -> list[dict]:
    from ingestion.synthetic.dataset import threshold

    out = _Rows(ds)
    pay, con, inv, po, sol, aw = ds.pay, ds.con, ds.inv, ds.po, ds.sol, ds.awd
    zero = np.zeros(len(pay.date), dtype=np.int64)

    # 1.1 spend under management
    addressable = (pay.comm >= 0) & ds.comm_addressable[np.maximum(pay.comm, 0)]
    on_c = pay.contract >= 0
    pc = np.maximum(pay.contract, 0)
    in_term = on_c & (con.start[pc] <= pay.date) & (pay.date <= con.eff_end[pc])
    m = addressable & (pay.amount > 0)
    out.ratio("1.1", pay.state[m], pay.agency[m], pay.date[m], np.where(in_term, pay.amount, zero)[m],
              pay.amount[m], money=True)

    # 3.2 small-order rate
    # a PO with no threshold in force on its date cannot be judged small or not: left out
    t = threshold(ds, "small_purchase", po.state, po.date)
    m = (po.status != "cancelled") & (t >= 0)
    small = po.total < t
    out.ratio("3.2", po.state[m], po.agency[m], po.date[m], small[m].astype(np.int64),
              np.ones(m.sum(), dtype=np.int64), money=False)

    # 4.1 competitive award share, 12.1 non-competitive share
    m = (aw.status == "active") & (aw.sol >= 0)
    s = np.maximum(aw.sol, 0)
    comp = np.isin(sol.method[s], COMPETITIVE)
    noncomp = np.isin(sol.method[s], NON_COMPETITIVE)
    for kpi, flag_ in (("4.1", comp), ("12.1", noncomp)):
        out.ratio(kpi, sol.state[s][m], sol.agency[s][m], aw.date[m], np.where(flag_, aw.value, 0)[m], aw.value[m],
                  money=True)

    # 4.2 single-bid rate
    nbids = np.bincount(ds.bid.sol[ds.bid.sol >= 0], minlength=len(sol.issue))
    m = np.isin(sol.method, COMPETITIVE) & (sol.status != "cancelled") & (nbids >= 1)
    out.ratio("4.2", sol.state[m], sol.agency[m], sol.issue[m], (nbids == 1)[m].astype(np.int64),
              np.ones(m.sum(), dtype=np.int64), money=False)

    # 5.1 contract value growth
    m = con.original > 0
    out.ratio("5.1", con.state[m], con.agency[m], con.start[m], (con.current - con.original)[m], con.original[m],
              money=True)

    # 6.1 on-time delivery
    from ingestion.synthetic.fmt import NULL_DATE

    r = ds.rcpt
    m = (r.promised != NULL_DATE) & (r.po >= 0)
    rp = np.maximum(r.po, 0)
    out.ratio("6.1", po.state[rp][m], po.agency[rp][m], r.date[m], (r.date <= r.promised)[m].astype(np.int64),
              np.ones(m.sum(), dtype=np.int64), money=False)

    # 7.2 invoice-to-pay time, 7.3 on-time payment rate
    first = first_positive_payment(ds)
    m = first >= 0
    out.median("7.2", inv.state[m], inv.agency[m], first[m], (first - inv.received)[m])
    # 7.3: paid in full by the due date (net of refunds, discount taken counting); an unknown due date
    # cannot be judged and is left out
    paid_by_due = np.zeros(len(inv.date), dtype=np.int64)
    pm = (pay.invoice >= 0) & (pay.date != NULL_DATE)
    pm[pm] = pay.date[pm] <= inv.due[pay.invoice[pm]]
    np.add.at(paid_by_due, pay.invoice[pm], pay.amount[pm] + pay.discount[pm])
    m = m & (inv.due != NULL_DATE)
    out.ratio("7.3", inv.state[m], inv.agency[m], first[m], (paid_by_due >= inv.amount)[m].astype(np.int64),
              np.ones(m.sum(), dtype=np.int64), money=False)

    # 7.4 first-pass match rate
    m = inv.has_po & np.isin(inv.match, ("first_pass", "after_exception", "unmatched"))
    out.ratio("7.4", inv.state[m], inv.agency[m], inv.received[m], (inv.match == "first_pass")[m].astype(np.int64),
              np.ones(m.sum(), dtype=np.int64), money=False)

    # 8.2 e-invoice share
    out.ratio("8.2", inv.state, inv.agency, inv.received, inv.electronic.astype(np.int64),
              np.ones(len(inv.date), dtype=np.int64), money=False)

    # 12.2 maverick spend
    covered = covered_payments(ds)
    m = covered & (pay.amount > 0)
    out.ratio("12.2", pay.state[m], pay.agency[m], pay.date[m], np.where(~on_c, pay.amount, zero)[m], pay.amount[m],
              money=True)

    # 12.3 after-the-fact PO rate
    big = np.iinfo(np.int64).max
    earliest = np.full(len(po.date), big, dtype=np.int64)
    k = inv.po >= 0
    np.minimum.at(earliest, inv.po[k], inv.date[k])
    m = earliest != big
    out.ratio("12.3", po.state[m], po.agency[m], po.date[m], (po.date > earliest)[m].astype(np.int64),
              np.ones(m.sum(), dtype=np.int64), money=False)

    order = {k: i for i, k in enumerate(KPI_IDS)}
    out.rows.sort(key=lambda r: (order[r["kpi_id"]], r["state_code"], r["agency_id"], r["fiscal_year"]))
    return out.rows


def kpi_diagnostics(ds: SimpleNamespace) -> dict:
    """Counts that show the KPIs are non-trivial (written to the manifest)."""
    pay, con = ds.pay, ds.con
    addressable = (pay.comm >= 0) & ds.comm_addressable[np.maximum(pay.comm, 0)]
    on_c = pay.contract >= 0
    pc = np.maximum(pay.contract, 0)
    in_term = on_c & (con.start[pc] <= pay.date) & (pay.date <= con.eff_end[pc])
    return {
        "payments": int(len(pay.date)),
        "addressable": int(addressable.sum()),
        "on_contract_in_term": int((addressable & in_term).sum()),
        "on_contract_off_term": int((addressable & on_c & ~in_term).sum()),
        "no_contract": int((addressable & ~on_c).sum()),
    }
