"""Calibration of a fitted score on held-out rows: isotonic, or Platt (sigmoid) on small sets, with
ties broken by the raw score."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from ml.features import setting

TIE_EPS = 1e-6


def tie_break(p: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Isotonic plateaus tie customers the score ranks apart (ROC AUC and top-N lists suffer): mixing in
    1e-6 x the raw score keeps the raw order and moves no probability by more than 1e-6."""
    return np.clip(np.asarray(p, float), 0, 1) * (1 - TIE_EPS) + TIE_EPS * np.clip(np.asarray(raw, float), 0, 1)


class Calibrated(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probability is mapped by isotonic regression or Platt scaling fitted
    on held-out rows (the estimator itself is not refitted), order kept by :func:`tie_break`."""

    def __init__(self, estimator=None, method: str = "isotonic"):
        self.estimator = estimator
        self.method = method

    def fit(self, X, y):
        raw = self.estimator.predict_proba(X)[:, 1]
        if self.method == "isotonic":
            self.map_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
        elif self.method == "sigmoid":
            self.map_ = LogisticRegression(C=1e4, max_iter=1000).fit(logit(raw).reshape(-1, 1), y)
        else:
            raise ValueError(f"unknown calibration {self.method!r} (isotonic | sigmoid)")
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        raw = self.estimator.predict_proba(X)[:, 1]
        if self.method == "isotonic":
            p = self.map_.predict(raw)
        else:
            p = self.map_.predict_proba(logit(raw).reshape(-1, 1))[:, 1]
        p = tie_break(p, raw)
        return np.c_[1 - p, p]


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def calibrate(est, X, y, method: str):
    if len(np.unique(y)) < 2:
        return est
    return Calibrated(est, method).fit(X, y)


def calibration_method(method: str, n_rows: int, mcfg: Mapping, kind: str) -> str:
    """Isotonic over-fits small calibration sets: below ``isotonic_min_rows`` Platt (sigmoid) is used."""
    return "sigmoid" if method == "isotonic" and n_rows < int(setting(mcfg, "isotonic_min_rows", kind)) else method
