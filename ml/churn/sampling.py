"""Which customers a training run learns from: a sample of customers (the same ones at every
cutoff) stratified by first-seen month, and row caps for validation and drivers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml.features import PreparedData


def sample_codes(prep: PreparedData, n_max: int, seed: int, strata: str | None,
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


def cap(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return df.sample(n=n, random_state=seed) if len(df) > n else df
