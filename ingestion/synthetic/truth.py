"""Ground truth for the KPIs of docs/kpi_rules.md, computed from the generator's own arrays.

Money is kept as exact integer cents (numpy int64) and turned into Python Decimal for output; nothing is
read back from the CSV files. Rows injected as invalid never reach these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

KPI_COLUMNS = ["kpi_id", "state_code", "agency_id", "fiscal_year", "numerator", "denominator", "value"]


def fiscal_year(days: np.ndarray, start_month: np.ndarray) -> np.ndarray:
    """FY named by the calendar year in which it ends (docs/kpi_rules.md, shared rules)."""
    m = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    year = m // 12 + 1970
    month = m % 12 + 1
    s = np.asarray(start_month, dtype=np.int64)
    return year + ((s > 1) & (month >= s)).astype(np.int64)


@dataclass
class TruthInputs:
    state_codes: list[str]          # by state index
    fy_start: np.ndarray            # by state index
    agency_ids: list[str]           # by agency index
    agency_state: np.ndarray        # by agency index
    comm_addressable: np.ndarray    # by commodity index (bool)
    comm_family: np.ndarray         # by commodity index (family index)
    # contracts (by contract index)
    c_state: np.ndarray
    c_vehicle: np.ndarray           # 0 agency, 1 statewide, 2 cooperative_master, 3 participating_addendum
    c_family: np.ndarray            # family of the contract's commodity (-1 = none)
    c_start: np.ndarray
    c_eff_end: np.ndarray           # latest of end_date and every amendment's new_end_date
    # valid payments
    p_state: np.ndarray
    p_agency: np.ndarray
    p_comm: np.ndarray              # -1 = none
    p_contract: np.ndarray          # -1 = none
    p_invoice: np.ndarray           # -1 = none
    p_date: np.ndarray
    p_cents: np.ndarray
    # valid invoices
    i_state: np.ndarray
    i_agency: np.ndarray
    i_received: np.ndarray


def _dec(cents: int) -> str:
    return format(Decimal(int(cents)).scaleb(-2), "f")


def _rate(num: int, den: int) -> str:
    if den == 0:
        return ""
    return repr(float(Decimal(int(num)) / Decimal(int(den))))


def _group_sums(keys: np.ndarray, values: np.ndarray) -> dict[int, int]:
    if len(keys) == 0:
        return {}
    uk, inv = np.unique(keys, return_inverse=True)
    sums = np.zeros(len(uk), dtype=np.int64)
    np.add.at(sums, inv, values.astype(np.int64))
    return {int(k): int(v) for k, v in zip(uk, sums)}


def _group_medians(keys: np.ndarray, days: np.ndarray) -> dict[int, tuple[int, int, float]]:
    out: dict[int, tuple[int, int, float]] = {}
    if len(keys) == 0:
        return out
    order = np.lexsort((days, keys))
    k, d = keys[order], days[order]
    bounds = np.flatnonzero(np.diff(k)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(k)]])
    for a, b in zip(starts, ends):
        seg = d[a:b]
        n = b - a
        med = float(seg[n // 2]) if n % 2 else (float(seg[n // 2 - 1]) + float(seg[n // 2])) / 2.0
        out[int(k[a])] = (int(seg.sum()), int(n), med)
    return out


def compute_kpis(t: TruthInputs) -> list[dict]:
    FYK = 10_000  # composite key: group * FYK + fiscal_year
    rows: list[dict] = []

    p_fy = fiscal_year(t.p_date, t.fy_start[t.p_state])
    has_comm = t.p_comm >= 0
    addressable = has_comm & t.comm_addressable[np.where(has_comm, t.p_comm, 0)]
    on_c = t.p_contract >= 0
    ci = np.where(on_c, t.p_contract, 0)
    in_term = on_c & (t.c_start[ci] <= t.p_date) & (t.p_date <= t.c_eff_end[ci])

    # 12.2 covered category: a statewide / PA contract of the paying state, same family, in term on the date
    p_fam = np.where(has_comm, t.comm_family[np.where(has_comm, t.p_comm, 0)], -1)
    covered = np.zeros(len(t.p_date), dtype=bool)
    cover_mask = np.isin(t.c_vehicle, (1, 3)) & (t.c_family >= 0)
    n_fam = int(t.comm_family.max()) + 1 if len(t.comm_family) else 1
    pkey = t.p_state.astype(np.int64) * n_fam + p_fam
    pkey = np.where(p_fam >= 0, pkey, -1)
    order = np.argsort(pkey, kind="stable")
    sk = pkey[order]
    uk, first_pos = np.unique(sk, return_index=True)
    last_pos = np.append(first_pos[1:], len(sk))
    groups = {int(k): order[a:b] for k, a, b in zip(uk, first_pos, last_pos) if k >= 0}
    for c in np.flatnonzero(cover_mask):
        idx = groups.get(int(t.c_state[c]) * n_fam + int(t.c_family[c]))
        if idx is None:
            continue
        d = t.p_date[idx]
        covered[idx[(t.c_start[c] <= d) & (d <= t.c_eff_end[c])]] = True
    maverick = covered & ~on_c

    def emit_money(kpi: str, pop: np.ndarray, num_mask: np.ndarray) -> None:
        for grain in ("state", "agency"):
            g = t.p_state if grain == "state" else t.p_agency
            keys = g[pop].astype(np.int64) * FYK + p_fy[pop]
            den = _group_sums(keys, t.p_cents[pop])
            num = _group_sums(keys, np.where(num_mask[pop], t.p_cents[pop], 0))
            for k in den:
                gi, fy = divmod(k, FYK)
                if grain == "state":
                    st, ag = t.state_codes[gi], ""
                else:
                    st, ag = t.state_codes[int(t.agency_state[gi])], t.agency_ids[gi]
                rows.append({"kpi_id": kpi, "state_code": st, "agency_id": ag, "fiscal_year": fy,
                             "numerator": _dec(num[k]), "denominator": _dec(den[k]), "value": _rate(num[k], den[k])})

    emit_money("1.1", addressable & (t.p_cents > 0), in_term)  # purchases only: refunds are not spend shares
    emit_money("12.2", covered & (t.p_cents > 0), maverick)

    # 7.2 invoice-to-pay: first positive payment per invoice
    n_inv = len(t.i_received)
    BIG = np.iinfo(np.int64).max
    first = np.full(n_inv, BIG, dtype=np.int64)
    m = (t.p_invoice >= 0) & (t.p_cents > 0)
    np.minimum.at(first, t.p_invoice[m], t.p_date[m].astype(np.int64))
    pop = np.flatnonzero(first != BIG)
    days = first[pop] - t.i_received[pop]
    fy = fiscal_year(first[pop], t.fy_start[t.i_state[pop]])
    for grain in ("state", "agency"):
        g = t.i_state[pop] if grain == "state" else t.i_agency[pop]
        keys = g.astype(np.int64) * FYK + fy
        for k, (s, n, med) in _group_medians(keys, days).items():
            gi, fyv = divmod(k, FYK)
            if grain == "state":
                st, ag = t.state_codes[gi], ""
            else:
                st, ag = t.state_codes[int(t.agency_state[gi])], t.agency_ids[gi]
            rows.append({"kpi_id": "7.2", "state_code": st, "agency_id": ag, "fiscal_year": fyv,
                         "numerator": str(s), "denominator": str(n), "value": repr(med)})

    order = {"1.1": 0, "7.2": 1, "12.2": 2}
    rows.sort(key=lambda r: (order[r["kpi_id"]], r["state_code"], r["agency_id"], r["fiscal_year"]))
    return rows


def kpi_diagnostics(t: TruthInputs) -> dict:
    """Counts that show the KPIs are non-trivial (written to the manifest)."""
    has_comm = t.p_comm >= 0
    addressable = has_comm & t.comm_addressable[np.where(has_comm, t.p_comm, 0)]
    on_c = t.p_contract >= 0
    ci = np.where(on_c, t.p_contract, 0)
    in_term = on_c & (t.c_start[ci] <= t.p_date) & (t.p_date <= t.c_eff_end[ci])
    return {
        "payments": int(len(t.p_date)),
        "addressable": int(addressable.sum()),
        "on_contract_in_term": int((addressable & in_term).sum()),
        "on_contract_off_term": int((addressable & on_c & ~in_term).sum()),
        "no_contract": int((addressable & ~on_c).sum()),
    }
