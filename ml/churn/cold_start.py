"""Cold start: customers without a purchase yet get a smoothed rate of "still no purchase within the
horizon" among never-buyers at the labelled cutoffs, by (engaged in 90 days) x (tenure < 90 days)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ml.features import setting


def cold_start_table(df: pd.DataFrame, mcfg: Mapping) -> dict:
    """Smoothed P(no purchase in horizon) for never-buyers by (engaged_90d, new); with no labelled
    never-buyer, the configured prior for everyone."""
    cold = df[df["cold"] == 1] if len(df) else df
    if len(cold) == 0:
        return {"overall": float(setting(mcfg, "cold_start_default", "churn")), "cells": {}, "n": 0}
    overall = float(cold["label"].mean())
    key = (cold["engagement_90d"] > 0).astype(int).astype(str) + "|" + (cold["tenure_days"] < 90).astype(int).astype(str)
    g = cold.groupby(key)["label"].agg(["sum", "size"])
    m = 20.0
    cells = {k: float((r["sum"] + m * overall) / (r["size"] + m)) for k, r in g.iterrows()}
    return {"overall": overall, "cells": cells, "n": len(cold)}


def apply_cold_start(table: dict, f: pd.DataFrame) -> np.ndarray:
    key = np.where(f["engagement_90d"].to_numpy() > 0, "1", "0").astype(object) + "|" + \
        np.where(f["tenure_days"].to_numpy() < 90, "1", "0").astype(object)
    return pd.Series(key).map(table.get("cells", {})).fillna(table["overall"]).to_numpy(float)
