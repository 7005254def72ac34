"""The synthetic generator: determinism, schema conformance, referential integrity and ground truth.

The KPI check re-computes every KPI of truth/kpis.csv (docs/kpi_rules.md) from the CSV files with polars,
independently of the generator's own numpy computation on its in-memory tables; the red-flag checks
verify that anomalies.csv names existing entities, that every rule of docs/red_flags.md is embedded in
every state, and re-derive the simpler rules with polars.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.schema import load_schema
from ingestion.synthetic.generator import DEFAULT_SCALE, DEFAULT_STATES, NOT_GENERATED, GenerationResult, generate

SCALE = 0.002
SCHEMA = {name: ent for name, ent in load_schema().items() if name not in NOT_GENERATED}


@pytest.fixture(scope="module")
def gen(tmp_path_factory) -> tuple[Path, Path, GenerationResult]:
    root = tmp_path_factory.mktemp("synthetic")
    calls: list[tuple[str, int, int]] = []
    res = generate(root / "landing", root / "truth", scale=SCALE, seed=42,
                   progress=lambda s, d, t: calls.append((s, d, t)))
    assert calls and calls[-1][1] == calls[-1][2]
    assert {c[0] for c in calls} >= set(SCHEMA)
    return root / "landing", root / "truth", res


def _quarantine(truth: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    with open(truth / "expected_quarantine.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["entity"], set()).add(int(r["row_number"]))
    return out


def _read(landing: Path, name: str, bad: dict[str, set[int]] | None = None) -> pl.DataFrame:
    df = pl.read_csv(landing / f"{name}.csv", infer_schema=False)
    if bad and bad.get(name):
        df = df.with_row_index("_rn", offset=1).filter(~pl.col("_rn").is_in(sorted(bad[name]))).drop("_rn")
    return df


def _all_files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


# ------------------------------------------------------------------------------------------- basics
def test_defaults():
    assert DEFAULT_STATES == ("NV", "TX", "NY", "MI")
    assert DEFAULT_SCALE == 0.02


def test_deterministic_and_seed_sensitive(gen, tmp_path):
    landing, truth, _ = gen
    generate(tmp_path / "a" / "landing", tmp_path / "a" / "truth", scale=SCALE, seed=42)
    assert _all_files(tmp_path / "a" / "landing") == _all_files(landing)
    assert _all_files(tmp_path / "a" / "truth") == _all_files(truth)
    generate(tmp_path / "b" / "landing", tmp_path / "b" / "truth", scale=SCALE, seed=7)
    other = _all_files(tmp_path / "b" / "landing")
    assert other.keys() == _all_files(landing).keys()
    assert other["payments.csv"] != _all_files(landing)["payments.csv"]


def test_unknown_state_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="ZZ"):
        generate(tmp_path / "l", tmp_path / "t", scale=SCALE, states=("NV", "ZZ"))


def test_any_state_code_works(tmp_path):
    res = generate(tmp_path / "l", tmp_path / "t", scale=0.001, seed=3, states=("AL", "DC"))
    states = _read(tmp_path / "l", "states")
    assert dict(zip(states["state_code"], states["fiscal_year_start_month"])) == {"AL": "10", "DC": "10"}
    assert res.rows["payments"] > 0


def test_every_entity_file_with_schema_header(gen):
    landing, _, res = gen
    assert set(res.files) == set(SCHEMA)
    for name, ent in SCHEMA.items():
        path = landing / f"{name}.csv"
        assert res.files[name] == path and path.exists()
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        header = raw.split(b"\n", 1)[0].decode("utf-8")
        assert header == ",".join(ent.column_names), name
        assert res.rows[name] == _read(landing, name).height
        assert res.rows[name] > 0, name


def test_row_counts_and_manifest(gen):
    landing, truth, res = gen
    counts = json.loads((truth / "row_counts.json").read_text())
    bad = _quarantine(truth)
    for name in SCHEMA:
        assert counts["valid_rows"][name] + counts["invalid_rows"][name] == res.rows[name]
        assert counts["invalid_rows"][name] == len(bad.get(name, ()))
    assert counts["invalid_rows"]["payments"] >= 3 and counts["invalid_rows"]["invoices"] >= 3
    manifest = json.loads((truth / "manifest.json").read_text())
    assert manifest["seed"] == 42 and manifest["scale"] == SCALE and manifest["states"] == list(DEFAULT_STATES)
    assert manifest["window"] == {"start": "2023-01-01", "end": "2025-12-31"}
    assert not (landing / "kpis.csv").exists()


def test_fiscal_year_starts(gen):
    landing, _, _ = gen
    st = _read(landing, "states")
    assert dict(zip(st["state_code"], st["fiscal_year_start_month"])) == {"NV": "7", "TX": "9", "NY": "4", "MI": "10"}


# ------------------------------------------------------------------------------------------- validity
def test_required_allowed_and_formats(gen):
    landing, truth, _ = gen
    bad = _quarantine(truth)
    for name, ent in SCHEMA.items():
        df = _read(landing, name)
        rn = pl.Series("rn", range(1, df.height + 1))
        quarantined = rn.is_in(sorted(bad.get(name, set())))
        for col in ent.columns:
            s = df[col.name]
            ok = ~quarantined
            if col.required:
                empty = s.is_null() & ok
                assert not empty.any(), f"{name}.{col.name}: empty required value at rows {rn.filter(empty).head(5).to_list()}"
            vals = s.filter(ok).drop_nulls()
            if col.allowed:
                assert set(vals.unique().to_list()) <= set(col.allowed), f"{name}.{col.name}"
            if col.type == "date":
                assert vals.str.contains(r"^\d{4}-\d{2}-\d{2}$").all(), f"{name}.{col.name}"
                assert vals.str.to_date("%Y-%m-%d", strict=False).null_count() == 0, f"{name}.{col.name}"
            if col.type == "money":
                assert vals.str.contains(r"^-?\d+\.\d{2}$").all(), f"{name}.{col.name}"
            if col.type == "price":
                assert vals.str.contains(r"^-?\d+(\.\d{1,4})?$").all(), f"{name}.{col.name}"
            if col.type == "boolean":
                assert set(vals.unique().to_list()) <= {"true", "false"}, f"{name}.{col.name}"
            if col.type == "integer":
                assert vals.str.contains(r"^-?\d+$").all(), f"{name}.{col.name}"
            if col.min is not None and col.type in ("money", "price", "integer"):
                assert (vals.cast(pl.Float64) >= col.min).all(), f"{name}.{col.name}"
            if col.max is not None and col.type in ("money", "price", "integer"):
                assert (vals.cast(pl.Float64) <= col.max).all(), f"{name}.{col.name}"
        pk = list(ent.primary_key)
        valid = df.filter(~quarantined)
        assert valid.select(pk).is_duplicated().sum() == 0, f"{name}: duplicate primary key"


def test_injected_bad_rows_are_as_recorded(gen):
    landing, truth, _ = gen
    with open(truth / "expected_quarantine.csv", encoding="utf-8") as fh:
        recs = list(csv.DictReader(fh))
    assert {r["entity"] for r in recs} == {"payments", "invoices"}
    problems = {r["problem"] for r in recs}
    assert {"required field empty", "unparseable date", "non-numeric amount"} <= problems
    for r in recs:
        df = _read(landing, r["entity"])
        v = df[r["column"]][int(r["row_number"]) - 1]
        expected = {"required field empty": None, "unparseable date": "2024-13-45", "non-numeric amount": "12,3x"}
        assert v == expected[r["problem"]], r


def test_referential_integrity(gen):
    landing, truth, _ = gen
    bad = _quarantine(truth)
    tables = {n: _read(landing, n, bad) for n in SCHEMA}

    def subset(child: str, col: str, parent: str, pcol: str) -> None:
        vals = set(tables[child][col].drop_nulls().to_list())
        keys = set(tables[parent][pcol].to_list())
        missing = vals - keys
        assert not missing, f"{child}.{col} -> {parent}.{pcol}: {sorted(missing)[:5]}"

    for name, ent in SCHEMA.items():
        for c in ent.columns:
            if c.references:
                p, _, pc = c.references.partition(".")
                subset(name, c.name, p, pc)
    subset("payments", "invoice_id", "invoices", "invoice_id")
    subset("payments", "po_id", "purchase_orders", "po_id")
    subset("payments", "contract_id", "contracts", "contract_id")
    subset("invoices", "po_id", "purchase_orders", "po_id")
    subset("purchase_orders", "contract_id", "contracts", "contract_id")
    subset("purchase_orders", "requisition_id", "requisitions", "requisition_id")
    subset("contracts", "award_id", "awards", "award_id")
    subset("contracts", "lead_state_code", "states", "state_code")
    subset("exclusions", "state_code", "states", "state_code")
    ct = tables["contracts"]
    pa = ct.filter(pl.col("vehicle") == "participating_addendum")
    masters = ct.filter(pl.col("vehicle") == "cooperative_master")
    assert pa.height > 0 and masters.height > 0
    assert pa["master_contract_id"].null_count() == 0
    assert set(pa["master_contract_id"]) <= set(masters["contract_id"])
    assert masters["lead_state_code"].null_count() == 0
    assert (masters.filter(pl.col("coop_program") == "NASPO ValuePoint")["admin_fee_rate"] == "0.0025").all()
    subset("coop_sales", "master_contract_id", "contracts", "contract_id")
    assert set(tables["coop_sales"]["master_contract_id"]) <= set(masters["contract_id"])
    rk = tables["receipts"].select("po_id", "line_number").unique()
    lk = tables["purchase_order_lines"].select("po_id", "line_number")
    assert rk.join(lk, on=["po_id", "line_number"], how="anti").height == 0
    # current value = original + sum of amendments
    am = tables["contract_amendments"].group_by("contract_id").agg(
        pl.col("value_change").cast(pl.Decimal(18, 2)).sum().alias("chg"))
    chk = ct.join(am, on="contract_id", how="left").with_columns(
        pl.col("chg").fill_null(Decimal("0")),
        pl.col("original_value").cast(pl.Decimal(18, 2)), pl.col("current_value").cast(pl.Decimal(18, 2)))
    assert (chk["original_value"] + chk["chg"] == chk["current_value"]).all()
    # list price >= contract price
    cp = tables["contract_prices"]
    assert (cp["list_price"].cast(pl.Float64) >= cp["contract_price"].cast(pl.Float64)).all()


def test_supplier_entities_and_name_variants(gen):
    landing, truth, _ = gen
    sup = _read(landing, "suppliers")
    ents = pl.read_csv(truth / "supplier_entities.csv", infer_schema=False)
    assert set(ents["supplier_id"]) == set(sup["supplier_id"])
    multi = ents.group_by("entity_id").agg(pl.len().alias("n")).filter(pl.col("n") > 1)
    assert multi.height > 0
    j = sup.join(ents, on="supplier_id").filter(pl.col("entity_id").is_in(multi["entity_id"].to_list()))
    names = j.group_by("entity_id").agg(pl.col("supplier_name").n_unique().alias("k"))
    assert (names["k"] > 1).all()
    assert sup["tax_id"].drop_nulls().str.contains(r"^\d{2}-\d{7}$").all()


# ------------------------------------------------------------------------------------------- ground truth
MONEY = pl.Decimal(18, 2)
KPI_IDS = ["1.1", "3.2", "4.1", "4.2", "5.1", "6.1", "7.2", "7.3", "7.4", "8.2", "12.1", "12.2", "12.3"]
MONEY_KPIS = {"1.1", "4.1", "5.1", "12.1", "12.2"}


def _fy(date_col: str) -> pl.Expr:
    d = pl.col(date_col)
    s = pl.col("fy_start")
    return (d.dt.year() + ((s > 1) & (d.dt.month() >= s)).cast(pl.Int32)).alias("fiscal_year")


def _dates(*cols: str) -> list[pl.Expr]:
    return [pl.col(c).str.to_date() for c in cols]


def _rollup(df: pl.DataFrame, kpi: str, money: bool) -> pl.DataFrame:
    """state x FY and state x agency x FY (agency not null) rows from columns state_code, agency_id, fiscal_year,
    num, den (Decimal for money, Int64 for counts)."""
    out = []
    for keys in (["state_code", "fiscal_year"], ["state_code", "agency_id", "fiscal_year"]):
        src = df if "agency_id" not in keys else df.filter(pl.col("agency_id").is_not_null())
        g = src.group_by(keys).agg(pl.col("num").sum(), pl.col("den").sum())
        if "agency_id" not in keys:
            g = g.with_columns(pl.lit(None, dtype=pl.Utf8).alias("agency_id"))
        out.append(g.select("state_code", "agency_id", "fiscal_year", "num", "den"))
    r = pl.concat(out)
    return r.with_columns(
        pl.lit(kpi).alias("kpi_id"), pl.col("num").cast(pl.Utf8).alias("numerator"),
        pl.col("den").cast(pl.Utf8).alias("denominator"),
        (pl.col("num").cast(pl.Float64) / pl.col("den").cast(pl.Float64)).alias("value_f"))


def _recompute(landing: Path, truth: Path) -> pl.DataFrame:
    """Every KPI of kpis.csv, straight from the landing CSVs with polars joins (docs/kpi_rules.md)."""
    bad = _quarantine(truth)
    money = MONEY
    zero = pl.lit(Decimal("0")).cast(money)
    states = _read(landing, "states").select("state_code", pl.col("fiscal_year_start_month").cast(pl.Int32).alias("fy_start"))
    comm = _read(landing, "commodity_codes").select(
        "commodity_code", (pl.col("is_addressable") == "true").alias("addr"),
        (pl.col("commodity_code").str.slice(0, 4) + "0000").alias("family"))
    amend = _read(landing, "contract_amendments").select("contract_id", pl.col("new_end_date").str.to_date()) \
        .group_by("contract_id").agg(pl.col("new_end_date").max())
    con = _read(landing, "contracts").select(
        "contract_id", pl.col("state_code").alias("c_state"), "vehicle", pl.col("start_date").str.to_date(),
        pl.col("end_date").str.to_date(), (pl.col("commodity_code").str.slice(0, 4) + "0000").alias("c_family"),
    ).join(amend, on="contract_id", how="left").with_columns(
        pl.max_horizontal("end_date", "new_end_date").alias("eff_end"))
    pay = _read(landing, "payments", bad).select(
        "payment_id", "state_code", "agency_id", "invoice_id", "contract_id", "commodity_code",
        pl.col("payment_date").str.to_date(), pl.col("amount").cast(money),
        pl.col("discount_taken").cast(money).fill_null(zero)
    ).join(states, on="state_code").with_columns(_fy("payment_date")).join(comm, on="commodity_code", how="left")
    parts = []

    def money_kpi(df: pl.DataFrame, kpi: str, flag: str) -> None:
        parts.append(_rollup(df.with_columns(pl.when(pl.col(flag)).then(pl.col("amount")).otherwise(zero).alias("num"),
                                             pl.col("amount").alias("den")), kpi, True))

    def count_kpi(df: pl.DataFrame, kpi: str, flag: pl.Expr) -> None:
        parts.append(_rollup(df.with_columns(flag.fill_null(False).cast(pl.Int64).alias("num"),
                                             pl.lit(1, dtype=pl.Int64).alias("den")), kpi, False))

    # 1.1 spend under management
    addr = pay.filter(pl.col("addr").fill_null(False) & (pl.col("amount") > 0)).join(
        con.select("contract_id", "start_date", "eff_end"), on="contract_id", how="left").with_columns(
        (pl.col("start_date").is_not_null() & (pl.col("start_date") <= pl.col("payment_date"))
         & (pl.col("payment_date") <= pl.col("eff_end"))).fill_null(False).alias("in_term"))
    money_kpi(addr, "1.1", "in_term")
    # 12.2 maverick spend
    cover = con.filter(pl.col("vehicle").is_in(["statewide", "participating_addendum"]))
    covered_ids = pay.filter(pl.col("family").is_not_null()).join(
        cover, left_on=["state_code", "family"], right_on=["c_state", "c_family"]).filter(
        (pl.col("start_date") <= pl.col("payment_date")) & (pl.col("payment_date") <= pl.col("eff_end"))
    ).select("payment_id").unique()
    cov = pay.filter(pl.col("amount") > 0).join(covered_ids, on="payment_id", how="semi").with_columns(
        (~pl.col("contract_id").is_in(con["contract_id"].to_list()).fill_null(False)).alias("maverick"))
    money_kpi(cov, "12.2", "maverick")

    # invoices and their first positive payment: 7.2, 7.3, 7.4, 8.2
    inv = _read(landing, "invoices", bad).with_columns(*_dates("invoice_date", "received_date", "due_date")) \
        .join(states, on="state_code")
    first = pay.filter(pl.col("invoice_id").is_not_null() & (pl.col("amount") > 0)).group_by("invoice_id").agg(
        pl.col("payment_date").min().alias("first_pay"))
    ip = inv.join(first, on="invoice_id").with_columns(
        (pl.col("first_pay") - pl.col("received_date")).dt.total_days().alias("days"), _fy("first_pay"))
    out72 = []
    for keys in (["state_code", "fiscal_year"], ["state_code", "agency_id", "fiscal_year"]):
        g = ip.group_by(keys).agg(pl.col("days").sum().cast(pl.Utf8).alias("numerator"),
                                  pl.len().cast(pl.Utf8).alias("denominator"),
                                  pl.col("days").median().alias("value_f"))
        if "agency_id" not in keys:
            g = g.with_columns(pl.lit(None, dtype=pl.Utf8).alias("agency_id"))
        out72.append(g.select("state_code", "agency_id", "fiscal_year", "numerator", "denominator", "value_f"))
    parts.append(pl.concat(out72).with_columns(pl.lit("7.2").alias("kpi_id")))
    # 7.3: paid in full by the due date (payments dated up to it, net of refunds, plus the discount taken);
    # an invoice without a due date is left out
    paid_by_due = pay.filter(pl.col("invoice_id").is_not_null()).join(
        inv.select("invoice_id", "due_date"), on="invoice_id").filter(pl.col("payment_date") <= pl.col("due_date")) \
        .group_by("invoice_id").agg((pl.col("amount") + pl.col("discount_taken")).sum().alias("paid_by_due"))
    count_kpi(ip.filter(pl.col("due_date").is_not_null()).join(paid_by_due, on="invoice_id", how="left"), "7.3",
              pl.col("paid_by_due").fill_null(zero) >= pl.col("amount").cast(money))
    count_kpi(inv.filter(pl.col("po_id").is_not_null()
                         & pl.col("match_status").is_in(["first_pass", "after_exception", "unmatched"]))
              .with_columns(_fy("received_date")), "7.4", pl.col("match_status") == "first_pass")
    count_kpi(inv.with_columns(_fy("received_date")), "8.2", pl.col("is_electronic") == "true")

    # purchase orders: 3.2, 12.3, 6.1
    po = _read(landing, "purchase_orders").with_columns(*_dates("po_date")).join(states, on="state_code") \
        .with_columns(_fy("po_date"), pl.col("total_amount").cast(money))
    thr = _read(landing, "purchase_thresholds").filter(pl.col("threshold_type") == "small_purchase").select(
        pl.col("state_code"), pl.col("amount").cast(money).alias("t"), pl.col("effective_from").str.to_date(),
        pl.col("effective_to").str.to_date().fill_null(date(9999, 12, 31)))
    t_in_force = po.select("po_id", "state_code", "po_date").join(thr, on="state_code").filter(
        (pl.col("effective_from") <= pl.col("po_date")) & (pl.col("po_date") <= pl.col("effective_to"))
    ).select("po_id", "t")
    # a PO with no threshold in force cannot be judged small or not: left out
    live = po.filter(pl.col("status") != "cancelled").join(t_in_force, on="po_id", how="inner")
    count_kpi(live, "3.2", pl.col("total_amount") < pl.col("t"))
    earliest = inv.filter(pl.col("po_id").is_not_null()).group_by("po_id").agg(pl.col("invoice_date").min().alias("e"))
    count_kpi(po.join(earliest, on="po_id"), "12.3", pl.col("po_date") > pl.col("e"))
    rc = _read(landing, "receipts").filter(pl.col("promised_date").is_not_null()).with_columns(
        *_dates("receipt_date", "promised_date")).join(po.select("po_id", "state_code", "agency_id"), on="po_id") \
        .join(states, on="state_code").with_columns(_fy("receipt_date"))
    count_kpi(rc, "6.1", pl.col("receipt_date") <= pl.col("promised_date"))

    # sourcing: 4.1, 12.1, 4.2
    sol = _read(landing, "solicitations").with_columns(*_dates("issue_date")).join(states, on="state_code")
    aw = _read(landing, "awards").filter(pl.col("status") == "active").with_columns(
        *_dates("award_date"), pl.col("award_value").cast(money).alias("amount")).join(
        sol.select("solicitation_id", "state_code", "agency_id", "method", "fy_start"), on="solicitation_id") \
        .with_columns(_fy("award_date"), pl.col("method").is_in(["open", "selective"]).alias("comp"),
                      pl.col("method").is_in(["limited", "direct"]).alias("noncomp"))
    money_kpi(aw, "4.1", "comp")
    money_kpi(aw, "12.1", "noncomp")
    nb = _read(landing, "bids").group_by("solicitation_id").agg(pl.len().alias("n_bids"))
    count_kpi(sol.filter(pl.col("method").is_in(["open", "selective"]) & (pl.col("status") != "cancelled"))
              .join(nb, on="solicitation_id").with_columns(_fy("issue_date")), "4.2", pl.col("n_bids") == 1)
    # 5.1 contract value growth
    ct = _read(landing, "contracts").with_columns(*_dates("start_date"), pl.col("original_value").cast(money),
                                                 pl.col("current_value").cast(money)) \
        .filter(pl.col("original_value") > 0).join(states, on="state_code").with_columns(_fy("start_date"))
    parts.append(_rollup(ct.with_columns((pl.col("current_value") - pl.col("original_value")).alias("num"),
                                         pl.col("original_value").alias("den")), "5.1", True))

    cols = ["kpi_id", "state_code", "agency_id", "fiscal_year", "numerator", "denominator", "value_f"]
    return pl.concat([p.select(cols) for p in parts]).with_columns(pl.col("fiscal_year").cast(pl.Int64))


def test_ground_truth_matches_independent_recomputation(gen):
    landing, truth, _ = gen
    mine = _recompute(landing, truth)
    theirs = pl.read_csv(truth / "kpis.csv", infer_schema=False).with_columns(pl.col("fiscal_year").cast(pl.Int64))
    assert theirs.columns == ["kpi_id", "state_code", "agency_id", "fiscal_year", "numerator", "denominator", "value"]
    assert sorted(set(theirs["kpi_id"]), key=KPI_IDS.index) == KPI_IDS
    keys = ["kpi_id", "state_code", "agency_id", "fiscal_year"]
    assert theirs.select(keys).is_duplicated().sum() == 0
    j = theirs.join(mine, on=keys, how="full", nulls_equal=True, suffix="_r")
    missing = j.filter(pl.col("kpi_id").is_null() | pl.col("kpi_id_r").is_null())
    assert missing.height == 0, f"grains differ between the truth and the recomputation: {missing.head(10)}"
    assert j.height == theirs.height == mine.height
    for r in j.iter_rows(named=True):
        assert Decimal(r["numerator"]) == Decimal(r["numerator_r"]), r
        assert Decimal(r["denominator"]) == Decimal(r["denominator_r"]), r
        if r["value"] is None:
            assert Decimal(r["denominator"]) == 0
        else:
            assert abs(float(r["value"]) - r["value_f"]) <= 1e-9, r
        # counts are plain integers, money sums exact with two decimals
        pattern = r"^-?\d+\.\d{2}$" if r["kpi_id"] in MONEY_KPIS else r"^\d+$"
        assert re.match(pattern, r["numerator"]) and re.match(pattern, r["denominator"]), r


def test_ground_truth_is_non_trivial(gen):
    landing, truth, _ = gen
    k = pl.read_csv(truth / "kpis.csv", infer_schema=False).filter(pl.col("agency_id").is_null())
    st = k.filter(pl.col("kpi_id") == "1.1")
    # every state has all four fiscal years that the window touches (FY2023..FY2026)
    assert st.group_by("state_code").agg(pl.col("fiscal_year").n_unique().alias("n"))["n"].to_list() == [4] * 4
    for kpi in ("1.1", "12.2"):
        v = k.filter(pl.col("kpi_id") == kpi)["value"].cast(pl.Float64)
        assert v.len() == 16 and (v > 0).all() and (v < 1).all(), kpi
    d72 = k.filter(pl.col("kpi_id") == "7.2")
    assert d72.height == 16
    # every KPI has rows in every state, and its values are not all equal
    for kpi in KPI_IDS:
        rows = k.filter(pl.col("kpi_id") == kpi)
        assert set(rows["state_code"]) == set(DEFAULT_STATES), kpi
        assert rows["value"].cast(pl.Float64).n_unique() > 1, kpi
    agency_rows = pl.read_csv(truth / "kpis.csv", infer_schema=False).filter(pl.col("agency_id").is_not_null())
    assert set(agency_rows["kpi_id"]) == set(KPI_IDS)
    # per state x FY: on-contract in term, on-contract off term and no-contract payments all occur
    bad = _quarantine(truth)
    pay = _read(landing, "payments", bad).with_columns(pl.col("payment_date").str.to_date())
    assert str(pay["payment_date"].min()) >= "2023-01-01" and str(pay["payment_date"].max()) <= "2025-12-31"
    con = _read(landing, "contracts").select("contract_id", pl.col("start_date").str.to_date(),
                                             pl.col("end_date").str.to_date())
    amend = _read(landing, "contract_amendments").select("contract_id", pl.col("new_end_date").str.to_date()) \
        .group_by("contract_id").agg(pl.col("new_end_date").max())
    con = con.join(amend, on="contract_id", how="left").with_columns(pl.max_horizontal("end_date", "new_end_date").alias("eff"))
    p = pay.join(con, on="contract_id", how="left")
    in_ext = p.filter((pl.col("payment_date") > pl.col("end_date")) & (pl.col("payment_date") <= pl.col("eff")))
    assert in_ext.height > 0, "no payment relies on an amendment's extension"
    off = p.filter(pl.col("contract_id").is_not_null() & ((pl.col("payment_date") > pl.col("eff"))
                                                          | (pl.col("payment_date") < pl.col("start_date"))))
    assert off.height > 0
    days = pl.read_csv(truth / "kpis.csv", infer_schema=False).filter(pl.col("kpi_id") == "7.2")
    assert days["value"].cast(pl.Float64).n_unique() > 1 or int(days["denominator"].cast(pl.Int64).sum()) > 100


# ------------------------------------------------------------------------------------------- red flags
ENTITY_TYPES = {
    "RF01": "purchase_order", "RF02": "agency_year", "RF03": "contract", "RF04": "payment", "RF05": "contract",
    "RF06": "purchase_order", "RF07": "invoice", "RF08": "solicitation", "RF09": "solicitation",
    "RF10": "solicitation", "RF11": "contract", "RF12": "payment", "RF13": "invoice", "RF14": "payment",
    "RF15": "payment", "RF16": "payment", "RF17": "purchase_order_line", "RF18": "payment", "RF19": "coop_report",
    "RF20": "buyer_category_supplier",
}


def _anomalies(truth: Path) -> pl.DataFrame:
    return pl.read_csv(truth / "anomalies.csv", infer_schema=False)


def _entity_states(landing: Path, truth: Path) -> dict[str, dict[str, str]]:
    """entity_type -> entity_id -> state_code, for every entity an anomaly may name."""
    bad = _quarantine(truth)
    t = {n: _read(landing, n, bad) for n in ("agencies", "contracts", "payments", "invoices", "purchase_orders",
                                            "purchase_order_lines", "solicitations", "commodity_codes", "suppliers",
                                            "states")}
    ag_state = dict(zip(t["agencies"]["agency_id"], t["agencies"]["state_code"]))
    po_state = dict(zip(t["purchase_orders"]["po_id"], t["purchase_orders"]["state_code"]))
    fy_years = {str(y) for y in range(2015, 2030)}
    families = {c[:4] + "0000" for c in t["commodity_codes"]["commodity_code"]}
    suppliers = set(t["suppliers"]["supplier_id"])
    masters = set(t["contracts"].filter(pl.col("vehicle") == "cooperative_master")["contract_id"])
    state_codes = set(t["states"]["state_code"])
    out: dict[str, dict[str, str]] = {
        "purchase_order": po_state,
        "contract": dict(zip(t["contracts"]["contract_id"], t["contracts"]["state_code"])),
        "payment": dict(zip(t["payments"]["payment_id"], t["payments"]["state_code"])),
        "invoice": dict(zip(t["invoices"]["invoice_id"], t["invoices"]["state_code"])),
        "solicitation": dict(zip(t["solicitations"]["solicitation_id"], t["solicitations"]["state_code"])),
        "purchase_order_line": {f"{p}:{n}": po_state[p] for p, n in zip(t["purchase_order_lines"]["po_id"],
                                                                       t["purchase_order_lines"]["line_number"])},
    }
    anomalies = _anomalies(truth)
    for et in ("agency_year", "coop_report", "buyer_category_supplier"):
        out[et] = {}
        for eid in anomalies.filter(pl.col("entity_type") == et)["entity_id"]:
            parts = eid.split(":")
            if et == "agency_year" and len(parts) == 2 and parts[0] in ag_state and parts[1] in fy_years:
                out[et][eid] = ag_state[parts[0]]
            if (et == "coop_report" and len(parts) == 3 and parts[0] in masters and parts[1] in state_codes
                    and re.fullmatch(r"20\d\dQ[1-4]", parts[2])):
                out[et][eid] = parts[1]
            if (et == "buyer_category_supplier" and len(parts) == 3 and parts[0] in ag_state and parts[1] in families
                    and parts[2] in suppliers):
                out[et][eid] = ag_state[parts[0]]
    return out


def test_anomalies_reference_existing_entities(gen):
    landing, truth, _ = gen
    a = _anomalies(truth)
    assert a.columns == ["rule_id", "entity_type", "entity_id"]
    assert a.is_duplicated().sum() == 0
    assert set(a["rule_id"]) == set(ENTITY_TYPES)
    for rule, et in ENTITY_TYPES.items():
        assert set(a.filter(pl.col("rule_id") == rule)["entity_type"]) == {et}, rule
    known = _entity_states(landing, truth)
    unknown = [r for r in a.iter_rows(named=True) if r["entity_id"] not in known[r["entity_type"]]]
    assert not unknown, unknown[:10]
    # none names a row injected as invalid
    bad_ids = set()
    for entity, rows in _quarantine(truth).items():
        df = pl.read_csv(landing / f"{entity}.csv", infer_schema=False)
        pk = SCHEMA[entity].primary_key[0]
        bad_ids |= {df[pk][i - 1] for i in rows}
    assert not (bad_ids & set(a["entity_id"]))


def test_every_rule_is_embedded_in_every_state(gen):
    landing, truth, _ = gen
    a = _anomalies(truth)
    known = _entity_states(landing, truth)
    for rule in ENTITY_TYPES:
        rows = a.filter(pl.col("rule_id") == rule)
        assert rows.height >= 2, rule
        states = {known[r["entity_type"]][r["entity_id"]] for r in rows.iter_rows(named=True)}
        assert states == set(DEFAULT_STATES), (rule, states)
    manifest = json.loads((truth / "manifest.json").read_text())["red_flags"]
    assert manifest["anomalies"] == {r: a.filter(pl.col("rule_id") == r).height for r in ENTITY_TYPES}
    assert all(manifest["injected"][r] >= len(DEFAULT_STATES) for r in ENTITY_TYPES)


def test_simple_rules_match_an_independent_recomputation(gen):
    """RF03, RF04, RF08, RF09, RF13, RF15, RF16 re-derived with polars from the CSV files."""
    landing, truth, _ = gen
    bad = _quarantine(truth)
    a = _anomalies(truth)

    def got(rule: str) -> set[str]:
        return set(a.filter(pl.col("rule_id") == rule)["entity_id"])

    pay = _read(landing, "payments", bad).with_columns(*_dates("payment_date"), pl.col("amount").cast(MONEY))
    amend = _read(landing, "contract_amendments").select("contract_id", pl.col("new_end_date").str.to_date()) \
        .group_by("contract_id").agg(pl.col("new_end_date").max())
    con = _read(landing, "contracts").with_columns(*_dates("start_date", "end_date")).join(amend, on="contract_id", how="left") \
        .with_columns(pl.max_horizontal("end_date", "new_end_date").alias("eff"), pl.col("original_value").cast(MONEY),
                      pl.col("current_value").cast(MONEY))
    thr = _read(landing, "purchase_thresholds").filter(pl.col("threshold_type") == "sole_source_max").with_columns(
        *_dates("effective_from"), pl.col("effective_to").str.to_date().fill_null(date(9999, 12, 31)),
        pl.col("amount").cast(MONEY))
    rf03 = con.filter(pl.col("procurement_method") == "direct").join(thr, on="state_code").filter(
        (pl.col("effective_from") <= pl.col("start_date")) & (pl.col("start_date") <= pl.col("effective_to"))
        & (pl.col("original_value") < pl.col("amount")) & (pl.col("current_value") >= pl.col("amount")))
    assert got("RF03") == set(rf03["contract_id"])
    rf04 = pay.filter(pl.col("amount") > 0).join(con.select("contract_id", pl.col("start_date").alias("s"), "eff"),
                                                 on="contract_id").filter(
        (pl.col("payment_date") < pl.col("s")) | (pl.col("payment_date") > pl.col("eff")))
    assert got("RF04") == set(rf04["payment_id"])
    sol = _read(landing, "solicitations").with_columns(*_dates("issue_date", "close_date")).filter(
        pl.col("method").is_in(["open", "selective"]) & (pl.col("status") != "cancelled"))
    nb = _read(landing, "bids").group_by("solicitation_id").agg(pl.len().alias("n"))
    assert got("RF08") == set(sol.join(nb, on="solicitation_id").filter(pl.col("n") == 1)["solicitation_id"])
    assert got("RF09") == set(sol.filter((pl.col("close_date") - pl.col("issue_date")).dt.total_days() < 15)["solicitation_id"])
    inv = _read(landing, "invoices", bad).with_columns(
        pl.col("invoice_number").str.to_uppercase().str.replace_all("[^A-Z0-9]", "").str.strip_chars_start("0").alias("n"))
    ranked = inv.sort("received_date", "invoice_id").with_columns(
        pl.int_range(pl.len()).over("supplier_id", "n", "amount").alias("k"))
    assert got("RF13") == set(ranked.filter(pl.col("k") > 0)["invoice_id"])
    hol = _read(landing, "holidays").with_columns(*_dates("holiday_date"))
    weekend = pay.filter(pl.col("payment_date").dt.weekday() >= 6)["payment_id"]
    holiday = pay.join(hol, left_on=["state_code", "payment_date"], right_on=["state_code", "holiday_date"])["payment_id"]
    assert got("RF15") == set(weekend) | set(holiday)
    rf16 = pay.filter((pl.col("amount") >= 1000) & ((pl.col("amount") * 100).cast(pl.Int64) % 100_000 == 0))
    assert got("RF16") == set(rf16["payment_id"])


def test_baseline_keeps_clear_of_the_rules_outside_the_injected_patterns(gen):
    """Payments on business days, amounts with cents, on-contract lines at the contract price, tight bid gaps,
    cooperative reports that mirror the payments...: these rules fire (almost) only where a pattern was embedded."""
    landing, truth, _ = gen
    a = _anomalies(truth)
    counts = {r: a.filter(pl.col("rule_id") == r).height for r in ENTITY_TYPES}
    injected = json.loads((truth / "manifest.json").read_text())["red_flags"]["injected"]
    for rule in ("RF03", "RF06", "RF07", "RF09", "RF10", "RF13", "RF15", "RF16", "RF17", "RF18", "RF19"):
        assert counts[rule] <= injected[rule] + 1, (rule, counts[rule], injected[rule])


# ------------------------------------------------------------------------------------------- layout, dates, blocks
def test_split_monthly_same_rows_and_truth(gen, tmp_path):
    """--split-monthly writes the same rows (one file per month of the main date) and the same ground truth."""
    from ingestion.common.loader import discover
    from ingestion.synthetic.generator import MONTHLY_DATES

    landing, truth, res = gen
    root = tmp_path / "split"
    res2 = generate(root / "landing" / "synthetic", root / "truth", scale=SCALE, seed=42, split_monthly=True)
    split = root / "landing" / "synthetic"
    assert res2.rows == res.rows
    for name in SCHEMA:
        single = (landing / f"{name}.csv").read_bytes()
        if name not in MONTHLY_DATES:
            assert (split / f"{name}.csv").read_bytes() == single, name
            continue
        assert not (split / f"{name}.csv").exists()
        parts = sorted((split / name).glob(f"{name}_*.csv"))
        assert len(parts) > 1, name
        for p in parts:
            assert re.fullmatch(rf"{name}_\d{{4}}-\d\d\.csv", p.name)
        a = pl.read_csv(landing / f"{name}.csv", infer_schema=False)
        b = pl.concat([pl.read_csv(p, infer_schema=False) for p in parts])
        assert b.columns == a.columns and b.height == a.height
        assert b.sort(b.columns, nulls_last=True).equals(a.sort(a.columns, nulls_last=True)), name
    pay = pl.concat([pl.read_csv(p, infer_schema=False).with_columns(f=pl.lit(p.stem[-7:]))
                     for p in (split / "payments").glob("*.csv")])
    ok = pay.filter(pl.col("payment_date").str.to_date(strict=False).is_not_null())
    assert (ok["payment_date"].str.slice(0, 7) == ok["f"]).all()
    for p in sorted(truth.iterdir()):
        assert (root / "truth" / p.name).read_bytes() == p.read_bytes(), p.name
    # the loader maps every monthly file to its entity
    found, unrecognised = discover(root / "landing")
    assert not unrecognised
    assert {f.entity for f in found} == set(SCHEMA)
    # generating again in the single-file layout removes the monthly files
    generate(split, root / "truth", scale=SCALE, seed=42)
    assert not (split / "payments").exists() and (split / "payments.csv").read_bytes() == (landing / "payments.csv").read_bytes()


def test_event_dates_inside_the_window(gen):
    """Business events (amendments, POs, receipts, invoices, payments, sales) fall inside the generated window;
    an amendment never precedes its contract's start."""
    landing, truth, _ = gen
    window = json.loads((truth / "manifest.json").read_text())["window"]
    end = date.fromisoformat(window["end"])
    bad = _quarantine(truth)
    checks = {"contract_amendments": ["amendment_date"], "purchase_orders": ["po_date"], "receipts": ["receipt_date"],
              "invoices": ["invoice_date", "received_date"], "payments": ["payment_date"], "bids": ["submitted_date"],
              "coop_sales": ["invoice_date", "ship_date", "po_date"], "awards": ["award_date"],
              "requisitions": ["created_date"]}
    for name, cols in checks.items():
        df = _read(landing, name, bad)
        for c in cols:
            assert df[c].str.to_date().max() <= end, (name, c)
    am = _read(landing, "contract_amendments").join(_read(landing, "contracts").select("contract_id", "start_date"),
                                                      on="contract_id")
    assert (am["amendment_date"].str.to_date() >= am["start_date"].str.to_date()).all()


def test_blocks_do_not_change_the_files(tmp_path, monkeypatch):
    """The large tables are formatted a block of rows at a time: the block size changes nothing."""
    from ingestion.synthetic import generator as g

    generate(tmp_path / "a" / "landing", tmp_path / "a" / "truth", scale=SCALE, seed=5)
    monkeypatch.setattr(g, "BLOCK_ROWS", 97)
    monkeypatch.setattr(g._blocks, "__defaults__", (97,))
    generate(tmp_path / "b" / "landing", tmp_path / "b" / "truth", scale=SCALE, seed=5)
    for sub in ("landing", "truth"):
        assert _all_files(tmp_path / "a" / sub) == _all_files(tmp_path / "b" / sub)
