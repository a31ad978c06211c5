"""Drivers: which features a model's ranking depends on, by permutation importance (ROC AUC drop) on
the validation cutoff sample, globally and per segment."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics._ranking import _binary_roc_auc_score
from sklearn.preprocessing import label_binarize
from threadpoolctl import threadpool_limits

from ml.features import feature_label

from .model import ChurnModel
from .sampling import cap


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
    vs = cap(vs, int(cfg.get("sample", 3000)), seed)
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
        mean, std = permutation_auc_drop(model.estimator, part[model.feature_names], part["label"].to_numpy(),
                                         int(cfg.get("n_repeats", 5)), seed)
        df = pd.DataFrame({"model": model.kind, "segment": name, "feature": model.feature_names,
                           "importance_mean": mean, "importance_std": std})
        df["rank"] = df["importance_mean"].rank(ascending=False, method="first").astype(int)
        rows.append(df[df["rank"] <= int(cfg.get("top_n", 15))])
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(out):
        out["label_ru"] = [feature_label(f, "ru") for f in out["feature"]]
        out["label_en"] = [feature_label(f, "en") for f in out["feature"]]
        out = out.sort_values(["segment", "rank"]).reset_index(drop=True)
    return out


PREDICT_ROWS = 60000  # permuted rows predicted per call


def permutation_auc_drop(estimator, X: pd.DataFrame, y: np.ndarray, n_repeats: int,
                         seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(importances_mean, importances_std) of ``sklearn.inspection.permutation_importance(estimator,
    X, y, scoring="roc_auc", n_repeats=n_repeats, random_state=seed)``: the same permutations and
    the same numbers (the estimators are row-wise), but the permuted copies of several features are
    predicted in one call and the AUC is computed without re-validating the labels each time.
    sklearn's one predict and one validated ``roc_auc_score`` per feature and repeat were half of
    churn_and_toxicity."""
    y01 = label_binarize(y, classes=np.unique(y))[:, 0]

    def auc(scores: np.ndarray) -> float:
        return _binary_roc_auc_score(y01, np.asarray(scores, dtype=float))

    m, n_features = X.shape
    baseline = auc(estimator.predict_proba(X)[:, 1])
    # sklearn: one seed drawn from random_state, a fresh RandomState(seed) per feature shuffling one
    # index array in place; each repeat permutes the already permuted column again
    rs = np.random.RandomState(np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1))
    idx, perms, composed = np.arange(m), [], np.arange(m)
    for _ in range(n_repeats):
        rs.shuffle(idx)
        composed = composed[idx]
        perms.append(composed)
    stacked = pd.concat([X] * n_repeats, ignore_index=True)
    per_call = max(1, PREDICT_ROWS // max(1, m * n_repeats))
    scores = np.empty((n_features, n_repeats))
    for start in range(0, n_features, per_call):
        cols = range(start, min(start + per_call, n_features))
        frames = []
        for j in cols:
            part = stacked.copy()
            values = X.iloc[:, j].to_numpy()
            part.iloc[:, j] = np.concatenate([values[p] for p in perms])
            frames.append(part)
        p = estimator.predict_proba(pd.concat(frames, ignore_index=True))[:, 1].reshape(len(cols), n_repeats, m)
        for k, j in enumerate(cols):
            scores[j] = [auc(p[k, r]) for r in range(n_repeats)]
    importances = baseline - scores
    return np.mean(importances, axis=1), np.std(importances, axis=1)
