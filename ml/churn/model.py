"""The trained model record, and the dates every step agrees on."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


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


def day(x) -> pd.Timestamp:
    return pd.Timestamp(x.isoformat() if isinstance(x, (date, datetime)) else x).normalize()


def data_end(as_of) -> pd.Timestamp:
    """Facts are read through the as-of day, so the data end (and the scoring cutoff) is the next midnight."""
    return day(as_of) + pd.Timedelta(days=1)


def now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
