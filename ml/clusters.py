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
from ml.cluster_text import cluster_facts, describe_cluster, fact_value
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
    no_purchase_id: int | None = None          # the never-buyers' own segment (None: not split out)
    no_purchase_names: tuple[str, str] | None = None
    base_scaler: Scaler | None = None          # scaling of the whole base (the buyers' own is ``scaler``)
    balance_note: str = ""         # no k kept every cluster within max_cluster_share ("" = one did)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Cluster id of each row: the no-purchase segment for never-buyers when it is split out,
        otherwise the nearest centroid in the scaled space."""
        idx = _nearest(self.scaler.transform(features), self.centroids)
        out = np.asarray(self.cluster_ids)[idx]
        if self.no_purchase_id is not None:
            out = np.where(_never_bought(features), self.no_purchase_id, out)
        return out


# ----------------------------------------------------------------------------------- naming
def _levels(centroid: np.ndarray, features: list[str], high: float, low: float) -> dict[str, str]:
    return {f: ("high" if v >= high else "low" if v <= low else "mid") for f, v in zip(features, centroid)}


def _facts_hold(rule: Mapping, facts: Mapping[str, float] | None) -> bool:
    """A rule's ``facts`` ({feature: {min, max}}) hold for a cluster's fact values (ml.cluster_text:
    median or mean of its members by unit); a rule with facts never fits a cluster without them."""
    want = rule.get("facts") or {}
    if not want:
        return True
    if facts is None:
        return False
    for f, rng in want.items():
        v = facts.get(f)
        if v is None or not np.isfinite(v):
            return False
        lo, hi = (rng or {}).get("min"), (rng or {}).get("max")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            return False
    return True


def rule_fits(rule: Mapping, z: np.ndarray, features: list[str], high: float, low: float,
              facts: Mapping[str, float] | None) -> bool:
    """Every ``when`` level holds for the centre ``z`` and every ``facts`` range for the members."""
    lv = _levels(z, features, high, low)
    cond = rule.get("when") or {}
    return all(f in lv and lv[f] == want for f, want in cond.items()) and _facts_hold(rule, facts)


def name_clusters(centroids: np.ndarray, features: list[str], rules: list[Mapping], high=0.5, low=-0.5,
                  taken: set[str] | None = None, facts: list[Mapping[str, float]] | None = None
                  ) -> list[tuple[str, str]]:
    """Unique (name_ru, name_en) per centroid: Hungarian assignment of clusters to fitting rules
    (score = summed |deviation| of the matched conditions + specificity); a rule fits when its
    ``when`` levels hold for the centre and its ``facts`` for the cluster's members (``facts[i]``);
    leftovers get a descriptive name from their two largest deviations."""
    taken = set(taken or ())
    rules = [r for r in rules if r.get("name_ru") not in taken]
    k, R = len(centroids), len(rules)
    big = 1e6
    cost = np.full((k, max(R, 1)), big)
    for i, c in enumerate(centroids):
        fi = facts[i] if facts is not None else None
        for j, r in enumerate(rules):
            if rule_fits(r, c, features, high, low, fi):
                cond = r.get("when") or {}
                strength = sum(abs(c[features.index(f)]) for f in cond)
                cost[i, j] = -(strength + 0.5 * len(cond) + 0.25 * len(r.get("facts") or {}))
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
            ru, en = base_ru, base_en
            while ru in used:
                ru, en = f"{base_ru} ({n})", f"{base_en} ({n})"
                n += 1
            out[i] = (ru, en)
        used.add(out[i][0])
    return out  # type: ignore[return-value]


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


NO_PURCHASES, BUYERS, ALL = "no_purchases", "buyers", "all"


def _never_bought(df: pd.DataFrame) -> np.ndarray:
    """Customers without a completed purchase (frequency 0; a frame without the column: nobody)."""
    if "frequency" not in df.columns:
        return np.zeros(len(df), bool)
    return pd.to_numeric(df["frequency"], errors="coerce").fillna(0).to_numpy(float) <= 0


def _previous_kinds(previous: pd.DataFrame) -> pd.Series:
    """segment_kind of the previous profiles; profiles written before the column existed: a centre
    with no purchases (frequency < 0.5) is the no-purchase segment."""
    if "segment_kind" in previous.columns:
        return previous["segment_kind"].fillna(ALL).astype(str)
    freq = [json.loads(c).get("frequency", np.nan) for c in previous["centroid"]]
    return pd.Series([NO_PURCHASES if f is not None and f < 0.5 else ALL for f in freq], index=previous.index)


def _rule_by_name(rules: list[Mapping]) -> dict[str, Mapping]:
    return {r["name_ru"]: r for r in rules}


def fit_clusters(features: pd.DataFrame, config: Mapping | None = None, previous: pd.DataFrame | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, ClusterModel]:
    """Cluster customers; see module doc.

    Returns (assignments[customer_id, cluster_id, cluster_name, cluster_name_en],
             profiles[cluster_id, segment_kind, cluster_name, cluster_name_ru, cluster_name_en, description,
                      description_ru, description_en, size, share, centroid (json, raw units), silhouette], model).
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
    min_size = int(setting(cfg, "min_cluster_size", "clusters"))
    k_min, k_max = int(cfg.get("k_min", 5)), int(cfg.get("k_max", 7))
    np_cfg = dict(setting(cfg, "no_purchase_segment", "clusters"))
    never = _never_bought(df)
    split = bool(np_cfg.get("enabled", True)) and never.sum() >= min_size and (~never).sum() >= min_size
    fit_df = df.loc[~never].reset_index(drop=True) if split else df
    if split:  # the never-buyers are one segment; the buyers get the other k_min-1 .. k_max-1
        k_min, k_max = max(1, k_min - 1), max(1, k_max - 1)
    base_scaler = Scaler.fit(df, feats, cfg.get("log_features", []))
    scaler = Scaler.fit(fit_df, feats, cfg.get("log_features", [])) if split else base_scaler
    n_fit = min(len(fit_df), int(cfg.get("sample", 20000)), 20000)
    sample_idx = np.sort(np.random.default_rng(seed).choice(len(fit_df), n_fit, replace=False))
    Xs = scaler.transform(fit_df.iloc[sample_idx])
    k_hi, reason = _supported_k(Xs, k_min, k_max, min_size)
    if reason and split:
        reason += f"; besides the {int(never.sum())} customers without purchases, their own segment"
    k_lo = max(2, min(k_min, k_hi))
    sil_n = min(n_fit, int(cfg.get("silhouette_sample", 5000)))
    algorithm = cfg.get("algorithm", "kmeans")
    max_share = float(setting(cfg, "max_cluster_share", "clusters"))
    fit_share = len(fit_df) / max(len(df), 1)  # a buyer cluster's share of the base = its sample share x this
    sil_by_k, candidates = {}, []
    if k_hi < 2:  # one cluster, everybody: its centre is the population median, so it is named as typical
        candidates.append((float("nan"), 1, np.median(Xs, axis=0, keepdims=True), fit_share))
    for k in range(k_lo, k_hi + 1):
        lab, cent = _fit_labels(Xs, k, algorithm, seed)
        s = float(silhouette_score(Xs, lab, sample_size=sil_n, random_state=seed)) if len(set(lab)) > 1 else -1.0
        sil_by_k[k] = s
        candidates.append((s, k, cent, float(np.bincount(lab).max() / len(lab)) * fit_share))
    # the best silhouette among the splits whose largest cluster holds at most max_cluster_share of the base
    balanced = [c for c in candidates if c[3] <= max_share + 1e-12]
    pool = balanced or candidates
    best = pool[0]
    for c in pool[1:]:
        if c[0] > best[0] + 1e-9:
            best = c
    sil, k, cent, largest = best
    balance_note = "" if balanced or k_hi < 2 else (
        f"no split of k {k_lo}..{k_hi} keeps every cluster within {max_share:.0%} of the base; "
        f"the largest holds {largest:.0%}")
    if balance_note:
        log.warning("clusters: %s", balance_note)
    # deterministic order: by size of the centroid's first coordinates (stable across permutations)
    order = np.lexsort(np.round(cent, 6).T[::-1])
    cent = cent[order]

    prev_b, prev_np = None, None
    if previous is not None and len(previous):
        kinds = _previous_kinds(previous)
        prev_np = previous.loc[kinds == NO_PURCHASES] if split else None
        prev_b = previous.loc[kinds != NO_PURCHASES] if split else previous
    rules = list(cfg.get("naming_rules", []))
    by_name = _rule_by_name(rules)
    high, low = float(cfg.get("high", 0.5)), float(cfg.get("low", -0.5))
    matched = match_to_previous(cent, prev_b, scaler, float(cfg.get("max_match_distance", 2.0))) \
        if prev_b is not None and len(prev_b) else {}
    ids: list[int | None] = [None] * k
    names: list[tuple[str, str] | None] = [None] * k
    for i, (pid, ru, en) in matched.items():
        ids[i], names[i] = pid, (ru, en)
    # the facts of each cluster (its members' medians / means) decide which names are true
    fact_cols = sorted(set(feats).union(*((r.get("facts") or {}).keys() for r in rules)) & set(fit_df.columns))
    lab_all = _nearest(scaler.transform(fit_df), cent)
    facts = cluster_facts(fit_df, lab_all, list(range(k)), fact_cols)
    for i in range(k):  # a kept name must still be true: a rule name whose rule no longer fits is dropped
        if names[i] is not None and names[i][0] in by_name and \
                not rule_fits(by_name[names[i][0]], cent[i], feats, high, low, facts[i]):
            log.info("clusters: cluster %s keeps its id; its name %r no longer fits", ids[i], names[i][0])
            names[i] = None
    np_id, np_names = None, None
    if split:
        np_names = (str(np_cfg.get("name_ru", "Без покупок")), str(np_cfg.get("name_en", "No purchases yet")))
    free = [i for i in range(k) if names[i] is None]
    if free:
        taken = {n[0] for n in names if n} | ({np_names[0]} if np_names else set())
        new = name_clusters(cent[free], feats, rules, high, low, taken=taken, facts=[facts[i] for i in free])
        for i, nm in zip(free, new):
            names[i] = nm
    used_ids = [p for p in ids if p is not None]
    if split and prev_np is not None and len(prev_np):
        cand = int(prev_np["cluster_id"].iloc[0])
        np_id = cand if cand not in used_ids else None
    prev_max = [int(previous["cluster_id"].max())] if previous is not None and len(previous) else []
    next_id = max(used_ids + prev_max + [0]) + 1
    for i in range(k):
        if ids[i] is None:
            ids[i] = next_id
            next_id += 1
    if split and np_id is None:
        np_id = next_id
    model = ClusterModel(scaler=scaler, centroids=cent, cluster_ids=[int(i) for i in ids],
                         names_ru=[n[0] for n in names], names_en=[n[1] for n in names], k=k + int(split),
                         algorithm=algorithm, silhouette=sil, silhouette_by_k=sil_by_k, config=cfg,
                         fallback_reason=reason, no_purchase_id=np_id,
                         no_purchase_names=np_names, base_scaler=base_scaler, balance_note=balance_note)
    if reason:
        log.warning("clusters: %s", reason)
    assignments, profiles = assign_clusters(model, features, lang)
    return assignments, profiles, model


