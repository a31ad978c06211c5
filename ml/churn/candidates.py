"""The learned candidates: HistGradientBoosting (early stopping on held-out customers) and a
logistic regression on signed-log, standardised features."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler


def signed_log(X):
    X = np.asarray(X, float)
    return np.sign(X) * np.log1p(np.abs(X))


HGB_DEFAULTS = {"max_iter": 300, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40,
                "l2_regularization": 1.0, "n_iter_no_change": 15, "validation_fraction": 0.1, "max_bins": 255}


def candidate(name: str, seed: int, hcfg: Mapping | None = None):
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
        return make_pipeline(SimpleImputer(strategy="median"), FunctionTransformer(signed_log), StandardScaler(),
                             LogisticRegression(C=0.5, max_iter=1000))
    raise ValueError(f"unknown candidate {name!r}")


def fit_candidate(name: str, d: pd.DataFrame, feat_names: list[str], seed: int, hcfg: Mapping | None):
    """Fit a candidate on the rows of ``d``. HGB stops early on a held-out share of *customers*
    (all their cutoffs), so the stopping loss is not flattered by the same customer's other rows."""
    X, y = d[feat_names], d["label"].to_numpy()
    est = candidate(name, seed, hcfg)
    if name != "hgb" or not est.early_stopping:
        return est.fit(X, y)
    frac = float({**HGB_DEFAULTS, **dict(hcfg or {})}["validation_fraction"])
    cust, inv = np.unique(d["customer_id"].to_numpy(), return_inverse=True)
    hold = (np.random.default_rng(seed + 1).random(len(cust)) < frac)[inv]
    if hold.sum() < 50 or len(np.unique(y[hold])) < 2 or len(np.unique(y[~hold])) < 2:
        return est.set_params(validation_fraction=frac).fit(X, y)  # tiny data: sklearn's own split
    return est.fit(X[~hold], y[~hold], X_val=X[hold], y_val=y[hold])
