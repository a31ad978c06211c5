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


CLV_COLUMNS = ["expected_spend", "expected_value", "value_if_retained", "value_source"]


def clv_outputs(features: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """Expected value (roubles) of each buyer over the BTYD horizon, one of two documented methods.

    ``clv_gamma_gamma``: Gamma-Gamma (``ml.btyd.GammaGammaModel``) on the repeat buyers' mean order
    value gives E[spend per purchase] (one-time buyers get the population mean); times the BG/NBD
    expected purchases in the horizon = ``expected_value``; divided by P(alive) (the purchases
    expected *if the customer stays*) = ``value_if_retained``. Used when BG/NBD was fitted and the
    Gamma-Gamma fit is identified (finite, away from the search bounds, q > 1).
    ``past_revenue``: otherwise, net revenue per month of tenure × the horizon in months (both
    values equal, ``expected_spend`` = the mean order value). Never-buyers get NULL throughout.
    """
    n = len(features)
    col = features.get
    freq = np.asarray(col("frequency", pd.Series(np.zeros(n))), float)
    avg = np.asarray(col("monetary_avg", pd.Series(np.zeros(n))), float)
    total = np.asarray(col("monetary_total", pd.Series(np.zeros(n))), float)
    tenure = np.asarray(col("tenure_days", pd.Series(np.zeros(n))), float)
    exp_p = np.asarray(col("btyd_expected_purchases", pd.Series(np.full(n, np.nan))), float)
    p_alive = np.asarray(col("p_alive", pd.Series(np.full(n, np.nan))), float)
    buyers = freq > 0
    out = pd.DataFrame({"expected_spend": np.nan, "expected_value": np.nan, "value_if_retained": np.nan,
                        "value_source": None}, index=features.index)
    if not buyers.any():
        return out
    spend = _gamma_gamma_spend(freq, avg) if features.attrs.get("btyd_status") == "ok" else None
    if spend is not None and np.isfinite(exp_p[buyers]).all():
        value = spend * np.nan_to_num(exp_p)
        retained = np.divide(value, p_alive, out=value.copy(), where=np.nan_to_num(p_alive) > 0.01)
        source = "clv_gamma_gamma"
    else:
        spend = avg
        months = np.maximum(tenure, 30.4375) / 30.4375
        value = np.maximum(total, 0.0) / months * (horizon_days / 30.4375)
        retained = value
        source = "past_revenue"
    out.loc[buyers, "expected_spend"] = np.round(spend[buyers], 2)
    out.loc[buyers, "expected_value"] = np.round(value[buyers], 2)
    out.loc[buyers, "value_if_retained"] = np.round(np.maximum(retained, value)[buyers], 2)
    out.loc[buyers, "value_source"] = source
    return out


def _gamma_gamma_spend(frequency: np.ndarray, mean_order_value: np.ndarray) -> np.ndarray | None:
    """E[spend per purchase | x, m̄] per customer from a Gamma-Gamma fit on the repeat buyers
    (x = completed orders − 1, m̄ = mean order value), or None when the fit is not identified."""
    x = np.maximum(frequency - 1, 0)
    m = mean_order_value
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    if keep.sum() < 3:
        return None
    model = btyd.GammaGammaModel()
    try:
        model.fit(x[keep], m[keep])
    except (ValueError, FloatingPointError):
        return None
    logs = np.log([model.params_[k] for k in ("p", "q", "v")])
    if not np.all(np.isfinite(logs)) or np.any(np.abs(logs) >= 11) or model.params_["q"] <= 1:
        return None
    spend = model.conditional_expected_average_profit(x, np.where(m > 0, m, 0.0))
    return np.where(np.isfinite(spend) & (spend > 0), spend, model.population_mean())
