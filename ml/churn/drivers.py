"""Drivers: which features a model's ranking depends on, by permutation importance (ROC AUC drop) on
the validation cutoff sample, globally and per segment."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
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
