"""The input tables decoded once into numpy arrays over integer customer codes, so that building
features at any cutoff (and a training run's many cutoffs) never touches the frames again."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import NAT, map_distinct, ordered, to_ns
from .labels import EVENT_TYPES

# table -> its main time stamp: a row without one is never "before" any cutoff
MAIN_TIME = {"customers": "first_seen_at", "orders": "order_date", "tickets": "created_at",
             "events": "occurred_at", "calls": "started_at", "messages": "sent_at"}
PRICE_CATEGORIES = ["billing", "price", "payment", "оплата", "цена", "биллинг"]
OUTBOUND = ["outbound", "out", "outgoing", "исходящее"]


@dataclass
class PreparedData:
    """Input tables decoded once into numpy arrays over integer customer codes.

    ``ids`` are the sorted distinct customer ids; each table keeps only rows with a valid main time
    stamp (rows with a missing one are never "before" any cutoff) and a customer id. Orders are
    sorted by (customer, time), ties in input order. Building features at any cutoff is then a
    handful of masks and ``np.bincount`` calls; :meth:`subset` restricts to a customer sample
    without touching the original frames."""

    ids: np.ndarray
    first_ns: np.ndarray                     # per code: earliest time stamp over all tables
    tables: dict[str, dict[str, np.ndarray]]
    category_names: np.ndarray               # order category of code k (orders["cat"] == -1: none)

    @property
    def n(self) -> int:
        return len(self.ids)

    def subset(self, keep: np.ndarray) -> PreparedData:
        """Only the customers whose code is in ``keep`` (bool mask over codes or code array)."""
        mask = np.zeros(self.n, bool)
        mask[keep] = True
        new = np.cumsum(mask) - 1
        tables = {}
        for name, tab in self.tables.items():
            rows = mask[tab["code"]]
            sub = {k: v[rows] for k, v in tab.items()}
            sub["code"] = new[sub["code"]]
            tables[name] = sub
        return PreparedData(self.ids[mask], self.first_ns[mask], tables, self.category_names)


EMPTY_TABLE = {"code": np.zeros(0, np.int64), "t": np.zeros(0, np.int64)}


def prepare_data(data: Mapping[str, pd.DataFrame] | PreparedData) -> PreparedData:
    """Decode the tables once (see :class:`PreparedData`); a PreparedData is returned as is."""
    if isinstance(data, PreparedData):
        return data
    frames, times, oks, id_parts = {}, {}, {}, []
    for name, tcol in MAIN_TIME.items():
        df = _table(data, name, [tcol])
        if tcol not in df.columns or len(df) == 0:
            continue
        t = to_ns(df[tcol])
        ok = t != NAT
        frames[name], times[name], oks[name] = df, t, ok
        id_parts.append(_ids(df)[ok] if not ok.all() else _ids(df))
    # one sorted factorize of every table's ids: codes follow the sorted customer_id
    all_codes, uniq = pd.factorize(np.concatenate(id_parts) if id_parts else np.array([], object), sort=True)
    ids = np.asarray(uniq, dtype=object)
    n = len(ids)
    first_ns = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    tables: dict[str, dict[str, np.ndarray]] = {}
    cat_names = np.array([], dtype=object)
    pos = 0
    for name, df in frames.items():
        ok, t = oks[name], times[name]
        k = int(ok.sum())
        code = np.full(len(df), -1, dtype=np.int64)
        code[ok] = all_codes[pos:pos + k]
        pos += k
        rows = np.flatnonzero(code >= 0)
        if name == "orders":
            rows = rows[ordered(code[rows], t[rows])]
        tab = {"code": code[rows], "t": t[rows]}
        if len(rows):
            np.minimum.at(first_ns, tab["code"], tab["t"])
        if name == "orders":
            columns, cat_names = _orders(df, rows)
        else:
            columns = _DECODERS[name](df, rows) if name in _DECODERS else {}
        tab.update(columns)
        tables[name] = tab
    return PreparedData(ids, first_ns, tables, cat_names)


def _table(data: Mapping, name: str, cols: list[str]) -> pd.DataFrame:
    df = data.get(name) if data is not None else None
    if df is None or not isinstance(df, pd.DataFrame) or "customer_id" not in df.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ["customer_id", *cols]})
    return df


def _col(df: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index)


def _ids(df: pd.DataFrame) -> np.ndarray:
    c = df["customer_id"]
    if pd.api.types.is_object_dtype(c.dtype) and (len(c) == 0 or isinstance(c.iloc[0], str)):
        return c.to_numpy(dtype=object)
    return c.astype(str).to_numpy(dtype=object)


def _numbers(df: pd.DataFrame, name: str, default) -> np.ndarray:
    return pd.to_numeric(_col(df, name, default), errors="coerce").fillna(default).to_numpy(float)


def _discount_fraction(discount: pd.Series, amount: pd.Series) -> np.ndarray:
    d = pd.to_numeric(discount, errors="coerce").to_numpy(float)
    a = pd.to_numeric(amount, errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # share 0..1 as is; > 1 is an amount: share of the pre-discount price
        frac = np.where(d > 1, d / (a + d), d)
    return np.nan_to_num(np.clip(frac, 0, 1), nan=0.0)


def _orders(df: pd.DataFrame, rows: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Status kind (0 completed, 1 returned/refunded, 2 cancelled, 3 other), amount, discount share,
    category code (-1: none) and input position; with the category names."""
    status = map_distinct(_col(df, "status", "completed"),
                          lambda u: u.fillna("completed").astype(str).str.lower().to_numpy())
    kind = np.full(len(status), 3, dtype=np.int8)
    kind[status == "completed"] = 0
    kind[np.isin(status, ["returned", "refunded"])] = 1
    kind[status == "cancelled"] = 2
    cols = {"kind": kind[rows], "amount": _numbers(df, "amount", 0.0)[rows],
            "disc": _discount_fraction(_col(df, "discount"), _col(df, "amount"))[rows]}
    cat = map_distinct(_col(df, "category", None), lambda u: u.astype("string").fillna("").to_numpy(object))
    cc, cat_names = pd.factorize(cat)
    cat_names = np.asarray(cat_names, dtype=object)
    empty = np.flatnonzero(cat_names == "")
    if len(empty):
        cc = np.where(cc == empty[0], -1, cc)
    cols["cat"] = cc.astype(np.int32)[rows]
    cols["orig"] = rows  # input row position: category ties are broken by first appearance
    return cols, cat_names


