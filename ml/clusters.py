"""Readable customer clusters: robust scaling, k-means / agglomerative, k by silhouette, rule-based
names (RU/EN) from centroid profiles, and Hungarian matching to the previous run for stable ids.

Too few customers (or distinct feature rows) for ``k_min`` clusters of ``min_cluster_size``: fewer
clusters, down to one (the population median, named by the same rules); ``fallback_reason`` says why.

Centroids are stored in *raw feature units* (the inverse of the log1p + robust scaling of the
scaled centroid), so a later run can map them into its own scaled space and match.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score

from clientpulse_config import load
from ml.features import feature_label, setting

log = logging.getLogger(__name__)

__all__ = ["ClusterModel", "assign_clusters", "fit_clusters", "match_to_previous", "name_clusters"]

CLIP = 5.0


@dataclass
class Scaler:
    features: list[str]
    log_features: list[str]
    median: np.ndarray
    iqr: np.ndarray
    fill: np.ndarray

    @classmethod
    def fit(cls, df: pd.DataFrame, features, log_features) -> Scaler:
        raw = df[features].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        fill = np.nan_to_num(np.nanmedian(raw, axis=0)) if len(raw) else np.zeros(len(features))
        s = cls(list(features), [f for f in log_features if f in features], np.zeros(len(features)),
                np.ones(len(features)), fill)
        z = s._pre(raw)
        s.median = np.median(z, axis=0)
        q75, q25 = np.percentile(z, [75, 25], axis=0)
        iqr = q75 - q25
        std = z.std(axis=0)
        s.iqr = np.where(iqr > 1e-9, iqr / 1.349, np.where(std > 1e-9, std, 1.0))
        return s

    def _is_log(self):
        return np.array([f in self.log_features for f in self.features])

    def _pre(self, raw: np.ndarray) -> np.ndarray:
        raw = np.where(np.isfinite(raw), raw, self.fill)
        lg = self._is_log()
        out = raw.copy()
        out[:, lg] = np.log1p(np.clip(raw[:, lg], 0, None))
        return out

    def transform_raw(self, raw: np.ndarray) -> np.ndarray:
        return np.clip((self._pre(np.atleast_2d(raw)) - self.median) / self.iqr, -CLIP, CLIP)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        return self.transform_raw(df[self.features].apply(pd.to_numeric, errors="coerce").to_numpy(float))

    def inverse(self, z: np.ndarray) -> np.ndarray:
        pre = np.atleast_2d(z) * self.iqr + self.median
        lg = self._is_log()
        pre[:, lg] = np.expm1(pre[:, lg])
        return pre


@dataclass
class ClusterModel:
    scaler: Scaler
    centroids: np.ndarray          # scaled space, row i <-> cluster_ids[i]
    cluster_ids: list[int]
    names_ru: list[str]
    names_en: list[str]
    k: int
    algorithm: str
    silhouette: float
    silhouette_by_k: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    fallback_reason: str = ""      # why fewer than k_min clusters were fitted ("" = not)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Cluster id of each row (nearest centroid in the scaled space)."""
        X = self.scaler.transform(features)
        d = ((X[:, None, :] - self.centroids[None, :, :]) ** 2).sum(-1) if len(X) < 200_000 else None
        if d is None:
            idx = np.concatenate([((Xc[:, None, :] - self.centroids[None]) ** 2).sum(-1).argmin(1)
                                  for Xc in np.array_split(X, max(1, len(X) // 100_000))])
        else:
            idx = d.argmin(1)
        return np.asarray(self.cluster_ids)[idx]


# ----------------------------------------------------------------------------------- naming
def _levels(centroid: np.ndarray, features: list[str], high: float, low: float) -> dict[str, str]:
    return {f: ("high" if v >= high else "low" if v <= low else "mid") for f, v in zip(features, centroid)}


def name_clusters(centroids: np.ndarray, features: list[str], rules: list[Mapping], high=0.5, low=-0.5,
                  taken: set[str] | None = None) -> list[tuple[str, str]]:
    """Unique (name_ru, name_en) per centroid: Hungarian assignment of clusters to fitting rules
    (score = summed |deviation| of the matched conditions + specificity); leftovers get a
    descriptive name from their two largest deviations."""
    taken = set(taken or ())
    rules = [r for r in rules if r.get("name_ru") not in taken]
    k, R = len(centroids), len(rules)
    big = 1e6
    cost = np.full((k, max(R, 1)), big)
    for i, c in enumerate(centroids):
        lv = _levels(c, features, high, low)
        for j, r in enumerate(rules):
            cond = r.get("when") or {}
            if all(f in lv and lv[f] == want for f, want in cond.items()):
                strength = sum(abs(c[features.index(f)]) for f in cond)
                cost[i, j] = -(strength + 0.5 * len(cond)) if cond else 0.0
    out: list[tuple[str, str] | None] = [None] * k
    if R:
        ri, ci = linear_sum_assignment(cost)
        for i, j in zip(ri, ci):
            if cost[i, j] < big:
                out[i] = (rules[j]["name_ru"], rules[j]["name_en"])
    used = {o[0] for o in out if o} | taken
    for i in range(k):
        if out[i] is None:
            c = centroids[i]
            order = np.argsort(-np.abs(c))[:2]
            ru = ", ".join(f"{'высокий' if c[j] > 0 else 'низкий'}: {feature_label(features[j], 'ru').lower()}"
                           for j in order)
            en = ", ".join(f"{'high' if c[j] > 0 else 'low'} {feature_label(features[j], 'en').lower()}" for j in order)
            base_ru, base_en, n = ru.capitalize(), en.capitalize(), 2
            while ru.capitalize() in used:
                ru, en = f"{base_ru} ({n})", f"{base_en} ({n})"
                n += 1
            out[i] = (ru.capitalize(), en.capitalize())
        used.add(out[i][0])
    return out  # type: ignore[return-value]


def _describe(raw_centroid: np.ndarray, pop_median: np.ndarray, z: np.ndarray, features: list[str], lang: str) -> str:
    parts = []
    for j in np.argsort(-np.abs(z))[:4]:
        if abs(z[j]) < 0.3:
            continue
        lab = feature_label(features[j], lang)
        v, m = raw_centroid[j], pop_median[j]
        ratio = f" (×{v / m:.1f})" if m > 1e-9 and v > 0 else ""
        if lang == "ru":
            parts.append(f"{lab}: {v:.3g} при медиане {m:.3g}{ratio}")
        else:
            parts.append(f"{lab}: {v:.3g} vs median {m:.3g}{ratio}")
    return "; ".join(parts) or ("Близко к среднему" if lang == "ru" else "Close to the population")


# ----------------------------------------------------------------------------------- matching
def match_to_previous(centroids_now: np.ndarray, previous_clusters: pd.DataFrame, scaler: Scaler,
                      max_distance: float = 2.0) -> dict[int, tuple[int, str, str]]:
    """Hungarian matching of current centroids (scaled space) to the previous run's profiles
    (``centroid`` json in raw units, mapped through the *current* scaler).
    Returns {current row index: (previous cluster_id, name_ru, name_en)} for pairs closer than
    ``max_distance`` (RMS distance per feature)."""
    if previous_clusters is None or len(previous_clusters) == 0:
        return {}
    prev_raw = np.array([[json.loads(c).get(f, np.nan) for f in scaler.features]
                         for c in previous_clusters["centroid"]], dtype=float)
    prev_z = scaler.transform_raw(prev_raw)
    d = np.sqrt(((centroids_now[:, None, :] - prev_z[None, :, :]) ** 2).mean(-1))
    ri, ci = linear_sum_assignment(d)
    names_ru = previous_clusters.get("cluster_name_ru", previous_clusters["cluster_name"]).tolist()
    names_en = previous_clusters.get("cluster_name_en", previous_clusters["cluster_name"]).tolist()
    ids = previous_clusters["cluster_id"].astype(int).tolist()
    return {int(i): (ids[j], names_ru[j], names_en[j]) for i, j in zip(ri, ci) if d[i, j] <= max_distance}


# ----------------------------------------------------------------------------------- fitting
def _fit_labels(X: np.ndarray, k: int, algorithm: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if algorithm == "agglomerative":
        lab = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(X)
        cent = np.vstack([X[lab == i].mean(0) for i in range(k)])
        return lab, cent
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(X)
    return km.labels_, km.cluster_centers_


def _supported_k(Xs: np.ndarray, k_min: int, k_max: int, min_size: int) -> tuple[int, str]:
    """The most clusters the sample supports (distinct feature rows, ``min_size`` customers per cluster,
    fewer clusters than rows for the silhouette) and, when that is below ``k_min``, the reason."""
    n = len(Xs)
    distinct = len(np.unique(np.round(Xs, 9), axis=0)) if n else 0
    k = min(k_max, distinct, n // max(min_size, 1))
    if k >= 2:
        k = min(k, n - 1)
    k = max(k, 1)
    if k >= k_min:
        return k, ""
    return k, (f"too_few_customers: {n} customers with {distinct} distinct feature rows support {k} "
               f"cluster(s) (k_min {k_min}, min_cluster_size {min_size})")


def fit_clusters(features: pd.DataFrame, config: Mapping | None = None, previous: pd.DataFrame | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, ClusterModel]:
    """Cluster customers; see module doc.

    Returns (assignments[customer_id, cluster_id, cluster_name],
             profiles[cluster_id, cluster_name, cluster_name_ru, cluster_name_en, description,
                      description_en, size, share, centroid (json, raw units), silhouette], model).
    """
    cfg_all = load("models") if config is None else dict(config)
    cfg = dict(cfg_all.get("clusters", cfg_all))
    seed = int(cfg_all.get("random_state", 42))
    feats = [f for f in cfg.get("features", []) if f in features.columns]
    if not feats:
        raise ValueError("no clustering features present")
    lang = cfg.get("language", "ru")
    # canonical order so that a permuted input gives the same sample and the same fit
    df = features.sort_values("customer_id", kind="stable").reset_index(drop=True)
    scaler = Scaler.fit(df, feats, cfg.get("log_features", []))
    n_fit = min(len(df), int(cfg.get("sample", 20000)), 20000)
    sample_idx = np.sort(np.random.default_rng(seed).choice(len(df), n_fit, replace=False))
    Xs = scaler.transform(df.iloc[sample_idx])
    k_min, k_max = int(cfg.get("k_min", 5)), int(cfg.get("k_max", 7))
    k_hi, reason = _supported_k(Xs, k_min, k_max, int(setting(cfg, "min_cluster_size", "clusters")))
    k_lo = max(2, min(k_min, k_hi))
    sil_n = min(n_fit, int(cfg.get("silhouette_sample", 5000)))
    algorithm = cfg.get("algorithm", "kmeans")
    sil_by_k, best = {}, None
    if k_hi < 2:  # one cluster, everybody: its centre is the population median, so it is named as typical
        best = (float("nan"), 1, np.median(Xs, axis=0, keepdims=True))
    for k in range(k_lo, k_hi + 1):
        lab, cent = _fit_labels(Xs, k, algorithm, seed)
        s = float(silhouette_score(Xs, lab, sample_size=sil_n, random_state=seed)) if len(set(lab)) > 1 else -1.0
        sil_by_k[k] = s
        if best is None or s > best[0] + 1e-9:
            best = (s, k, cent)
    sil, k, cent = best
    # deterministic order: by size of the centroid's first coordinates (stable across permutations)
    order = np.lexsort(np.round(cent, 6).T[::-1])
    cent = cent[order]

    rules = list(cfg.get("naming_rules", []))
    matched = match_to_previous(cent, previous, scaler, float(cfg.get("max_match_distance", 2.0))) \
        if previous is not None else {}
    ids: list[int | None] = [None] * k
    names: list[tuple[str, str] | None] = [None] * k
    for i, (pid, ru, en) in matched.items():
        ids[i], names[i] = pid, (ru, en)
    free = [i for i in range(k) if names[i] is None]
    if free:
        taken = {n[0] for n in names if n}
        new = name_clusters(cent[free], feats, rules, float(cfg.get("high", 0.5)), float(cfg.get("low", -0.5)),
                            taken=taken)
        for i, nm in zip(free, new):
            names[i] = nm
    next_id = max([p for p in ids if p is not None] + ([int(previous["cluster_id"].max())]
                                                       if previous is not None and len(previous) else []) + [0]) + 1
    for i in range(k):
        if ids[i] is None:
            ids[i] = next_id
            next_id += 1
    model = ClusterModel(scaler=scaler, centroids=cent, cluster_ids=[int(i) for i in ids],
                         names_ru=[n[0] for n in names], names_en=[n[1] for n in names], k=k, algorithm=algorithm,
                         silhouette=sil, silhouette_by_k=sil_by_k, config=cfg, fallback_reason=reason)
    if reason:
        log.warning("clusters: %s", reason)
    assignments, profiles = assign_clusters(model, features, lang)
    return assignments, profiles, model


def assign_clusters(model: ClusterModel, features: pd.DataFrame, lang: str | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    lang = lang or model.config.get("language", "ru")
    cid = model.predict(features)
    name_of = dict(zip(model.cluster_ids, model.names_ru if lang == "ru" else model.names_en))
    assignments = pd.DataFrame({"customer_id": features["customer_id"].to_numpy(), "cluster_id": cid,
                                "cluster_name": pd.Series(cid).map(name_of).to_numpy()})
    raw_cent = model.scaler.inverse(model.centroids)
    pop_med = np.nanmedian(features[model.scaler.features].apply(pd.to_numeric, errors="coerce").to_numpy(float), 0)
    sizes = pd.Series(cid).value_counts()
    rows = []
    for i, c in enumerate(model.cluster_ids):
        rows.append({
            "cluster_id": int(c), "cluster_name": name_of[c], "cluster_name_ru": model.names_ru[i],
            "cluster_name_en": model.names_en[i],
            "description": _describe(raw_cent[i], pop_med, model.centroids[i], model.scaler.features, lang),
            "description_en": _describe(raw_cent[i], pop_med, model.centroids[i], model.scaler.features, "en"),
            "size": int(sizes.get(c, 0)), "share": float(sizes.get(c, 0) / max(len(cid), 1)),
            "centroid": json.dumps({f: round(float(v), 6) for f, v in zip(model.scaler.features, raw_cent[i])},
                                   ensure_ascii=False),
            "silhouette": model.silhouette,
        })
    return assignments, pd.DataFrame(rows)
