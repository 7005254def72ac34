"""Vectorised formatting of canonical CSV values (polars string columns; null = empty field)."""

from __future__ import annotations

import numpy as np
import polars as pl

NULL_DATE = np.iinfo(np.int32).min  # sentinel for "no date" in day-number arrays


def s_str(values, name: str = "v") -> pl.Series:
    if isinstance(values, pl.Series):
        return values.cast(pl.Utf8).alias(name)
    if isinstance(values, np.ndarray) and values.dtype != object:
        return pl.Series(name, values.astype(str), dtype=pl.Utf8)
    return pl.Series(name, list(values), dtype=pl.Utf8)


def s_int(values, name: str = "v") -> pl.Series:
    return pl.Series(name, np.asarray(values, dtype=np.int64)).cast(pl.Utf8)


def _fixed(units: np.ndarray, dp: int, null: np.ndarray | None) -> pl.Series:
    u = pl.Series("u", np.asarray(units, dtype=np.int64))
    df = pl.DataFrame({"u": u})
    scale = 10**dp
    out = df.select(
        (
            pl.when(pl.col("u") < 0).then(pl.lit("-")).otherwise(pl.lit(""))
            + (pl.col("u").abs() // scale).cast(pl.Utf8)
            + pl.lit(".")
            + (pl.col("u").abs() % scale).cast(pl.Utf8).str.zfill(dp)
        ).alias("v")
    )["v"]
    if null is not None and null.any():
        out = out.scatter(np.flatnonzero(null), None)
    return out


def s_money(cents, name: str = "v", null: np.ndarray | None = None) -> pl.Series:
    """Integer cents -> exactly two decimals."""
    return _fixed(cents, 2, null).alias(name)


def s_price(units4, name: str = "v", null: np.ndarray | None = None) -> pl.Series:
    """Integer 1/10,000ths -> up to four decimals (at least two)."""
    s = _fixed(units4, 4, null)
    return s.str.replace(r"^(-?\d+\.\d\d)(\d*?)0+$", "${1}${2}").alias(name)


def s_date(days, name: str = "v") -> pl.Series:
    d = np.asarray(days, dtype=np.int64)
    null = d == NULL_DATE
    dd = np.where(null, 0, d).astype("datetime64[D]")
    out = pl.Series("v", dd).cast(pl.Date).dt.strftime("%Y-%m-%d")
    if null.any():
        out = out.scatter(np.flatnonzero(null), None)
    return out.alias(name)


def s_bool(values, name: str = "v", null: np.ndarray | None = None) -> pl.Series:
    out = pl.Series("v", np.where(np.asarray(values, dtype=bool), "true", "false"), dtype=pl.Utf8)
    if null is not None and null.any():
        out = out.scatter(np.flatnonzero(null), None)
    return out.alias(name)


def s_opt(values, null: np.ndarray, name: str = "v") -> pl.Series:
    out = s_str(values, name)
    if null.any():
        out = out.scatter(np.flatnonzero(null), None)
    return out


def prefixed(prefix: str, numbers, width: int) -> pl.Series:
    """Vectorised f"{prefix}{n:0{width}d}" as a polars string Series."""
    n = pl.Series("v", np.asarray(numbers, dtype=np.int64))
    return n.cast(pl.Utf8).str.zfill(width).to_frame().select((pl.lit(prefix) + pl.col("v")).alias("v"))["v"]


def ref(values: pl.Series, idx, name: str = "v") -> pl.Series:
    """values[idx] with null where idx < 0."""
    i = np.asarray(idx, dtype=np.int64)
    neg = i < 0
    out = values.gather(np.where(neg, 0, i)) if len(values) else pl.Series("v", [None] * len(i), dtype=pl.Utf8)
    if neg.any():
        out = out.scatter(np.flatnonzero(neg), None)
    return out.alias(name)
