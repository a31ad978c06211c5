"""Purchase features: order status mix, value and recency (the RFM inputs), purchase cycle,
discounts and category mix. Only completed orders count as purchases."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import DAY_NS, NAT, bincount, first_per_code, last_per_code
from .window import Window


@dataclass
class Purchases:
    """What the later families need from the orders: returns (they count as complaints), the
    distinct purchase days sorted by customer (for BG/NBD) and the category-mix columns."""

    returned_code: np.ndarray
    returned_t: np.ndarray
    day_code: np.ndarray
    day: np.ndarray
    categories: list


def purchase_features(w: Window, out: dict, categories: list | None) -> Purchases:
    """``categories`` fixes the category-mix columns; None: the ``category_top_n`` most frequent."""
    oc, o_t, kind, amount, disc_all, cat_all, orig_all = w.rows("orders", "kind", "amount", "disc", "cat", "orig")
    completed = kind == 0
    returned = kind == 1
    n_all = bincount(oc, w.n)
    out["returns_share"] = np.divide(bincount(oc[returned], w.n), n_all, out=np.zeros(w.n), where=n_all > 0)
    out["cancel_share"] = np.divide(bincount(oc[kind == 2], w.n), n_all, out=np.zeros(w.n), where=n_all > 0)

    cc, ct = oc[completed], o_t[completed]  # rows sorted by (customer, time)
    freq, rec = _value(w, out, cc, ct, amount[completed])
    day_code, day = _cycle(w, out, cc, ct, rec)
    _discounts(w, out, cc, disc_all[completed], freq)
    categories = _category_mix(w, out, cc, cat_all[completed].astype(np.int64), orig_all[completed], freq,
                               categories)
    return Purchases(oc[returned], o_t[returned], day_code, day, categories)


def _value(w: Window, out: dict, cc, ct, ca) -> tuple[np.ndarray, np.ndarray]:
    """Frequency, spend, recency and the last 90 days; -> (frequency, recency)."""
    n = w.n
    freq = bincount(cc, n)
    tot = bincount(cc, n, ca)
    out["frequency"] = freq
    out["has_purchase"] = (freq > 0).astype(float)
    out["monetary_total"] = tot
    out["monetary_avg"] = np.divide(tot, freq, out=np.zeros(n), where=freq > 0)
    last_buy = np.full(n, NAT, dtype=np.int64)
    ends = last_per_code(cc)
    last_buy[cc[ends]] = ct[ends]  # the last row of a customer is the latest
    rec = np.where(freq > 0, (w.cut - last_buy) / DAY_NS, w.tenure)  # never bought: time since first seen
    out["recency_days"] = rec
    recent = ct >= w.d90
    out["purchases_90d"] = bincount(cc[recent], n)
    out["spend_90d"] = bincount(cc[recent], n, ca[recent])
    return freq, rec


def _cycle(w: Window, out: dict, cc, ct, rec) -> tuple[np.ndarray, np.ndarray]:
    """Inter-purchase intervals over distinct purchase days and lateness against the usual cycle;
    -> (customer code, day) of the distinct purchase days."""
    n = w.n
    day = ct // DAY_NS
    new_day = np.r_[True, (cc[1:] != cc[:-1]) | (day[1:] != day[:-1])] if len(cc) else np.zeros(0, bool)
    dc, dd = cc[new_day], day[new_day]
    ipi_mean = np.full(n, np.nan)
    ipi_median = np.full(n, np.nan)
    same = np.r_[False, dc[1:] == dc[:-1]] if len(dc) else np.zeros(0, bool)
    gaps = np.diff(dd, prepend=0)[same].astype(float)
    gc = dc[same]
    if len(gc):
        med = pd.Series(gaps).groupby(gc, sort=False).median()
        ipi_median[med.index.to_numpy()] = med.to_numpy()
        cnt = bincount(gc, n)
        ipi_mean = np.where(cnt > 0, bincount(gc, n, gaps) / np.maximum(cnt, 1), np.nan)
    out["ipi_mean"] = ipi_mean
    out["ipi_median"] = ipi_median
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cycle_lateness"] = np.where(ipi_median > 0, rec / np.maximum(ipi_median, 1.0), np.nan)
    return dc, dd


def _discounts(w: Window, out: dict, cc, disc, freq) -> None:
    """Share of purchases with a discount, average depth, first purchase with a discount."""
    n = w.n
    out["discount_share"] = np.divide(bincount(cc[disc > 0], n), freq, out=np.zeros(n), where=freq > 0)
    out["discount_depth"] = np.divide(bincount(cc, n, disc), freq, out=np.zeros(n), where=freq > 0)
    first_disc = np.zeros(n)
    starts = first_per_code(cc)
    first_disc[cc[starts]] = (disc[starts] > 0).astype(float)
    out["first_purchase_discount"] = first_disc


def _category_mix(w: Window, out: dict, cc, cat, orig, freq, categories) -> list:
    """Number of categories, top category share and the share of each of ``categories``."""
    n = w.n
    has_cat = cat >= 0
    names = w.prep.category_names
    K = max(len(names), 1)
    if categories is None:
        categories = _top_categories(cat[has_cat], orig[has_cat], names, K, int(w.fcfg.get("category_top_n", 5)))
    ncat = np.zeros(n)
    topshare = np.zeros(n)
    if has_cat.any():
        key = cc[has_cat] * K + cat[has_cat]
        if n * K <= 20_000_000:
            per = np.bincount(key, minlength=n * K).reshape(n, K)
            ncat = (per > 0).sum(1).astype(float)
            mx = per.max(1).astype(float)
        else:
            uk, cnt = np.unique(key, return_counts=True)
            ncat = bincount(uk // K, n)
            mx = np.zeros(n)
            np.maximum.at(mx, uk // K, cnt.astype(float))
        ncat_tot = bincount(cc[has_cat], n)
        topshare = np.divide(mx, ncat_tot, out=np.zeros(n), where=ncat_tot > 0)
    out["n_categories"] = ncat
    out["top_category_share"] = topshare
    code_of_name = {str(v): i for i, v in enumerate(names) if v != ""}
    for k in categories:
        j = code_of_name.get(str(k), -2)
        out[f"cat_share__{k}"] = np.divide(bincount(cc[cat == j], n), freq, out=np.zeros(n), where=freq > 0)
    return categories


def _top_categories(cat, orig, names, K: int, top_n: int) -> list:
    """The ``top_n`` most frequent categories, ties in order of first appearance (as value_counts)."""
    if not len(cat):
        return []
    counts = np.bincount(cat, minlength=K)
    first_pos = np.full(K, np.iinfo(np.int64).max)
    np.minimum.at(first_pos, cat, orig)
    seen = np.flatnonzero(counts > 0)
    seen = seen[np.argsort(first_pos[seen], kind="stable")]
    vc = pd.Series(counts[seen], index=pd.Index(names[seen], dtype=object)).sort_values(ascending=False)
    return list(vc.head(top_n).index)
