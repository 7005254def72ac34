"""A typed, index-based view of the generated tables, for the ground truth.

The truth (KPIs of docs/kpi_rules.md, red flags of docs/red_flags.md) is computed from exactly what the
generator writes: the in-memory canonical tables (text columns, as they go to the CSV files), before the
invalid rows are injected. This module parses them once into numpy arrays: dates as day numbers since
1970-01-01 (NULL_DATE when empty), money as integer cents, prices as integer 1/10,000ths, references as
row indices into the referenced table (-1 when empty or not found), codes as small integers.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import polars as pl

from ingestion.synthetic import fmt
from ingestion.synthetic.fmt import NULL_DATE

NO_END = np.iinfo(np.int64).max // 4  # "open-ended" date bound


def days(s: pl.Series) -> np.ndarray:
    d = s.str.to_date("%Y-%m-%d").cast(pl.Int32).cast(pl.Int64)
    return d.fill_null(NULL_DATE).to_numpy()


def cents(s: pl.Series) -> np.ndarray:
    """Canonical money text (exactly two decimals) -> integer cents (0 when empty)."""
    return s.str.replace(".", "", literal=True).cast(pl.Int64).fill_null(0).to_numpy()


def price4(s: pl.Series) -> np.ndarray:
    """Canonical price text (two to four decimals) -> integer 1/10,000ths."""
    parts = s.str.split_exact(".", 1).struct.unnest()
    whole = parts["field_0"]
    neg = whole.str.starts_with("-").fill_null(False).to_numpy()
    w = whole.str.replace("-", "", literal=True).cast(pl.Int64).fill_null(0).to_numpy()
    f = parts["field_1"].fill_null("0").str.pad_end(4, "0").cast(pl.Int64).to_numpy()
    v = w * 10_000 + f
    return np.where(neg, -v, v)


def index_of(values: pl.Series, keys: pl.Series) -> np.ndarray:
    """Position of each value in keys (-1 when null or absent); keys are unique."""
    k = pl.DataFrame({"k": keys.cast(pl.Utf8)}).with_row_index("i")
    j = pl.DataFrame({"k": values.cast(pl.Utf8)}).join(k, on="k", how="left", maintain_order="left")
    return j["i"].cast(pl.Int64).fill_null(-1).to_numpy()


def codes(values: pl.Series, vocabulary: list[str]) -> np.ndarray:
    return index_of(values, pl.Series("k", vocabulary, dtype=pl.Utf8))


def flag(s: pl.Series) -> np.ndarray:
    return (s == "true").fill_null(False).to_numpy()


def text(s: pl.Series) -> np.ndarray:
    return np.array(s.to_list(), dtype=object)


def rank(s: pl.Series) -> np.ndarray:
    """0-based rank of each (unique) text value in sort order."""
    return (s.rank("ordinal").cast(pl.Int64) - 1).to_numpy()


def dense_code(s: pl.Series) -> np.ndarray:
    """Equal texts get equal codes, different texts different codes; -1 for null."""
    return s.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()


def _get(t, name: str, columns: list[str]) -> pl.DataFrame:
    """Table `name` of t (a dict of DataFrames, or an object whose read(name, columns) gives those columns)."""
    return t.read(name, columns) if hasattr(t, "read") else t[name]


def _vocab_code(s: pl.Series, vocab: pl.Series, null: int) -> np.ndarray:
    """Position of each value in vocab (-1 when absent), `null` for null values."""
    return np.where(s.is_null().to_numpy(), null, index_of(s, vocab))


class Ids:
    """The ids f"{prefix}{i + 1:0{width}d}" of rows idx: a light stand-in for an object array of them."""

    def __init__(self, prefix: str, width: int, idx: np.ndarray) -> None:
        self.prefix, self.width, self.idx = prefix, width, idx

    def __len__(self) -> int:
        return len(self.idx)

    def _one(self, i) -> str:
        return f"{self.prefix}{int(i) + 1:0{self.width}d}"

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self._one(self.idx[key])
        return Ids(self.prefix, self.width, self.idx[key])

    def __iter__(self):
        return (self._one(i) for i in self.idx)

    def tolist(self) -> list[str]:
        return list(self)


def ids(s: pl.Series):
    """Ids of a table: Ids when they are PREFIX000..1, PREFIX000..2, ... in row order, else text(s)."""
    m = re.fullmatch(r"([A-Z]+)(0*1)", s[0]) if len(s) and s[0] is not None else None
    if m:
        prefix, width = m.group(1), len(m.group(2))
        expected = fmt.prefixed(prefix, np.arange(1, len(s) + 1), width)
        if len(s) < 10**width and s.null_count() == 0 and bool((s == expected).all()):
            return Ids(prefix, width, np.arange(len(s), dtype=np.int64))
    return text(s)


def labels(s: pl.Series) -> np.ndarray:
    """Like text(s) for a column of few distinct values: an object array sharing one str per value."""
    uniq = s.drop_nulls().unique(maintain_order=True)
    if len(uniq) > 10_000:
        return text(s)
    vocab = np.empty(len(uniq) + 1, dtype=object)
    vocab[:-1] = uniq.to_list()
    vocab[-1] = None
    return vocab[index_of(s, uniq)]


def build(t) -> SimpleNamespace:
    """Every table the truth needs, as namespaces of aligned numpy arrays. t: a dict of the tables as written
    (text), or an object whose read(name, columns) gives the columns asked for (the large tables)."""
    ds = SimpleNamespace()
    st = t["states"]
    ds.state_codes = st["state_code"].to_list()
    ds.fy_start = st["fiscal_year_start_month"].cast(pl.Int64).to_numpy()
    ag = t["agencies"]
    ds.agency_ids = ag["agency_id"].to_list()
    ds.ag_state = codes(ag["state_code"], ds.state_codes)
    ds.ag_type = text(ag["agency_type"])

    cc = t["commodity_codes"]
    ds.comm_codes = cc["commodity_code"].to_list()
    fam = (cc["commodity_code"].str.slice(0, 4) + "0000").to_list()
    ds.family_codes = sorted(set(fam))
    ds.comm_family = np.array([ds.family_codes.index(f) for f in fam], dtype=np.int64)
    ds.comm_segment = np.array([int(c[:2]) for c in ds.comm_codes], dtype=np.int64)
    ds.comm_addressable = flag(cc["is_addressable"])
    ds.comm_exempt = flag(cc["is_po_exempt"])

    def comm(s: pl.Series) -> np.ndarray:
        return index_of(s, cc["commodity_code"])

    def fam_of(ci: np.ndarray) -> np.ndarray:
        return np.where(ci >= 0, ds.comm_family[np.maximum(ci, 0)], -1)

    th = t["purchase_thresholds"]
    ds.thr = SimpleNamespace(state=codes(th["state_code"], ds.state_codes), type=text(th["threshold_type"]),
                             amount=cents(th["amount"]), start=days(th["effective_from"]), end=days(th["effective_to"]))
    ds.thr.end = np.where(ds.thr.end == NULL_DATE, NO_END, ds.thr.end)
    ho = t["holidays"]
    ds.holidays = SimpleNamespace(state=codes(ho["state_code"], ds.state_codes), date=days(ho["holiday_date"]))

    su = t["suppliers"]
    ds.supplier_ids = su["supplier_id"].to_list()
    ds.sup = SimpleNamespace(name=text(su["supplier_name"]), tax=text(su["tax_id"]))
    ex = t["exclusions"]
    ds.exc = SimpleNamespace(name=text(ex["excluded_name"]), tax=text(ex["tax_id"]),
                             state=codes(ex["state_code"], ds.state_codes), start=days(ex["start_date"]),
                             end=days(ex["end_date"]))
    ds.exc.end = np.where(ds.exc.end == NULL_DATE, NO_END, ds.exc.end)

    so = t["solicitations"]
    ds.sol = SimpleNamespace(id=text(so["solicitation_id"]), state=codes(so["state_code"], ds.state_codes),
                             agency=codes(so["agency_id"], ds.agency_ids), method=text(so["method"]),
                             comm=comm(so["commodity_code"]), issue=days(so["issue_date"]),
                             close=days(so["close_date"]), status=text(so["status"]))
    ds.sol.family = fam_of(ds.sol.comm)
    bi = _get(t, "bids", ["solicitation_id", "bid_amount", "is_responsive"])
    ds.bid = SimpleNamespace(sol=index_of(bi["solicitation_id"], so["solicitation_id"]), amount=cents(bi["bid_amount"]),
                             responsive=flag(bi["is_responsive"]))
    aw = t["awards"]
    ds.awd = SimpleNamespace(id=text(aw["award_id"]), sol=index_of(aw["solicitation_id"], so["solicitation_id"]),
                             supplier=codes(aw["supplier_id"], ds.supplier_ids), date=days(aw["award_date"]),
                             value=cents(aw["award_value"]), status=text(aw["status"]))

    ct = t["contracts"]
    ds.contract_ids = ct["contract_id"].to_list()
    am = t["contract_amendments"]
    ds.con = SimpleNamespace(state=codes(ct["state_code"], ds.state_codes), agency=codes(ct["agency_id"], ds.agency_ids),
                             supplier=codes(ct["supplier_id"], ds.supplier_ids), vehicle=text(ct["vehicle"]),
                             master=index_of(ct["master_contract_id"], ct["contract_id"]),
                             lead=codes(ct["lead_state_code"], ds.state_codes), comm=comm(ct["commodity_code"]),
                             method=text(ct["procurement_method"]), start=days(ct["start_date"]),
                             end=days(ct["end_date"]), original=cents(ct["original_value"]),
                             current=cents(ct["current_value"]))
    ds.con.family = fam_of(ds.con.comm)
    a_con = index_of(am["contract_id"], ct["contract_id"])
    a_end = days(am["new_end_date"])
    eff = ds.con.end.copy()
    ok = (a_con >= 0) & (a_end != NULL_DATE)
    np.maximum.at(eff, a_con[ok], a_end[ok])
    ds.con.eff_end = eff

    cp = t["contract_prices"]
    # item and unit of measure as codes over the price list's values (RF17 joins lines to prices on them);
    # a null never matches (-2 in the price list, -1 on a line)
    item_vocab = cp["item_number"].drop_nulls().unique(maintain_order=True)
    uom_vocab = cp["unit_of_measure"].drop_nulls().unique(maintain_order=True)
    ds.price = SimpleNamespace(contract=index_of(cp["contract_id"], ct["contract_id"]),
                               item=_vocab_code(cp["item_number"], item_vocab, -2),
                               uom=_vocab_code(cp["unit_of_measure"], uom_vocab, -2), price=price4(cp["contract_price"]),
                               start=days(cp["effective_from"]), end=days(cp["effective_to"]))
    ds.price.end = np.where(ds.price.end == NULL_DATE, NO_END, ds.price.end)

    # the large tables one at a time (read with the columns needed only, released after use)
    po = _get(t, "purchase_orders", ["po_id", "state_code", "agency_id", "supplier_id", "contract_id", "po_date",
                                     "total_amount", "channel", "status"])
    po_key = po["po_id"]
    ds.po = SimpleNamespace(id=ids(po["po_id"]), state=codes(po["state_code"], ds.state_codes),
                            agency=codes(po["agency_id"], ds.agency_ids), supplier=codes(po["supplier_id"], ds.supplier_ids),
                            contract=index_of(po["contract_id"], ct["contract_id"]),
                            has_contract=po["contract_id"].is_not_null().to_numpy(), date=days(po["po_date"]),
                            total=cents(po["total_amount"]), channel=labels(po["channel"]), status=labels(po["status"]))
    del po
    pl_ = _get(t, "purchase_order_lines", ["po_id", "line_number", "item_number", "commodity_code", "unit_of_measure",
                                           "unit_price"])
    ds.line = SimpleNamespace(po=index_of(pl_["po_id"], po_key), number=pl_["line_number"].cast(pl.Int64).to_numpy(),
                              item=_vocab_code(pl_["item_number"], item_vocab, -1), comm=comm(pl_["commodity_code"]),
                              uom=_vocab_code(pl_["unit_of_measure"], uom_vocab, -1), unit=price4(pl_["unit_price"]))
    del pl_
    rc = _get(t, "receipts", ["po_id", "line_number", "receipt_date", "promised_date"])
    ds.rcpt = SimpleNamespace(po=index_of(rc["po_id"], po_key), line=rc["line_number"].cast(pl.Int64).to_numpy(),
                              date=days(rc["receipt_date"]), promised=days(rc["promised_date"]))
    del rc

    iv = _get(t, "invoices", ["invoice_id", "invoice_number", "state_code", "agency_id", "supplier_id", "po_id",
                              "invoice_date", "received_date", "due_date", "amount", "is_electronic", "match_status"])
    inv_key = iv["invoice_id"]
    ds.inv = SimpleNamespace(id=ids(iv["invoice_id"]), id_rank=rank(iv["invoice_id"]),
                             number_code=dense_code(iv["invoice_number"].str.to_uppercase()
                                                    .str.replace_all(r"[^A-Z0-9]", "").str.strip_chars_start("0")),
                             state=codes(iv["state_code"], ds.state_codes), agency=codes(iv["agency_id"], ds.agency_ids),
                             supplier=codes(iv["supplier_id"], ds.supplier_ids), po=index_of(iv["po_id"], po_key),
                             has_po=iv["po_id"].is_not_null().to_numpy(), date=days(iv["invoice_date"]),
                             received=days(iv["received_date"]), due=days(iv["due_date"]), amount=cents(iv["amount"]),
                             electronic=flag(iv["is_electronic"]), match=labels(iv["match_status"]))
    del iv, po_key
    pa = _get(t, "payments", ["payment_id", "state_code", "agency_id", "supplier_id", "invoice_id", "contract_id",
                              "commodity_code", "payment_date", "amount", "discount_taken"])
    ds.pay = SimpleNamespace(id=ids(pa["payment_id"]), id_rank=rank(pa["payment_id"]),
                             state=codes(pa["state_code"], ds.state_codes),
                             agency=codes(pa["agency_id"], ds.agency_ids), supplier=codes(pa["supplier_id"], ds.supplier_ids),
                             invoice=index_of(pa["invoice_id"], inv_key),
                             invoice_code=dense_code(pa["invoice_id"]),
                             contract=index_of(pa["contract_id"], ct["contract_id"]), comm=comm(pa["commodity_code"]),
                             date=days(pa["payment_date"]), amount=cents(pa["amount"]),
                             discount=cents(pa["discount_taken"]))
    del pa, inv_key
    cs = _get(t, "coop_sales", ["master_contract_id", "state_code", "customer_type", "invoice_date", "total"])
    ds.coop = SimpleNamespace(master=index_of(cs["master_contract_id"], ct["contract_id"]),
                              state=codes(cs["state_code"], ds.state_codes), customer_type=labels(cs["customer_type"]),
                              date=days(cs["invoice_date"]), total=cents(cs["total"]))
    return ds


def threshold(ds: SimpleNamespace, kind: str, state: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Amount (cents) of the `kind` threshold in force on each date in each state; -1 where none is."""
    out = np.full(len(state), -1, dtype=np.int64)
    th = ds.thr
    for r in np.flatnonzero(th.type == kind):
        m = (state == th.state[r]) & (th.start[r] <= when) & (when <= th.end[r])
        out[m] = th.amount[r]
    return out
