"""Scoring every customer known before the as-of date: the model for customers with a purchase (or
everybody, for toxicity), the cold-start table for never-buyers."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ml.features import build_features

from .cold_start import apply_cold_start
from .model import ChurnModel, data_end


def _score(model: ChurnModel, data: Mapping[str, pd.DataFrame], as_of, col: str) -> pd.DataFrame:
    f = build_features(data, data_end(as_of), model.config, categories=model.categories)
    out = score_features(model, f, col)
    out.attrs["btyd"] = {"status": f.attrs.get("btyd_status"), "params": f.attrs.get("btyd_params"),
                         "repeaters": f.attrs.get("btyd_repeaters")}
    return out


def score_features(model: ChurnModel, f: pd.DataFrame, col: str) -> pd.DataFrame:
    """Score a frame of built features (one row per customer): the model for warm rows, the
    cold-start table for the rest. Row-wise, so any split of `f` gives the same scores."""
    p = np.full(len(f), np.nan)
    label = np.full(len(f), f"{model.kind}_{model.model_kind}", dtype=object)
    warm = (f["frequency"] > 0).to_numpy() if model.kind == "churn" else np.ones(len(f), bool)
    with threadpool_limits(limits=model.config.get("n_threads")):
        if len(f) and warm.mean() > 0.5:  # predicting the few cold rows too is cheaper than copying the warm ones
            p[warm] = model.predict_proba(f)[warm]
        elif warm.any():
            p[warm] = model.predict_proba(f.loc[warm, model.feature_names])
    if (~warm).any():
        p[~warm] = apply_cold_start(model.cold_start, f.loc[~warm, ["engagement_90d", "tenure_days"]])
        label[~warm] = f"{model.kind}_cold_start"
    return pd.DataFrame({"customer_id": f["customer_id"].to_numpy(), col: np.clip(p, 0, 1),
                         f"{model.kind}_model": label})


def score_churn(model: ChurnModel, data: Mapping[str, pd.DataFrame], as_of) -> pd.DataFrame:
    """DataFrame[customer_id, churn_probability, churn_model] for every customer known before as_of."""
    return _score(model, data, as_of, "churn_probability")


def score_toxicity(model: ChurnModel, data: Mapping[str, pd.DataFrame], as_of) -> pd.DataFrame:
    """DataFrame[customer_id, toxicity_probability, toxicity_model]."""
    return _score(model, data, as_of, "toxicity_probability")
