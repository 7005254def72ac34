"""The generator's own implementation of the red-flag rules of docs/red_flags.md (RF01..RF20).

It runs on the typed view of the tables the generator writes (ingestion/synthetic/dataset.py: numpy
arrays, money in integer cents, dates as day numbers), not on the CSV files and not in SQL, and returns the
complete set of (rule_id, entity_type, entity_id) that satisfy each rule: truth/synthetic/anomalies.csv.
Parameters are the all-state defaults of docs/red_flags.md (seed red_flag_parameters).

Readings of the text where it leaves a choice (also in the generator's report):
- RF01: T is the threshold in force on the anchoring PO p's po_date; it applies to "each below T" and to
  "sum >= T" of G(p). A PO whose lowest-numbered line has no known commodity has no category: never grouped.
- RF05: "all payments citing the contract" sums every payment, refunds (negative amounts) included.
- RF07: T = pcard_single on the invoice_date; any payment (whatever its amount) carrying an exempt code exempts.
- RF10: every competitive solicitation with >= 2 responsive bids, whatever its status (the rule names none).
- RF14: "a different invoice_id (or no invoice)": the earlier payment's invoice differs from the later's,
  or either has none.
- RF15 applies to every payment (no amount condition); RF19 sums payments of either sign.
- RF19: a payment is a state agency's when its agency_id's agency_type is `state_agency`; the master of a
  payment is its contract when that is a cooperative_master, or the contract's master_contract_id when it is
  a participating_addendum; quarters are calendar quarters.
- RF20: the runs are windows of n consecutive awards; a group with fewer than n awards is one window.
- RF13: "leading zeros removed" strips the zeros at the start of the normalised string (INV-0012 -> INV0012).
- RF18: a master agreement without a lead_state_code is never flagged ("<>" with NULL is not true).
- Fiscal year of RF02 = the fiscal year of po_date in the PO's state.
The generated data keeps the injected patterns clear of these choices (no injection within 60 days of a
threshold change, cancelled solicitations with fewer than two responsive bids, no refunds or instalments on
cooperative contracts, duplicate invoice numbers equal under any reading of the normalisation, five awards in
every injected RF20 run); chance occurrences may still depend on them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

import numpy as np

from ingestion.synthetic.dataset import threshold
from ingestion.synthetic.fmt import NULL_DATE

ANOMALY_COLUMNS = ["rule_id", "entity_type", "entity_id"]

DEFAULT_PARAMETERS: dict[str, dict[str, Decimal]] = {
    "RF01": {"window_days": Decimal("30")},
    "RF02": {"min_count": Decimal("5"), "min_share": Decimal("0.5")},
    "RF06": {"min_days": Decimal("3"), "strong_days": Decimal("10")},
    "RF09": {"min_days": Decimal("15")},
    "RF10": {"k": Decimal("1.5")},
    "RF11": {"goods_pct": Decimal("0.10"), "works_pct": Decimal("0.15")},
    "RF14": {"window_days": Decimal("3")},
    "RF16": {"min_amount": Decimal("1000"), "multiple": Decimal("1000")},
    "RF17": {"tolerance": Decimal("0.0")},
    "RF19": {"tolerance": Decimal("0.10")},
    "RF20": {"k": Decimal("3"), "n": Decimal("5")},
}

RULES: dict[str, tuple[str, str]] = {
    "RF01": ("split_purchase", "purchase_order"),
    "RF02": ("threshold_bunching", "agency_year"),
    "RF03": ("sole_source_amended_above", "contract"),
    "RF04": ("spend_outside_term", "payment"),
    "RF05": ("payment_above_ceiling", "contract"),
    "RF06": ("po_after_invoice", "purchase_order"),
    "RF07": ("invoice_without_po", "invoice"),
    "RF08": ("single_bid", "solicitation"),
    "RF09": ("short_submission_period", "solicitation"),
    "RF10": ("bid_price_anomaly", "solicitation"),
    "RF11": ("large_amendment", "contract"),
    "RF12": ("excluded_payee", "payment"),
    "RF13": ("duplicate_invoice", "invoice"),
    "RF14": ("duplicate_payment", "payment"),
    "RF15": ("weekend_holiday_payment", "payment"),
    "RF16": ("round_amount", "payment"),
    "RF17": ("off_contract_price", "purchase_order_line"),
    "RF18": ("coop_without_pa", "payment"),
    "RF19": ("coop_report_mismatch", "coop_report"),
    "RF20": ("repeat_awards", "buyer_category_supplier"),
}

COMPETITIVE = ("open", "selective")
_LEGAL_WORDS = {"INC", "INCORPORATED", "CORP", "CORPORATION", "LLC", "CO", "COMPANY", "LTD", "LP", "LLP"}


def normalised_name(name: str | None) -> str | None:
    """RF12: upper case, non letters/digits/spaces -> space, legal-form words dropped, spaces collapsed."""
    if name is None:
        return None
    words = re.sub(r"[^A-Z0-9 ]", " ", name.upper()).split(" ")
    return " ".join(w for w in words if w and w not in _LEGAL_WORDS)


def normalised_invoice_number(number: str | None) -> str | None:
    """RF13: upper case, letters and digits only, leading zeros removed."""
    if number is None:
        return None
    return re.sub(r"[^A-Z0-9]", "", number.upper()).lstrip("0")


def _group_ids(*cols: np.ndarray) -> np.ndarray:
    """Dense group id of the combination of integer columns."""
    gid = np.zeros(len(cols[0]), dtype=np.int64)
    for c in cols:
        _, code = np.unique(np.asarray(c, dtype=np.int64), return_inverse=True)
        _, gid = np.unique(gid * (int(code.max(initial=0)) + 1) + code.reshape(-1), return_inverse=True)
        gid = gid.reshape(-1).astype(np.int64)
    return gid


def _weekday(d: np.ndarray) -> np.ndarray:
    return (np.asarray(d) + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)


def _fiscal_year(d: np.ndarray, start_month: np.ndarray) -> np.ndarray:
    m = np.asarray(d, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    year, month = m // 12 + 1970, m % 12 + 1
    s = np.asarray(start_month, dtype=np.int64)
    return year + ((s > 1) & (month >= s)).astype(np.int64)


def _quarter(d: np.ndarray) -> np.ndarray:
    m = np.asarray(d, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return (m // 12 + 1970) * 10 + (m % 12) // 3 + 1  # e.g. 20243 = 2024 Q3


class _Out:
    def __init__(self) -> None:
        self.rows: set[tuple[str, str, str]] = set()

    def add(self, rule: str, ids) -> None:
        et = RULES[rule][1]
        for i in ids:
            self.rows.add((rule, et, str(i)))


def compute_anomalies(ds: SimpleNamespace, params: dict[str, dict[str, Decimal]] | None = None) -> list[tuple[str, str, str]]:
    p = params or DEFAULT_PARAMETERS
    out = _Out()
    po, line, inv, pay, con = ds.po, ds.line, ds.inv, ds.pay, ds.con
    n_po = len(po.date)

    # category of each PO: family of the commodity of its lowest-numbered line
    po_cat = np.full(n_po, -1, dtype=np.int64)
    if len(line.po):
        order = np.lexsort((line.number, line.po))
        lp = line.po[order]
        first = np.ones(len(lp), dtype=bool)
        first[1:] = lp[1:] != lp[:-1]
        sel = order[first & (lp >= 0)]
        c = line.comm[sel]
        po_cat[line.po[sel]] = np.where(c >= 0, ds.comm_family[np.maximum(c, 0)], -1)
    live = po.status != "cancelled"
    pcard = po.channel == "pcard"

    # ---- RF01 split purchase
    w = int(p["RF01"]["window_days"])
    t_small = threshold(ds, "small_purchase", po.state, po.date)
    t_pcard = threshold(ds, "pcard_single", po.state, po.date)
    # a release against a competitively awarded contract is never grouped
    release = (po.contract >= 0) & np.isin(ds.con.method[np.maximum(po.contract, 0)], COMPETITIVE)
    cand = np.flatnonzero(live & (po_cat >= 0) & (po.agency >= 0) & (po.supplier >= 0) & ~release)
    if len(cand):
        gid = _group_ids(po.agency[cand], po.supplier[cand], po_cat[cand], pcard[cand].astype(np.int64))
        order = np.lexsort((po.date[cand], gid))
        idx = cand[order]
        g = gid[order]
        d = po.date[idx]
        big = np.int64(1) << 20
        key = g * big + d
        win = np.where(pcard[idx], 0, w)
        tt = np.where(pcard[idx], t_pcard[idx], t_small[idx])
        lo = np.searchsorted(key, g * big + d, side="left")
        hi = np.searchsorted(key, g * big + d + win, side="right")
        tot = po.total[idx]
        cs = np.concatenate([[0], np.cumsum(tot)])
        s = cs[hi] - cs[lo]
        ext = np.append(tot, 0)
        pairs = np.empty(2 * len(lo), dtype=np.int64)
        pairs[0::2], pairs[1::2] = lo, hi
        mx = np.maximum.reduceat(ext, pairs)[0::2]
        hit = (tt >= 0) & (hi - lo >= 2) & (mx < tt) & (s >= tt)
        mark = np.zeros(len(idx) + 1, dtype=np.int64)
        np.add.at(mark, lo[hit], 1)
        np.add.at(mark, hi[hit], -1)
        flagged = idx[np.cumsum(mark)[:-1] > 0]
        out.add("RF01", po.id[flagged])

    # ---- RF02 threshold bunching
    m = np.flatnonzero(live & ~pcard & (t_small >= 0) & (po.agency >= 0))
    if len(m):
        tot, t = po.total[m], t_small[m]
        in90 = (10 * tot >= 9 * t) & (tot < t)
        in50 = (2 * tot >= t) & (tot < t)
        fy = _fiscal_year(po.date[m], ds.fy_start[po.state[m]])
        keys = po.agency[m] * 10_000 + fy
        uk, invk = np.unique(keys, return_inverse=True)
        c90 = np.bincount(invk, weights=in90, minlength=len(uk))
        c50 = np.bincount(invk, weights=in50, minlength=len(uk))
        mc, ms = p["RF02"]["min_count"], p["RF02"]["min_share"]
        for k, a, b in zip(uk, c90, c50):
            if a >= mc and b > 0 and Decimal(int(a)) / Decimal(int(b)) >= ms:
                out.add("RF02", [f"{ds.agency_ids[int(k // 10_000)]}:{int(k % 10_000)}"])

    # ---- RF03 sole source amended above
    t_ss = threshold(ds, "sole_source_max", con.state, con.start)
    hit = (con.method == "direct") & (t_ss >= 0) & (con.original < t_ss) & (con.current >= t_ss)
    out.add("RF03", [ds.contract_ids[i] for i in np.flatnonzero(hit)])

    # ---- RF04 spend outside term
    pc = np.maximum(pay.contract, 0)
    on_c = pay.contract >= 0
    hit = (pay.amount > 0) & on_c & ((pay.date < con.start[pc]) | (pay.date > con.eff_end[pc]))
    out.add("RF04", pay.id[hit])

    # ---- RF05 payments above the ceiling
    paid = np.zeros(len(con.start), dtype=np.int64)
    np.add.at(paid, pay.contract[on_c], pay.amount[on_c])
    out.add("RF05", [ds.contract_ids[i] for i in np.flatnonzero(paid > con.current)])

    # ---- RF06 PO after invoice
    first_inv = np.full(n_po, NULL_DATE, dtype=np.int64)
    big_date = np.iinfo(np.int64).max
    first_inv[:] = big_date
    ok = inv.po >= 0
    np.minimum.at(first_inv, inv.po[ok], inv.date[ok])
    min_days = int(p["RF06"]["min_days"])
    hit = (first_inv != big_date) & (po.date - np.where(first_inv == big_date, 0, first_inv) >= min_days)
    out.add("RF06", po.id[hit])

    # ---- RF07 invoice without PO
    t_inv = threshold(ds, "pcard_single", inv.state, inv.date)
    exempt = np.zeros(len(inv.date), dtype=bool)
    ok_ex = (pay.invoice >= 0) & (pay.comm >= 0) & ds.comm_exempt[np.maximum(pay.comm, 0)]
    exempt[pay.invoice[ok_ex]] = True
    hit = ~inv.has_po & (t_inv >= 0) & (inv.amount > t_inv) & ~exempt
    out.add("RF07", inv.id[hit])

    # ---- RF08, RF09, RF10 (solicitations)
    sol = ds.sol
    n_sol = len(sol.issue)
    competitive = np.isin(sol.method, COMPETITIVE)
    not_cancelled = sol.status != "cancelled"
    nbids = np.bincount(ds.bid.sol[ds.bid.sol >= 0], minlength=n_sol)
    sol_ids = sol.id
    out.add("RF08", sol_ids[competitive & not_cancelled & (nbids == 1)])
    mind = int(p["RF09"]["min_days"])
    has_close = sol.close != NULL_DATE
    out.add("RF09", sol_ids[competitive & not_cancelled & has_close & (sol.close - sol.issue < mind)])
    b = ds.bid
    r = np.flatnonzero(b.responsive & (b.sol >= 0))
    r = r[competitive[b.sol[r]]]
    gaps: dict[int, float] = {}
    if len(r):
        order = np.lexsort((b.amount[r], b.sol[r]))
        rs, ra = b.sol[r][order], b.amount[r][order]
        starts = np.flatnonzero(np.r_[True, rs[1:] != rs[:-1]])
        ends = np.r_[starts[1:], len(rs)]
        for a0, a1 in zip(starts, ends):
            if a1 - a0 >= 2 and ra[a0] != 0:
                gaps[int(rs[a0])] = (ra[a0 + 1] - ra[a0]) / ra[a0]
    k = float(p["RF10"]["k"])
    by_state: dict[int, list[int]] = {}
    for s_i in gaps:
        by_state.setdefault(int(sol.state[s_i]), []).append(s_i)
    for _st, members in by_state.items():
        gv = np.array([gaps[s_i] for s_i in members])
        q1, q3 = np.percentile(gv, [25, 75])
        iqr = q3 - q1
        lo_f, hi_f = q1 - k * iqr, q3 + k * iqr
        out.add("RF10", [sol_ids[s_i] for s_i, gvi in zip(members, gv) if gvi < lo_f or gvi > hi_f])

    # ---- RF11 large amendment
    works = np.zeros(len(con.start), dtype=bool)
    hc = con.comm >= 0
    works[hc] = np.isin(ds.comm_segment[con.comm[hc]], (72, 95))
    growth = con.current - con.original
    gp, wp = p["RF11"]["goods_pct"], p["RF11"]["works_pct"]
    hit = []
    for i in np.flatnonzero((con.original > 0) & (growth > 0)):
        lim = wp if works[i] else gp
        if Decimal(int(growth[i])) / Decimal(int(con.original[i])) > lim:
            hit.append(ds.contract_ids[i])
    out.add("RF11", hit)

    # ---- RF12 excluded payee
    ex = ds.exc
    sup_norm = [normalised_name(x) for x in ds.sup.name]
    by_tax: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for r_i in range(len(ds.supplier_ids)):
        if ds.sup.tax[r_i] is not None:
            by_tax.setdefault(ds.sup.tax[r_i], []).append(r_i)
        if sup_norm[r_i] is not None:
            by_name.setdefault(sup_norm[r_i], []).append(r_i)
    pos = pay.amount > 0
    excl_of: dict[int, list[int]] = {}          # supplier record -> exclusions matching it
    for e in range(len(ex.start)):
        recs = set(by_tax.get(ex.tax[e], ())) if ex.tax[e] is not None else set()
        nn = normalised_name(ex.name[e])
        if nn is not None:
            recs.update(by_name.get(nn, ()))
        for r_i in recs:
            excl_of.setdefault(r_i, []).append(e)
    if excl_of:
        cand = np.flatnonzero(pos & np.isin(pay.supplier, np.array(sorted(excl_of), dtype=np.int64)))
        hits = []
        for i in cand:
            d, st_ = pay.date[i], pay.state[i]
            for e in excl_of[int(pay.supplier[i])]:
                if ex.start[e] <= d <= ex.end[e] and (ex.state[e] < 0 or ex.state[e] == st_):
                    hits.append(pay.id[i])
                    break
        out.add("RF12", hits)

    # ---- RF13 duplicate invoice
    ok = np.flatnonzero((inv.supplier >= 0) & (inv.number_code >= 0))
    if len(ok):
        gid = _group_ids(inv.supplier[ok], inv.number_code[ok], inv.amount[ok])
        order = np.lexsort((inv.id_rank[ok], inv.received[ok], gid))
        gs = gid[order]
        later = np.r_[False, gs[1:] == gs[:-1]]
        out.add("RF13", inv.id[ok][order][later])

    # ---- RF14 duplicate payment
    win14 = int(p["RF14"]["window_days"])
    m = np.flatnonzero(pos & (pay.supplier >= 0))
    if len(m):
        gid = _group_ids(pay.supplier[m], pay.amount[m])
        order = np.lexsort((pay.id_rank[m], pay.date[m], gid))
        idx = m[order]
        gs, dd = gid[order], pay.date[idx]
        invc = pay.invoice_code[idx]
        flagged = np.zeros(len(idx), dtype=bool)
        for lag in range(1, len(idx)):
            # groups are contiguous and dated in order: no near pair at this lag means none at a larger one
            near = (gs[lag:] == gs[:-lag]) & (dd[lag:] - dd[:-lag] <= win14)
            if not near.any():
                break
            a, bb = invc[:-lag], invc[lag:]
            flagged[lag:] |= near & ((a < 0) | (bb < 0) | (a != bb))
        out.add("RF14", pay.id[idx[flagged]])

    # ---- RF15 weekend / holiday
    wk = _weekday(pay.date) >= 5
    is_hol = np.zeros(len(pay.date), dtype=bool)
    h = ds.holidays
    if len(h.date) and len(pay.date):
        d0 = min(int(h.date.min()), int(pay.date.min()))
        span = max(int(h.date.max()), int(pay.date.max())) - d0 + 1
        table = np.zeros((len(ds.state_codes) + 1, span), dtype=bool)
        table[h.state[h.state >= 0], h.date[h.state >= 0] - d0] = True
        is_hol = table[np.where(pay.state >= 0, pay.state, len(ds.state_codes)), pay.date - d0]
    out.add("RF15", pay.id[wk | is_hol])

    # ---- RF16 round amount
    min_amt = int(p["RF16"]["min_amount"] * 100)
    mult = int(p["RF16"]["multiple"] * 100)
    out.add("RF16", pay.id[(pay.amount >= min_amt) & (pay.amount % mult == 0)])

    # ---- RF17 off-contract price
    import polars as pl

    pr = ds.price
    tol_num, tol_den = (1 + p["RF17"]["tolerance"]).as_integer_ratio()
    lpo = np.maximum(line.po, 0)
    lines = pl.DataFrame({"li": np.arange(len(line.po)), "contract": np.where(line.po >= 0, po.contract[lpo], -1),
                          "item": line.item, "uom": line.uom, "d": po.date[lpo], "unit": line.unit}).filter(
        pl.col("contract") >= 0)
    prices = pl.DataFrame({"contract": pr.contract, "item": pr.item, "uom": pr.uom, "start": pr.start, "end": pr.end,
                           "price": pr.price}).filter(pl.col("contract") >= 0)
    j = lines.join(prices, on=["contract", "item", "uom"], how="inner")
    li = np.unique(j.filter((pl.col("start") <= pl.col("d")) & (pl.col("d") <= pl.col("end"))
                            & (pl.col("unit") * tol_den > pl.col("price") * tol_num))["li"].to_numpy())
    out.add("RF17", [f"{po.id[line.po[i]]}:{int(line.number[i])}" for i in li])

    # ---- RF18 cooperative purchase without a participating addendum
    is_master = con.vehicle == "cooperative_master"
    is_pa = con.vehicle == "participating_addendum"
    pas: dict[tuple[int, int], list[int]] = {}
    for c in np.flatnonzero(is_pa & (con.master >= 0)):
        pas.setdefault((int(con.master[c]), int(con.state[c])), []).append(int(c))
    m = np.flatnonzero(pos & on_c & is_master[pc])
    hits = []
    for i in m:
        c = int(pay.contract[i])
        if con.lead[c] < 0 or pay.state[i] == con.lead[c]:   # no lead state: "<>" is unknown, not true
            continue
        d = pay.date[i]
        if not any(con.start[a] <= d <= con.eff_end[a] for a in pas.get((c, int(pay.state[i])), ())):
            hits.append(pay.id[i])
    out.add("RF18", hits)

    # ---- RF19 cooperative sales report vs payments
    tol19 = p["RF19"]["tolerance"]
    state_agency = ds.ag_type == "state_agency"
    pay_master = np.where(on_c & is_master[pc], pay.contract, np.where(on_c & is_pa[pc], con.master[pc], -1))
    sel = (pay_master >= 0) & (pay.agency >= 0) & (pay.state >= 0) & state_agency[np.maximum(pay.agency, 0)]
    cp = ds.coop
    sel_r = (cp.master >= 0) & (cp.state >= 0) & (cp.customer_type == "state_agency")
    n_st = len(ds.state_codes)
    kp = (pay_master[sel] * n_st + pay.state[sel]) * 100_000 + _quarter(pay.date[sel])
    kr = (cp.master[sel_r] * n_st + cp.state[sel_r]) * 100_000 + _quarter(cp.date[sel_r])
    keys, inv_k = np.unique(np.concatenate([kp, kr]), return_inverse=True)
    inv_k = inv_k.reshape(-1)
    psum = np.zeros(len(keys), dtype=np.int64)
    rsum = np.zeros(len(keys), dtype=np.int64)
    np.add.at(psum, inv_k[:len(kp)], pay.amount[sel])
    np.add.at(rsum, inv_k[len(kp):], cp.total[sel_r])
    hits = []
    for k, pp, rr in zip(keys.tolist(), psum.tolist(), rsum.tolist()):
        mx = max(pp, rr)
        if mx > 0 and Decimal(abs(pp - rr)) / Decimal(mx) > tol19:
            mm, s_, q = k // 100_000 // n_st, k // 100_000 % n_st, k % 100_000
            hits.append(f"{ds.contract_ids[mm]}:{ds.state_codes[s_]}:{q // 10}Q{q % 10}")
    out.add("RF19", hits)

    # ---- RF20 repeat awards
    kk, nn = int(p["RF20"]["k"]), int(p["RF20"]["n"])
    aw = ds.awd
    asol = np.maximum(aw.sol, 0)
    ok = np.flatnonzero((aw.status == "active") & (aw.sol >= 0) & (sol.agency[asol] >= 0) & (sol.family[asol] >= 0))
    groups: dict[tuple[int, int], list[tuple[int, str, int]]] = {}
    for i in ok:
        s_i = int(aw.sol[i])
        groups.setdefault((int(sol.agency[s_i]), int(sol.family[s_i])), []).append(
            (int(aw.date[i]), aw.id[i], int(aw.supplier[i])))
    hits = []
    for (a, f), rows in groups.items():
        rows.sort()
        sups = [r_[2] for r_ in rows]
        found = set()
        for start in range(max(1, len(sups) - nn + 1)):
            window = sups[start:start + nn]
            for s_ in set(window):
                if window.count(s_) >= kk:
                    found.add(s_)
        hits += [f"{ds.agency_ids[a]}:{ds.family_codes[f]}:{ds.supplier_ids[s_]}" for s_ in found if s_ >= 0]
    out.add("RF20", hits)

    return sorted(out.rows, key=lambda r: (r[0], r[2]))
