"""Scores over the customers known at the cutoff: RFM quintiles among buyers and the BG/NBD outputs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml import btyd

from .arrays import DAY_NS, first_per_code, last_per_code
from .config import setting


def rfm_scores(recency: np.ndarray, frequency: np.ndarray, monetary: np.ndarray) -> dict[str, np.ndarray]:
    """R, F and M quintile scores (1..5, 5 best) among buyers; 0 for customers without a purchase."""
    buyers = frequency > 0
    out = {}
    for values, name, asc in ((recency, "r_score", False), (frequency, "f_score", True),
                              (monetary, "m_score", True)):
        score = np.zeros(len(values))
        if buyers.any():
            pct = pd.Series(values[buyers]).rank(method="average", pct=True, ascending=asc).to_numpy()
            score[buyers] = np.clip(np.ceil(pct * 5), 1, 5)
        out[name] = score
    return out


def btyd_outputs(dc, dd, n, cut, bcfg, seed, params, attrs):
    """BG/NBD P(alive), expected purchases and P(no purchase) in the horizon from the distinct purchase
    days (dc: customer code, dd: day; sorted by customer then day).

    The fit is used only when the data can identify it: at least ``min_repeaters`` customers with a
    repeat purchase and an optimiser that converged away from its bounds. Otherwise every output is
    NaN and ``attrs["btyd_status"]`` says why (the churn model then falls back to recency)."""
    p_alive = np.full(n, np.nan)
    exp_p = np.zeros(n)
    p_none = np.ones(n)
    horizon_w = float(bcfg.get("horizon_days", 90)) / 7.0
    attrs["btyd_status"] = "no_purchases"
    if len(dc):
        starts, ends = first_per_code(dc), last_per_code(dc)
        idx = dc[starts]
        first, last = dd[starts], dd[ends]
        x = (ends - starts).astype(float)  # distinct purchase days - 1
        tx = (last - first) / 7.0
        T = (cut // DAY_NS - first) / 7.0
        model = btyd.BetaGeoModel()
        repeaters = int((x > 0).sum())
        attrs["btyd_repeaters"] = repeaters
        if params:
            model.params_ = dict(params)
            status = "ok"
        elif repeaters < int(setting(bcfg, "min_repeaters", "features", "btyd")):
            status = "too_few_repeaters"
        else:
            sample = int(bcfg.get("fit_sample", 20000))
            sel = np.arange(len(x))
            if len(sel) > sample:
                sel = np.random.default_rng(seed).choice(len(x), sample, replace=False)
            model.fit(x[sel], tx[sel], T[sel])
            status = "ok" if model.converged_ else "not_converged"
        attrs["btyd_status"] = status
        if status != "ok":
            return np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        p_alive[idx] = model.conditional_probability_alive(x, tx, T)
        exp_p[idx] = model.conditional_expected_purchases(horizon_w, x, tx, T)
        p_none[idx] = model.conditional_probability_no_purchase(horizon_w, x, tx, T)
        attrs["btyd_params"] = dict(model.params_)
    return p_alive, exp_p, p_none
