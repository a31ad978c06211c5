"""Array helpers shared by the feature families: time stamps as int64 ns, per-customer counts over
integer codes and runs of rows sorted by customer (no per-customer Python anywhere)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd

DAY_NS = 86_400 * 10**9
MONTH_DAYS = 30.4375
NAT = np.iinfo(np.int64).min


def to_ns(values) -> np.ndarray:
    """datetime-like column -> int64 ns (NaT -> min int)."""
    s = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce", format="mixed")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert(None)
    return s.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def cut_ns(cutoff) -> int:
    ts = pd.Timestamp(cutoff.isoformat() if isinstance(cutoff, (date, datetime)) else cutoff)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return int(ts.value)


def bincount(codes: np.ndarray, n: int, weights=None) -> np.ndarray:
    if len(codes) == 0:
        return np.zeros(n)
    return np.bincount(codes, weights=weights, minlength=n).astype(float)


def map_distinct(s: pd.Series, fn: Callable[[pd.Series], object]) -> np.ndarray:
    """``fn`` applied row-wise but evaluated on the distinct values only (low-cardinality text columns).

    ``fn`` gets an object Series of the distinct values plus one missing value and returns an array
    of the same length; rows with a missing value take the last entry (factorize's -1 code)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(list(np.asarray(uniq, dtype=object)) + [None], dtype=object)
    return np.asarray(fn(u))[codes]


def ordered(code: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Stable order by (code, t): one int64 stable argsort of a packed key when it is exact (checked),
    np.lexsort otherwise."""
    if len(code) == 0:
        return np.zeros(0, dtype=np.int64)
    bits_code = max(1, int(code.max()).bit_length())
    span = int(t.max()) - int(t.min())
    shift = max(0, span.bit_length() - (62 - bits_code))
    if bits_code <= 40:
        key = (code.astype(np.int64) << (62 - bits_code)) | ((t - t.min()) >> shift)
        order = np.argsort(key, kind="stable")
        c, tt = code[order], t[order]
        if not np.any((c[1:] == c[:-1]) & (tt[1:] < tt[:-1])):
            return order  # equal keys kept their input order and t is non-decreasing within a code
    return np.lexsort((t, code))


def last_per_code(code: np.ndarray) -> np.ndarray:
    """Positions of the last row of each run of equal codes (rows sorted by code)."""
    return np.flatnonzero(np.r_[code[1:] != code[:-1], True]) if len(code) else np.zeros(0, np.int64)


def first_per_code(code: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.zeros(0, np.int64)