def _nearest(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    if len(X) < 200_000:
        return ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(-1).argmin(1)
    return np.concatenate([((Xc[:, None, :] - centroids[None]) ** 2).sum(-1).argmin(1)
                           for Xc in np.array_split(X, max(1, len(X) // 100_000))])


_REFERENCE = {BUYERS: {"ru": "у всех покупателей", "en": "for all buyers"},
              ALL: {"ru": "по базе", "en": "for the whole base"},
              NO_PURCHASES: {"ru": "по базе", "en": "for the whole base"}}
_NO_PURCHASE_LEAD = {"ru": "Ни одной завершённой покупки.", "en": "No completed purchase yet."}


def assign_clusters(model: ClusterModel, features: pd.DataFrame, lang: str | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    lang = lang or model.config.get("language", "ru")
    cid = model.predict(features)
    ids_all, ru_all, en_all = list(model.cluster_ids), list(model.names_ru), list(model.names_en)
    if model.no_purchase_id is not None:
        ids_all.append(model.no_purchase_id)
        ru_all.append(model.no_purchase_names[0])
        en_all.append(model.no_purchase_names[1])
    name_ru, name_en = dict(zip(ids_all, ru_all)), dict(zip(ids_all, en_all))
    name_of = name_ru if lang == "ru" else name_en
    assignments = pd.DataFrame({"customer_id": features["customer_id"].to_numpy(), "cluster_id": cid,
                                "cluster_name": pd.Series(cid).map(name_of).to_numpy(),
                                "cluster_name_en": pd.Series(cid).map(name_en).to_numpy()})
    feats = model.scaler.features
    by_name = _rule_by_name(list(model.config.get("naming_rules", [])))
    split = model.no_purchase_id is not None
    never = _never_bought(features) if split else np.zeros(len(features), bool)
    ref_frame = features.loc[~never]
    reference = {f: fact_value(ref_frame[f], f) for f in feats}
    base_ref = {f: fact_value(features[f], f) for f in feats}
    facts = cluster_facts(features, cid, ids_all, feats)
    raw_cent = model.scaler.inverse(model.centroids)
    sizes = pd.Series(cid).value_counts()
    total = max(len(cid), 1)
    rows = []
    for i, c in enumerate(ids_all):
        size = int(sizes.get(c, 0))
        if split and c == model.no_purchase_id:
            kind, ref, lead = NO_PURCHASES, base_ref, _NO_PURCHASE_LEAD
            members = model.base_scaler.transform(features.loc[never]) if never.any() else \
                np.zeros((1, len(feats)))
            z = members.mean(0)
            centre = model.base_scaler.inverse(z[None, :])[0]
            # its purchase features are zero by definition: describe what else sets it apart
            z = np.where([f in _PURCHASE_FEATURES for f in feats], 0.0, z)
        else:
            kind, ref, lead = (BUYERS if split else ALL), reference, None
            z, centre = model.centroids[i], raw_cent[i]
        first = list((by_name.get(name_ru[c]) or {}).get("when") or {})
        desc = {lg: describe_cluster(facts[i], ref, z, feats, size, size / total, lg, _REFERENCE[kind], lead,
                                     first=first) for lg in ("ru", "en")}
        rows.append({
            "cluster_id": int(c), "segment_kind": kind, "cluster_name": name_of[c], "cluster_name_ru": name_ru[c],
            "cluster_name_en": name_en[c], "description": desc[lang], "description_ru": desc["ru"],
            "description_en": desc["en"], "size": size, "share": float(size / total),
            "centroid": json.dumps({f: round(float(v), 6) for f, v in zip(feats, centre)}, ensure_ascii=False),
            "silhouette": model.silhouette,
        })
    return assignments, pd.DataFrame(rows)


_PURCHASE_FEATURES = {"recency_days", "frequency", "monetary_total", "monetary_avg", "returns_share",
                      "discount_share", "purchases_90d", "spend_90d", "cancel_share"}
