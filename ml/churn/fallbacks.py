"""Degrade, don't die: the documented simpler methods used when the data cannot support the learned
model (see docs/methods.md), as one :class:`ScoreModel` in the model record."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from ml.features import PreparedData, build_at, cut_ns, setting
from ml.model_store import data_hash

from .calibration import calibration_method, logit, tie_break
from .checks import class_problem
from .cold_start import cold_start_table
from .labels import future_toxicity, labelled_dataset, toxic_label
from .metrics import baselines, evaluate_scores
from .model import ChurnModel, data_end, day, now

log = logging.getLogger(__name__)


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
        return (logit(s) if self.method in ("bgnbd", "recency") else s).reshape(-1, 1)

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
            p = tie_break(self.calibrator.predict(s), s)
        else:
            p = s
        p = np.clip(np.nan_to_num(p, nan=self.constant), 0, 1)
        return np.c_[1 - p, p]


def fallback(kind: str, reason: str, prep: PreparedData, labelled, data, as_of, cfg: dict) -> ChurnModel:
    """The simpler documented method when the data cannot support the learned model.

    Churn: BG/NBD P(no purchase in the horizon) when BG/NBD could be fitted as of the date, else the
    recency probability. Toxicity: past RFCM C x R when complaint data exist, no probability (0) when
    there are none. The score is calibrated on whatever labelled cutoffs exist (isotonic, or Platt on
    fewer than ``isotonic_min_rows``); with too few labels churn uses the score as is and toxicity
    the base rate of the toxic rule over the last horizon."""
    mcfg = dict(cfg.get(kind, {}))
    horizon = int(mcfg.get("horizon_days", 90))
    end = data_end(as_of)
    code = reason.split(":", 1)[0]
    log.warning("%s: %s -> fallback", kind, reason)
    if isinstance(labelled, list):  # cutoffs: build their labelled rows
        labelled = labelled_dataset(prep, labelled, cfg, kind, None, mcfg) if labelled else None
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
    calibrated = len(y) >= min_rows and not class_problem("calibration", y, min_eval, min_eval)
    cal_method = None
    if calibrated:
        cal_method = calibration_method(mcfg.get("calibration", "isotonic"), len(y), mcfg, kind)
        scorer.fit_calibration(rows, y, cal_method)
    elif scorer.method == "past_rate":
        # nothing to map the rank score to a probability: the toxic rule's rate over the last horizon
        univ = np.flatnonzero(prep.first_ns < cut_ns(end))
        inc = cfg.get("features", {}).get("complaints_include_returns", True)
        cpm, mpm = future_toxicity(prep, univ, end - pd.Timedelta(days=horizon), horizon, mcfg, inc)
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
            metrics["baselines"] = {b: evaluate_scores(yl, s, probabilities=False) for b, s in baselines(kind, last).items()}
    cold = cold_start_table(labelled if labelled is not None else pd.DataFrame(), mcfg) if kind == "churn" else {}
    metrics["cold_start"] = cold
    cutoffs = metrics["labelled_cutoffs"]
    return ChurnModel(kind=kind, model_kind=model_kind, estimator=scorer, feature_names=scorer.feature_names,
                      categories=list(labelled.attrs.get("categories", [])) if labelled is not None else [],
                      cutoffs=cutoffs, validation_cutoff=cutoffs[-1] if cutoffs else "", as_of=str(day(as_of).date()),
                      data_hash=data_hash(data, end), metrics=metrics, config=cfg, cold_start=cold,
                      validation_sample=None, trained_at=now(), fallback_reason=reason)
