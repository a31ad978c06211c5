"""Churn and toxicity models learned from history (no labels needed) and their drivers.

Training discipline (both models); ``end`` = the day after the as-of date (facts are read through it):

* labelled cutoffs ``c_k = end - horizon - k * step`` (k = 0..n_cutoffs-1, cutoffs before the first
  data dropped); the label of a cutoff uses only [c, c + horizon), so every label is fully observed;
* **validation** = the latest labelled cutoff ``c_0``; the **training pool** = cutoffs whose label
  window ends on or before ``c_0`` (no overlap with the validation labels);
* evaluation stage: candidates (HistGradientBoosting, LogisticRegression) are fitted on the pool
  minus its latest cutoff, calibrated (isotonic, or sigmoid on fewer than ``isotonic_min_rows``;
  the fitted candidate is not refitted) on that latest pool cutoff, and compared on ``c_0`` with baselines (BG/NBD and
  recency for churn, past RFCM C x R for toxicity). ``metrics`` are these out-of-time numbers;
* final model: the chosen candidate refitted on every labelled cutoff but ``c_0`` (the recent cutoffs
  look most like today, which matters on short histories) and calibrated on ``c_0``.

Degrade, don't die: before fitting, the data are checked explicitly (enough training cutoffs, rows,
positives and negatives, both classes in calibration and validation, complaint data for toxicity,
enough rows for HistGradientBoosting). When a check fails, :func:`_fallback` builds a documented
simpler method (BG/NBD or recency probability for churn, past C x R / base rate / zero for toxicity)
calibrated on the labelled cutoffs that exist; the method is the model's ``model_kind`` and the
reason its ``fallback_reason`` (docs/methods.md, thresholds in ``config/models.yaml``).

Cost (1M customers in ~1 min on 2 cores): the tables are decoded once (:func:`ml.features.prepare_data`);
training uses a customer sample (``train_sample`` rows of customers x final cutoffs, stratified by
first-seen month, the same customers at every cutoff), each cutoff's features get their own BG/NBD
fit on ``fit_sample`` customers (point in time), HistGradientBoosting stops early on held-out
*customers* (``hgb`` in config); scoring covers every customer.

Churn label: no completed purchase in [c, c + horizon), for customers with >= 1 purchase before c.
Cold start (no purchase yet): an empirical, smoothed rate of "still no purchase within the horizon"
among never-buyers at the labelled cutoffs, by (engaged in last 90 days) x (tenure < 90 days).
Customers with exactly one purchase are scored by the main model (frequency=1, no interval).

Toxicity label: in [c, c + horizon) complaints/month and manager minutes/month both reach the
worst quintile of the population (RFCM C and R scores < 2) and the absolute floors in config.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from ml.features import (
    MONTH_DAYS,
    PreparedData,
    build_at,
    build_features,
    cut_ns,
    feature_label,
    load_config,
    model_feature_columns,
    prepare_data,
    setting,
)
from ml.model_store import data_hash

log = logging.getLogger(__name__)

__all__ = [
    "ChurnModel",
    "ScoreModel",
    "evaluate_scores",
    "explain_drivers",
    "labelled_cutoffs",
    "recency_probability",
    "score_churn",
    "score_toxicity",
    "train_churn",
    "train_toxicity",
]


# ----------------------------------------------------------------------------------- model record
@dataclass
class ChurnModel:
    kind: str                      # churn | toxicity
    model_kind: str                # hgb | logreg
    estimator: Any                 # calibrated classifier on feature_names
    feature_names: list[str]
    categories: list[str]
    cutoffs: list[str]             # training pool cutoffs (ISO dates)
    validation_cutoff: str
    as_of: str
    data_hash: str
    metrics: dict
    config: dict
    cold_start: dict = field(default_factory=dict)
    validation_sample: pd.DataFrame | None = None   # features + label for drivers
    trained_at: str = ""
    fallback_reason: str = ""      # why the learned model (or a candidate) was not used; "" = all ran

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.estimator.predict_proba(X[self.feature_names])[:, 1]


# ----------------------------------------------------------------------------------- helpers
def _day(x) -> pd.Timestamp:
    return pd.Timestamp(x.isoformat() if isinstance(x, (date, datetime)) else x).normalize()


def labelled_cutoffs(end, horizon_days: int, step_days: int, n: int) -> list[pd.Timestamp]:
    """Oldest first: end - horizon - k*step, k = n-1..0 (``end``: the first day without data)."""
    a = _day(end)
    return [a - pd.Timedelta(days=horizon_days + k * step_days) for k in range(n - 1, -1, -1)]


def _window_rows(tab: Mapping[str, np.ndarray], c0: int, c1: int) -> np.ndarray:
    t = tab["t"]
    return (t >= c0) & (t < c1)


def _future_purchases(prep: PreparedData, univ: np.ndarray, c, horizon) -> np.ndarray:
    """Completed orders in [c, c + horizon) per customer code in ``univ``."""
    o = prep.tables.get("orders")
    if o is None or len(o["t"]) == 0:
        return np.zeros(len(univ))
    m = _window_rows(o, cut_ns(c), cut_ns(c + pd.Timedelta(days=horizon))) & (o["kind"] == 0)
    return np.bincount(o["code"][m], minlength=prep.n)[univ].astype(float)


def _future_toxicity(prep: PreparedData, univ: np.ndarray, c, horizon, tcfg,
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


def _sample_codes(prep: PreparedData, n_max: int, seed: int, strata: str | None,
                  eligible: np.ndarray | None = None) -> np.ndarray | None:
    """Customer codes for training (None: everybody): ``n_max`` of the ``eligible`` customers (bool
    mask over codes; default all) drawn without replacement, proportionally within strata
    (``first_seen_month``: month of the customer's first time stamp, so every cohort keeps its share)
    or uniformly (``none``)."""
    pool = np.arange(prep.n) if eligible is None else np.flatnonzero(eligible)
    n = len(pool)
    if n <= n_max:
        return None if n == prep.n else pool
    rng = np.random.default_rng(seed)
    if not strata or strata == "none":
        return np.sort(pool[rng.choice(n, n_max, replace=False)])
    if strata != "first_seen_month":
        raise ValueError(f"unknown train_strata {strata!r} (first_seen_month | none)")
    s = pd.to_datetime(prep.first_ns[pool]).to_period("M").asi8
    s = s - s.min()
    size = np.bincount(s)
    quota = size * (n_max / n)
    take = np.floor(quota).astype(np.int64)
    short = n_max - int(take.sum())  # largest remainders get the leftover places
    if short > 0:
        take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
    order = np.lexsort((rng.random(n), s))            # random order within each stratum
    start = np.r_[0, np.cumsum(size)[:-1]]
    rank = np.arange(n) - start[s[order]]
    return np.sort(pool[order[rank < take[s[order]]]])


def _signed_log(X):
    X = np.asarray(X, float)
    return np.sign(X) * np.log1p(np.abs(X))


HGB_DEFAULTS = {"max_iter": 300, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40,
                "l2_regularization": 1.0, "n_iter_no_change": 15, "validation_fraction": 0.1, "max_bins": 255}


def _candidate(name: str, seed: int, hcfg: Mapping | None = None):
    if name == "hgb":
        h = {**HGB_DEFAULTS, **dict(hcfg or {})}
        return HistGradientBoostingClassifier(max_iter=int(h["max_iter"]), learning_rate=float(h["learning_rate"]),
                                              max_leaf_nodes=int(h["max_leaf_nodes"]),
                                              min_samples_leaf=int(h["min_samples_leaf"]),
                                              l2_regularization=float(h["l2_regularization"]),
                                              max_bins=int(h["max_bins"]),
                                              early_stopping=bool(h.get("early_stopping", True)),
                                              n_iter_no_change=int(h["n_iter_no_change"]), random_state=seed)
    if name == "logreg":
        return make_pipeline(SimpleImputer(strategy="median"), FunctionTransformer(_signed_log), StandardScaler(),
                             LogisticRegression(C=0.5, max_iter=1000))
    raise ValueError(f"unknown candidate {name!r}")


def _fit_candidate(name: str, d: pd.DataFrame, feat_names: list[str], seed: int, hcfg: Mapping | None):
    """Fit a candidate on the rows of ``d``. HGB stops early on a held-out share of *customers*
    (all their cutoffs), so the stopping loss is not flattered by the same customer's other rows."""
    X, y = d[feat_names], d["label"].to_numpy()
    est = _candidate(name, seed, hcfg)
    if name != "hgb" or not est.early_stopping:
        return est.fit(X, y)
    frac = float({**HGB_DEFAULTS, **dict(hcfg or {})}["validation_fraction"])
    cust, inv = np.unique(d["customer_id"].to_numpy(), return_inverse=True)
    hold = (np.random.default_rng(seed + 1).random(len(cust)) < frac)[inv]
    if hold.sum() < 50 or len(np.unique(y[hold])) < 2 or len(np.unique(y[~hold])) < 2:
        return est.set_params(validation_fraction=frac).fit(X, y)  # tiny data: sklearn's own split
    return est.fit(X[~hold], y[~hold], X_val=X[hold], y_val=y[hold])


TIE_EPS = 1e-6


def _tie_break(p: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Isotonic plateaus tie customers the score ranks apart (ROC AUC and top-N lists suffer): mixing in
    1e-6 x the raw score keeps the raw order and moves no probability by more than 1e-6."""
    return np.clip(np.asarray(p, float), 0, 1) * (1 - TIE_EPS) + TIE_EPS * np.clip(np.asarray(raw, float), 0, 1)


class Calibrated(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probability is mapped by isotonic regression or Platt scaling fitted
    on held-out rows (the estimator itself is not refitted), order kept by :func:`_tie_break`."""

    def __init__(self, estimator=None, method: str = "isotonic"):
        self.estimator = estimator
        self.method = method

    def fit(self, X, y):
        raw = self.estimator.predict_proba(X)[:, 1]
        if self.method == "isotonic":
            self.map_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
        elif self.method == "sigmoid":
            self.map_ = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(raw).reshape(-1, 1), y)
        else:
            raise ValueError(f"unknown calibration {self.method!r} (isotonic | sigmoid)")
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        raw = self.estimator.predict_proba(X)[:, 1]
        if self.method == "isotonic":
            p = self.map_.predict(raw)
        else:
            p = self.map_.predict_proba(_logit(raw).reshape(-1, 1))[:, 1]
        p = _tie_break(p, raw)
        return np.c_[1 - p, p]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _calibrate(est, X, y, method: str):
    if len(np.unique(y)) < 2:
        return est
    return Calibrated(est, method).fit(X, y)


def evaluate_scores(y: np.ndarray, score: np.ndarray, probabilities: bool = True) -> dict:
    """ROC AUC, PR AUC, Brier (probabilities only), decile calibration table, lift at top 10 %."""
    y = np.asarray(y, int)
    s = np.asarray(score, float)
    s = np.where(np.isfinite(s), s, np.nanmedian(s) if np.isfinite(s).any() else 0.0)
    out: dict[str, Any] = {"n": len(y), "base_rate": float(y.mean()) if len(y) else float("nan")}
    if len(np.unique(y)) < 2:
        out.update(roc_auc=float("nan"), pr_auc=float("nan"), lift_top10=float("nan"))
        return out
    out["roc_auc"] = float(roc_auc_score(y, s))
    out["pr_auc"] = float(average_precision_score(y, s))
    k = max(1, int(round(0.1 * len(y))))
    top = np.argsort(-s, kind="stable")[:k]
    out["lift_top10"] = float(y[top].mean() / max(y.mean(), 1e-12))
    if probabilities and len(y) >= 10:
        out["brier"] = float(brier_score_loss(y, np.clip(s, 0, 1)))
        dec = pd.qcut(pd.Series(s).rank(method="first"), 10, labels=False)
        tab = pd.DataFrame({"decile": dec + 1, "p": s, "y": y}).groupby("decile").agg(
            n=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")).reset_index()
        out["calibration"] = tab.to_dict("records")
        out["ece"] = float(np.sum(tab["n"] * (tab["mean_predicted"] - tab["observed_rate"]).abs()) / len(y))
    return out


# ----------------------------------------------------------------------------------- datasets
def _dataset(prep: PreparedData, cutoffs, cfg, kind: str, categories, mcfg) -> pd.DataFrame:
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
            fut = _future_purchases(prep, univ, c, horizon)
            f["label"] = (fut == 0).astype(int)
            f["cold"] = (f["frequency"] == 0).astype(int)
        else:
            inc = cfg.get("features", {}).get("complaints_include_returns", True)
            cpm, mpm = _future_toxicity(prep, univ, c, horizon, mcfg, inc)
            f["label"] = toxic_label(cpm, mpm, mcfg)
            f["cold"] = 0
        f["cutoff"] = c
        btyd_status[str(c.date())] = f.attrs.get("btyd_status")
        frames.append(f)
    ds = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    ds.attrs = {"categories": list(categories or []), "btyd_status": btyd_status}
    return ds


def _cap(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return df.sample(n=n, random_state=seed) if len(df) > n else df


def _cold_start_table(df: pd.DataFrame, mcfg: Mapping) -> dict:
    """Smoothed P(no purchase in horizon) for never-buyers by (engaged_90d, new); with no labelled
    never-buyer, the configured prior for everyone."""
    cold = df[df["cold"] == 1] if len(df) else df
    if len(cold) == 0:
        return {"overall": float(setting(mcfg, "cold_start_default", "churn")), "cells": {}, "n": 0}
    overall = float(cold["label"].mean())
    key = (cold["engagement_90d"] > 0).astype(int).astype(str) + "|" + (cold["tenure_days"] < 90).astype(int).astype(str)
    g = cold.groupby(key)["label"].agg(["sum", "size"])
    m = 20.0
    cells = {k: float((r["sum"] + m * overall) / (r["size"] + m)) for k, r in g.iterrows()}
    return {"overall": overall, "cells": cells, "n": len(cold)}


def _apply_cold_start(table: dict, f: pd.DataFrame) -> np.ndarray:
    key = np.where(f["engagement_90d"].to_numpy() > 0, "1", "0").astype(object) + "|" + \
        np.where(f["tenure_days"].to_numpy() < 90, "1", "0").astype(object)
    return pd.Series(key).map(table.get("cells", {})).fillna(table["overall"]).to_numpy(float)


def _baselines(kind: str, v: pd.DataFrame) -> dict[str, np.ndarray]:
    if kind == "churn":
        return {"bgnbd_expected_purchases": -v["btyd_expected_purchases"].to_numpy(float),
                "bgnbd_p_no_purchase": v["btyd_p_no_purchase"].to_numpy(float),
                "recency": v["recency_days"].to_numpy(float)}
    c = v["complaints_per_month"].rank(pct=True).to_numpy()
    m = v["manager_minutes_per_month"].rank(pct=True).to_numpy()
    return {"past_rfcm_c_x_r": c * m, "past_complaints": v["complaints_per_month"].to_numpy(float)}


def _end(as_of) -> pd.Timestamp:
    """Facts are read through the as-of day, so the data end (and the scoring cutoff) is the next midnight."""
    return _day(as_of) + pd.Timedelta(days=1)


def _train(kind: str, data: Mapping[str, pd.DataFrame], as_of, config: Mapping | None) -> ChurnModel:
    cfg = load_config() if config is None else dict(config)
    with threadpool_limits(limits=cfg.get("n_threads")):
        return _train_impl(kind, data, as_of, cfg)


# ----------------------------------------------------------------------------------- what the data supports
def _class_problem(part: str, y: np.ndarray, min_pos: int, min_neg: int) -> str:
    """'' when ``y`` has enough of both classes, else a reason ``code: detail``."""
    pos = int(np.sum(y))
    neg = len(y) - pos
    if len(y) == 0:
        return f"no_labels: no labelled {part} rows"
    if pos == 0 or neg == 0:
        return f"single_class: every {part} label is {'positive' if neg == 0 else 'negative'} ({len(y)} rows)"
    if pos < min_pos:
        return f"too_few_positives: {pos} positive {part} labels (< {min_pos})"
    if neg < min_neg:
        return f"too_few_negatives: {neg} negative {part} labels (< {min_neg})"
    return ""


def _informative(d: pd.DataFrame, names: list[str]) -> list[str]:
    """Columns with at least two distinct values in ``d``: a constant or all-missing column carries no
    information (and an all-missing one breaks HistGradientBoosting's binning)."""
    return [c for c in names if d[c].nunique(dropna=True) > 1]


def _has_complaint_data(prep: PreparedData, end: pd.Timestamp, cfg: Mapping) -> bool:
    """Any complaint ticket, manager minute or (when they count) return before ``end``."""
    cut = cut_ns(end)
    tk = prep.tables.get("tickets")
    if tk is not None and len(tk["t"]):
        m = tk["t"] < cut
        if (tk["is_complaint"][m]).any() or (tk["handling"][m] > 0).any():
            return True
    cl = prep.tables.get("calls")
    if cl is not None and len(cl["t"]) and (cl["minutes"][cl["t"] < cut] > 0).any():
        return True
    o = prep.tables.get("orders")
    if cfg.get("features", {}).get("complaints_include_returns", True) and o is not None and len(o["t"]):
        return bool((o["kind"][o["t"] < cut] == 1).any())
    return False


def _calibration_method(method: str, n_rows: int, mcfg: Mapping, kind: str) -> str:
    """Isotonic over-fits small calibration sets: below ``isotonic_min_rows`` Platt (sigmoid) is used."""
    return "sigmoid" if method == "isotonic" and n_rows < int(setting(mcfg, "isotonic_min_rows", kind)) else method


# ----------------------------------------------------------------------------------- learned model
def _train_impl(kind: str, data: Mapping[str, pd.DataFrame], as_of, cfg: dict) -> ChurnModel:
    mcfg = dict(cfg.get(kind, {}))
    seed = int(cfg.get("random_state", 42))
    horizon = int(mcfg.get("horizon_days", 90))
    step = int(mcfg.get("cutoff_step_days", 30))
    n_cut = int(mcfg.get("n_cutoffs", 6))
    method = mcfg.get("calibration", "isotonic")
    hcfg = mcfg.get("hgb", {})
    end = _end(as_of)
    prep = prepare_data(data)
    # a cutoff before everybody's first time stamp has no rows
    cuts = [c for c in labelled_cutoffs(end, horizon, step, n_cut) if (prep.first_ns < cut_ns(c)).any()]
    if kind == "toxicity" and not _has_complaint_data(prep, end, cfg):
        return _fallback(kind, "no_complaint_data: no complaint, return or manager time before the as-of date",
                         prep, None, data, as_of, cfg)
    val_c = cuts[-1] if cuts else None
    pool = [c for c in cuts if c + pd.Timedelta(days=horizon) <= val_c]
    min_cuts = int(setting(mcfg, "min_training_cutoffs", kind))
    if len(pool) < min_cuts:
        reason = (f"too_few_cutoffs: {len(pool)} labelled cutoffs end before the validation cutoff "
                  f"(< {min_cuts}; {len(cuts)} labelled in all, horizon {horizon} d, step {step} d)")
        return _fallback(kind, reason, prep, cuts, data, as_of, cfg)
    fit_cuts, cal_c = pool[:-1], pool[-1]
    final_cuts = cuts[:-1]  # the final model learns from every labelled cutoff but the validation one

    # the tables are decoded once; the customer sample keeps customers x final cutoffs within train_sample
    per_cut = max(1000, int(mcfg.get("train_sample", 150000)) // max(1, len(final_cuts)))
    # only customers known before the validation cutoff can have a row at any labelled cutoff
    keep = _sample_codes(prep, per_cut, seed, mcfg.get("train_strata", "first_seen_month"),
                         eligible=prep.first_ns < cut_ns(val_c))
    sprep = prep if keep is None else prep.subset(keep)

    # validation cutoff first: it fixes the category-mix columns for every cutoff
    ds = _dataset(sprep, [val_c, *final_cuts], cfg, kind, None, mcfg)
    categories = ds.attrs["categories"]
    pop = (ds["cold"] == 0).to_numpy()
    cut_col = ds["cutoff"].to_numpy()
    dfit = ds[pop & ds["cutoff"].isin(fit_cuts).to_numpy()]
    dcal = ds[pop & (cut_col == cal_c)]
    dfull_val = ds[pop & (cut_col == val_c)]
    dval = _cap(dfull_val, int(mcfg.get("validation_sample", 50000)), seed)
    dfinal = ds[pop & ds["cutoff"].isin(final_cuts).to_numpy()]
    min_rows = int(mcfg.get("min_rows", 200))
    min_pos, min_neg = int(setting(mcfg, "min_positives", kind)), int(setting(mcfg, "min_negatives", kind))
    min_eval = int(setting(mcfg, "min_eval_class_rows", kind))
    problem = (f"too_few_rows: {len(dfit)} fit rows (< {min_rows})" if len(dfit) < min_rows else ""
               ) or _class_problem("fit", dfit["label"].to_numpy(), min_pos, min_neg) \
        or _class_problem("calibration", dcal["label"].to_numpy(), min_eval, min_eval) \
        or _class_problem("validation", dval["label"].to_numpy(), min_eval, min_eval)
    if problem:
        return _fallback(kind, problem, prep, ds, data, as_of, cfg)
    feat_names = _informative(dfit, [c for c in model_feature_columns(ds) if c not in ("label", "cold")])

    candidates = list(mcfg.get("candidates", ["hgb", "logreg"]))
    skipped: dict[str, str] = {}
    hgb_min = int(setting(mcfg, "hgb_min_rows", kind))
    if "hgb" in candidates and len(dfit) < hgb_min:
        skipped["hgb"] = f"too_few_rows_for_hgb: {len(dfit)} fit rows (< {hgb_min})"
        candidates.remove("hgb")
    if not candidates:
        return _fallback(kind, skipped["hgb"], prep, ds, data, as_of, cfg)

    yv = dval["label"].to_numpy()
    results: dict[str, dict] = {}
    n_iter: dict[str, int] = {}
    cal_method = _calibration_method(method, len(dcal), mcfg, kind)
    for name in candidates:
        est = _fit_candidate(name, dfit, feat_names, seed, hcfg)
        n_iter[name] = int(getattr(est, "n_iter_", 0) or 0)
        cal = _calibrate(est, dcal[feat_names], dcal["label"].to_numpy(), cal_method)
        results[name] = evaluate_scores(yv, cal.predict_proba(dval[feat_names])[:, 1])
    sel = mcfg.get("selection_metric", "roc_auc")
    best = max(results, key=lambda k: (np.nan_to_num(results[k].get(sel, 0)), np.nan_to_num(results[k].get("roc_auc", 0))))
    baselines = {b: evaluate_scores(yv, s, probabilities=False) for b, s in _baselines(kind, dval).items()}

    # final: refit on every cutoff but the validation one, calibrate on the validation cutoff
    final = _fit_candidate(best, dfinal, feat_names, seed, hcfg)
    final_iter = int(getattr(final, "n_iter_", 0) or 0)
    final_cal = _calibration_method(method, len(dfull_val), mcfg, kind)
    final = _calibrate(final, dfull_val[feat_names], dfull_val["label"].to_numpy(), final_cal)

    metrics = {"method": best, "selected": best, "selection_metric": sel, "validation_cutoff": str(val_c.date()),
               "calibration_cutoff": str(cal_c.date()), "fit_cutoffs": [str(c.date()) for c in fit_cuts],
               "final_cutoffs": [str(c.date()) for c in final_cuts],
               "calibration": {"evaluation": cal_method, "final": final_cal},
               "candidates": results, "skipped_candidates": skipped, "baselines": baselines, "model": results[best],
               "rows": {"fit": len(dfit), "calibration": len(dcal), "validation": len(dval),
                        "final_fit": len(dfinal)},
               "hgb_iterations": {"evaluation": n_iter.get("hgb"), "final": final_iter if best == "hgb" else None},
               "dropped_features": sorted(set(model_feature_columns(ds)) - set(feat_names) - {"label", "cold"}),
               "btyd_status": ds.attrs.get("btyd_status", {}),
               "customers_total": int(prep.n),
               "customers_sampled": None if keep is None else len(keep)}
    cold = _cold_start_table(ds, mcfg) if kind == "churn" else {}
    metrics["cold_start"] = cold
    ncfg = int(cfg.get("drivers", {}).get("sample", 3000))
    vs = _cap(dval, ncfg, seed)[["customer_id", *feat_names, "label"]].reset_index(drop=True)
    return ChurnModel(kind=kind, model_kind=best, estimator=final, feature_names=feat_names, categories=categories,
                      cutoffs=[str(c.date()) for c in final_cuts], validation_cutoff=str(val_c.date()),
                      as_of=str(_day(as_of).date()), data_hash=data_hash(data, end), metrics=metrics,
                      config=cfg, cold_start=cold, validation_sample=vs, trained_at=_now(),
                      fallback_reason="; ".join(skipped.values()))


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")


# ----------------------------------------------------------------------------------- fallbacks
def recency_probability(recency_days, cycle_days, horizon_days: float) -> np.ndarray:
    """P(no purchase in the next ``horizon_days``) from recency and the usual purchase cycle alone.

    Cycle: the customer's median inter-purchase interval, else the population median (one-time
    buyers), else the horizon. A customer is alive with certainty until one cycle has passed since the
    last purchase and then with probability exp(-(recency - cycle) / cycle); an alive customer buys
    as a Poisson process with rate 1 / cycle."""
    rec = np.asarray(recency_days, float)
    cyc = np.asarray(cycle_days, float)
    cyc = np.where(np.isfinite(cyc) & (cyc > 0), cyc, np.nan)
    pop = float(np.nanmedian(cyc)) if np.isfinite(cyc).any() else float(horizon_days)
    cyc = np.maximum(np.where(np.isnan(cyc), pop, cyc), 1.0)
    p_alive = np.exp(-np.clip((rec - cyc) / cyc, 0, None))
    return 1 - p_alive + p_alive * np.exp(-float(horizon_days) / cyc)


@dataclass
class ScoreModel:
    """One documented score turned into a probability: the fallbacks (see docs/methods.md).

    ``bgnbd``: P(no purchase in the horizon) from the BG/NBD fitted as of the date; ``recency``:
    :func:`recency_probability`; ``past_rate``: rank of past complaints/month x rank of past manager
    minutes/month (RFCM C x R); ``constant``: one probability for everybody. ``calibrator`` (isotonic
    or Platt on the score, fitted on the labelled cutoffs that exist) maps the score to a probability;
    without one the score is used as is (``past_rate`` always needs one)."""

    method: str
    horizon_days: float
    calibrator: Any = None
    constant: float = 0.0

    FEATURES = {"bgnbd": ["btyd_p_no_purchase"], "recency": ["recency_days", "ipi_median"],
                "past_rate": ["complaints_per_month", "manager_minutes_per_month"], "constant": []}

    @property
    def feature_names(self) -> list[str]:
        return list(self.FEATURES[self.method])

    def score(self, X: pd.DataFrame) -> np.ndarray:
        if self.method == "bgnbd":
            return X["btyd_p_no_purchase"].to_numpy(float)
        if self.method == "recency":
            return recency_probability(X["recency_days"], X["ipi_median"], self.horizon_days)
        if self.method == "past_rate":
            return (X["complaints_per_month"].rank(pct=True).to_numpy()
                    * X["manager_minutes_per_month"].rank(pct=True).to_numpy())
        return np.full(len(X), self.constant)

    def _x(self, s: np.ndarray) -> np.ndarray:
        return (_logit(s) if self.method in ("bgnbd", "recency") else s).reshape(-1, 1)

    def fit_calibration(self, X: pd.DataFrame, y: np.ndarray, method: str) -> ScoreModel:
        s = self.score(X)
        if method == "isotonic":
            self.calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
        else:
            self.calibrator = LogisticRegression(C=1e4, max_iter=1000).fit(self._x(s), y)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        s = self.score(X)
        if isinstance(self.calibrator, LogisticRegression):
            p = self.calibrator.predict_proba(self._x(s))[:, 1]
        elif self.calibrator is not None:
            p = _tie_break(self.calibrator.predict(s), s)
        else:
            p = s
        p = np.clip(np.nan_to_num(p, nan=self.constant), 0, 1)
        return np.c_[1 - p, p]


def _fallback(kind: str, reason: str, prep: PreparedData, labelled, data, as_of, cfg: dict) -> ChurnModel:
    """The simpler documented method when the data cannot support the learned model.

    Churn: BG/NBD P(no purchase in the horizon) when BG/NBD could be fitted as of the date, else the
    recency probability. Toxicity: past RFCM C x R when complaint data exist, no probability (0) when
    there are none. The score is calibrated on whatever labelled cutoffs exist (isotonic, or Platt on
    fewer than ``isotonic_min_rows``); with too few labels churn uses the score as is and toxicity
    the base rate of the toxic rule over the last horizon."""
    mcfg = dict(cfg.get(kind, {}))
    horizon = int(mcfg.get("horizon_days", 90))
    end = _end(as_of)
    code = reason.split(":", 1)[0]
    log.warning("%s: %s -> fallback", kind, reason)
    if isinstance(labelled, list):  # cutoffs: build their labelled rows
        labelled = _dataset(prep, labelled, cfg, kind, None, mcfg) if labelled else None
    rows = labelled[labelled["cold"] == 0] if labelled is not None and len(labelled) else None
    at_end = build_at(prep, cut_ns(end), cfg, None, None) if kind == "churn" else None
    btyd_status = at_end.attrs.get("btyd_status") if at_end is not None else None
    if kind == "churn":
        scorer = ScoreModel("bgnbd" if btyd_status == "ok" else "recency", horizon)
        if rows is not None and scorer.method == "bgnbd":
            rows = rows[np.isfinite(rows["btyd_p_no_purchase"].to_numpy(float))]
    elif code == "no_complaint_data":
        scorer = ScoreModel("constant", horizon, constant=0.0)
        rows = None
    else:
        scorer = ScoreModel("past_rate", horizon)
    min_rows = int(setting(mcfg, "min_calibration_rows", kind))
    min_eval = int(setting(mcfg, "min_eval_class_rows", kind))
    y = rows["label"].to_numpy() if rows is not None else np.zeros(0, int)
    calibrated = len(y) >= min_rows and not _class_problem("calibration", y, min_eval, min_eval)
    cal_method = None
    if calibrated:
        cal_method = _calibration_method(mcfg.get("calibration", "isotonic"), len(y), mcfg, kind)
        scorer.fit_calibration(rows, y, cal_method)
    elif scorer.method == "past_rate":
        # nothing to map the rank score to a probability: the toxic rule's rate over the last horizon
        univ = np.flatnonzero(prep.first_ns < cut_ns(end))
        inc = cfg.get("features", {}).get("complaints_include_returns", True)
        cpm, mpm = _future_toxicity(prep, univ, end - pd.Timedelta(days=horizon), horizon, mcfg, inc)
        rate = float(toxic_label(cpm, mpm, mcfg).mean()) if len(univ) else 0.0
        scorer = ScoreModel("constant", horizon, constant=rate)
    model_kind = {"bgnbd": "bgnbd", "recency": "recency", "past_rate": "past_rate",
                  "constant": "no_complaint_data" if code == "no_complaint_data" else "base_rate"}[scorer.method]
    model_kind += "_calibrated" if scorer.calibrator is not None else ("_uncalibrated" if kind == "churn" else "")
    metrics: dict[str, Any] = {"method": model_kind, "fallback_reason": reason, "reason_code": code,
                               "calibration": cal_method, "calibration_rows": int(len(y)),
                               "labelled_cutoffs": sorted({str(pd.Timestamp(c).date()) for c in labelled["cutoff"]})
                               if labelled is not None and len(labelled) else [],
                               "btyd_status_at_as_of": btyd_status, "customers_total": int(prep.n)}
    if scorer.method == "constant":
        metrics["constant"] = scorer.constant
    if rows is not None and len(rows):
        last = rows[rows["cutoff"] == rows["cutoff"].max()]
        yl = last["label"].to_numpy()
        # in sample when calibrated: the same labels fitted the calibration
        metrics["model"] = {**evaluate_scores(yl, scorer.predict_proba(last)[:, 1]), "in_sample": calibrated,
                            "cutoff": str(pd.Timestamp(last["cutoff"].iloc[0]).date())}
        if kind == "churn" or {"complaints_per_month", "manager_minutes_per_month"} <= set(last.columns):
            metrics["baselines"] = {b: evaluate_scores(yl, s, probabilities=False) for b, s in _baselines(kind, last).items()}
    cold = _cold_start_table(labelled if labelled is not None else pd.DataFrame(), mcfg) if kind == "churn" else {}
    metrics["cold_start"] = cold
    cutoffs = metrics["labelled_cutoffs"]
    return ChurnModel(kind=kind, model_kind=model_kind, estimator=scorer, feature_names=scorer.feature_names,
                      categories=list(labelled.attrs.get("categories", [])) if labelled is not None else [],
                      cutoffs=cutoffs, validation_cutoff=cutoffs[-1] if cutoffs else "", as_of=str(_day(as_of).date()),
                      data_hash=data_hash(data, end), metrics=metrics, config=cfg, cold_start=cold,
                      validation_sample=None, trained_at=_now(), fallback_reason=reason)


def _score(model: ChurnModel, data: Mapping[str, pd.DataFrame], as_of, col: str) -> pd.DataFrame:
    f = build_features(data, _end(as_of), model.config, categories=model.categories)
    p = np.full(len(f), np.nan)
    label = np.full(len(f), f"{model.kind}_{model.model_kind}", dtype=object)
    warm = (f["frequency"] > 0).to_numpy() if model.kind == "churn" else np.ones(len(f), bool)
    with threadpool_limits(limits=model.config.get("n_threads")):
        if len(f) and warm.mean() > 0.5:  # predicting the few cold rows too is cheaper than copying the warm ones
            p[warm] = model.predict_proba(f)[warm]
        elif warm.any():
            p[warm] = model.predict_proba(f.loc[warm, model.feature_names])
    if (~warm).any():
        p[~warm] = _apply_cold_start(model.cold_start, f.loc[~warm, ["engagement_90d", "tenure_days"]])
        label[~warm] = f"{model.kind}_cold_start"
    out = pd.DataFrame({"customer_id": f["customer_id"].to_numpy(), col: np.clip(p, 0, 1), f"{model.kind}_model": label})
    out.attrs["btyd"] = {"status": f.attrs.get("btyd_status"), "params": f.attrs.get("btyd_params"),
                         "repeaters": f.attrs.get("btyd_repeaters")}
    return out


def train_churn(data: Mapping[str, pd.DataFrame], as_of, config: Mapping | None = None) -> ChurnModel:
    """Train the churn model (see module doc)."""
    return _train("churn", data, as_of, config)


def score_churn(model: ChurnModel, data: Mapping[str, pd.DataFrame], as_of) -> pd.DataFrame:
    """DataFrame[customer_id, churn_probability, churn_model] for every customer known before as_of."""
    return _score(model, data, as_of, "churn_probability")


def train_toxicity(data: Mapping[str, pd.DataFrame], as_of, config: Mapping | None = None) -> ChurnModel:
    return _train("toxicity", data, as_of, config)


def score_toxicity(model: ChurnModel, data: Mapping[str, pd.DataFrame], as_of) -> pd.DataFrame:
    """DataFrame[customer_id, toxicity_probability, toxicity_model]."""
    return _score(model, data, as_of, "toxicity_probability")


# ----------------------------------------------------------------------------------- drivers
def explain_drivers(model: ChurnModel, segments: pd.Series | Mapping | None = None, config: Mapping | None = None,
                    X: pd.DataFrame | None = None, y: np.ndarray | None = None) -> pd.DataFrame:
    """Permutation importance (ROC AUC drop) on the validation cutoff sample, globally and per segment.

    ``segments`` maps customer_id -> segment (cluster name, RFM segment...). Returns
    DataFrame[model, segment, feature, label_ru, label_en, importance_mean, importance_std, rank].
    """
    cfg = dict((config or model.config).get("drivers", {}))
    seed = int((config or model.config).get("random_state", 42))
    vs = model.validation_sample if X is None else X.assign(label=np.asarray(y))
    if vs is None or len(vs) == 0:
        return pd.DataFrame(columns=["model", "segment", "feature", "label_ru", "label_en", "importance_mean",
                                     "importance_std", "rank"])
    with threadpool_limits(limits=(config or model.config).get("n_threads")):
        return _drivers_impl(model, vs, segments, cfg, seed)


def _drivers_impl(model, vs, segments, cfg, seed) -> pd.DataFrame:
    vs = _cap(vs, int(cfg.get("sample", 3000)), seed)
    groups = [("__all__", vs)]
    if segments is not None:
        seg = pd.Series(segments) if not isinstance(segments, pd.Series) else segments
        seg.index = seg.index.astype(str)
        s = vs["customer_id"].astype(str).map(seg) if "customer_id" in vs else pd.Series(index=vs.index, dtype=object)
        for name, part in vs.groupby(s.to_numpy(), dropna=True):
            if len(part) >= int(cfg.get("min_segment_rows", 200)) and part["label"].nunique() == 2:
                groups.append((str(name), part))
    rows = []
    for name, part in groups:
        if part["label"].nunique() < 2:
            continue
        r = permutation_importance(model.estimator, part[model.feature_names], part["label"].to_numpy(),
                                   scoring="roc_auc", n_repeats=int(cfg.get("n_repeats", 5)), random_state=seed,
                                   n_jobs=1)
        df = pd.DataFrame({"model": model.kind, "segment": name, "feature": model.feature_names,
                           "importance_mean": r.importances_mean, "importance_std": r.importances_std})
        df["rank"] = df["importance_mean"].rank(ascending=False, method="first").astype(int)
        rows.append(df[df["rank"] <= int(cfg.get("top_n", 15))])
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(out):
        out["label_ru"] = [feature_label(f, "ru") for f in out["feature"]]
        out["label_en"] = [feature_label(f, "en") for f in out["feature"]]
        out = out.sort_values(["segment", "rank"]).reset_index(drop=True)
    return out
