"""Labels learned from history: the labelled cutoffs, what happened in the horizon after each one,
and the labelled feature rows the models are fitted, calibrated and validated on."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ml.features import MONTH_DAYS, PreparedData, build_at, cut_ns

from .model import day


def labelled_cutoffs(end, horizon_days: int, step_days: int, n: int) -> list[pd.Timestamp]:
    """Oldest first: end - horizon - k*step, k = n-1..0 (``end``: the first day without data)."""
    a = day(end)
    return [a - pd.Timedelta(days=horizon_days + k * step_days) for k in range(n - 1, -1, -1)]


def _window_rows(tab: Mapping[str, np.ndarray], c0: int, c1: int) -> np.ndarray:
    t = tab["t"]
    return (t >= c0) & (t < c1)


def future_purchases(prep: PreparedData, univ: np.ndarray, c, horizon) -> np.ndarray:
    """Completed orders in [c, c + horizon) per customer code in ``univ``."""
    o = prep.tables.get("orders")
    if o is None or len(o["t"]) == 0:
        return np.zeros(len(univ))
    m = _window_rows(o, cut_ns(c), cut_ns(c + pd.Timedelta(days=horizon))) & (o["kind"] == 0)
    return np.bincount(o["code"][m], minlength=prep.n)[univ].astype(float)


def future_toxicity(prep: PreparedData, univ: np.ndarray, c, horizon, tcfg,
                    include_returns=True) -> tuple[np.ndarray, np.ndarray]:
    """(complaints per month, manager minutes per month) in [c, c + horizon) per code in ``univ``."""
    c0, c1 = cut_ns(c), cut_ns(c + pd.Timedelta(days=horizon))
    n = prep.n
    compl = np.zeros(n)
    mins = np.zeros(n)
    tk = prep.tables.get("tickets")
    if tk is not None and len(tk["t"]):
        m = _window_rows(tk, c0, c1)
        compl += np.bincount(tk["code"][m & tk["is_complaint"]], minlength=n)
        mins += np.bincount(tk["code"][m], weights=tk["handling"][m], minlength=n)
    cl = prep.tables.get("calls")
    if cl is not None and len(cl["t"]):
        m = _window_rows(cl, c0, c1)
        mins += np.bincount(cl["code"][m], weights=cl["minutes"][m], minlength=n)
    o = prep.tables.get("orders")
    if include_returns and o is not None and len(o["t"]):
        m = _window_rows(o, c0, c1) & (o["kind"] == 1)
        compl += np.bincount(o["code"][m], minlength=n)
    months = horizon / MONTH_DAYS
    return compl[univ] / months, mins[univ] / months


def toxic_label(compl_pm: np.ndarray, mins_pm: np.ndarray, tcfg: Mapping) -> np.ndarray:
    q = float(tcfg.get("quantile", 0.8))
    c_thr = max(float(np.quantile(compl_pm, q)) if len(compl_pm) else 0.0, float(tcfg.get("min_complaints_per_month", 0.34)))
    m_thr = max(float(np.quantile(mins_pm, q)) if len(mins_pm) else 0.0,
                float(tcfg.get("min_manager_minutes_per_month", 10)))
    return ((compl_pm >= c_thr) & (mins_pm >= m_thr)).astype(int)


def labelled_dataset(prep: PreparedData, cutoffs, cfg, kind: str, categories, mcfg) -> pd.DataFrame:
    """Features + label + cold flag for each cutoff (the first cutoff fixes the category columns when
    ``categories`` is None)."""
    horizon = int(mcfg.get("horizon_days", 90))
    frames = []
    btyd_status: dict[str, str | None] = {}
    for c in cutoffs:
        cut = cut_ns(c)
        f = build_at(prep, cut, cfg, categories, None)
        categories = f.attrs["categories"]
        univ = np.flatnonzero(prep.first_ns < cut)  # the codes of f's rows, in order
        if kind == "churn":
            fut = future_purchases(prep, univ, c, horizon)
            f["label"] = (fut == 0).astype(int)
            f["cold"] = (f["frequency"] == 0).astype(int)
        else:
            inc = cfg.get("features", {}).get("complaints_include_returns", True)
            cpm, mpm = future_toxicity(prep, univ, c, horizon, mcfg, inc)
            f["label"] = toxic_label(cpm, mpm, mcfg)
            f["cold"] = 0
        f["cutoff"] = c
        btyd_status[str(c.date())] = f.attrs.get("btyd_status")
        frames.append(f)
    ds = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    ds.attrs = {"categories": list(categories or []), "btyd_status": btyd_status}
    return ds