def _is_price_category(u: pd.Series) -> np.ndarray:
    tc = u.astype("string").fillna("").str.lower().to_numpy().astype(str)
    return (np.char.find(tc, "price") >= 0) | np.isin(tc, PRICE_CATEGORIES)


def _tickets(df: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "closed": to_ns(_col(df, "closed_at", pd.NaT))[rows],
        "is_complaint": map_distinct(_col(df, "is_complaint", False),
                                     lambda u: np.array([False if pd.isna(v) else bool(v) for v in u], bool))[rows],
        "reopen": _numbers(df, "reopen_count", 0)[rows],
        "handling": _numbers(df, "handling_minutes", 0)[rows],
        "price": map_distinct(_col(df, "category", ""), _is_price_category)[rows],
    }


def _events(df: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Event type as its index in EVENT_TYPES (-1: another type)."""
    return {"etype": map_distinct(
        _col(df, "event_type", ""),
        lambda u: pd.Index(EVENT_TYPES).get_indexer(u.astype("string").fillna("").str.lower().to_numpy())
    ).astype(np.int8)[rows]}


def _calls(df: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    return {"minutes": (_numbers(df, "duration_sec", 0) / 60.0)[rows]}


def _messages(df: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    return {"tone": pd.to_numeric(_col(df, "tone"), errors="coerce").to_numpy(float)[rows],
            "inbound": map_distinct(_col(df, "direction", "inbound"),
                                    lambda u: ~np.isin(u.astype("string").fillna("inbound").str.lower().to_numpy(),
                                                       OUTBOUND))[rows]}


_DECODERS = {"tickets": _tickets, "events": _events, "calls": _calls, "messages": _messages}
