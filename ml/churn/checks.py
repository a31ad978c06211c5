"""What the data support: enough labels of both classes, informative columns, complaint data."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ml.features import PreparedData, cut_ns


def class_problem(part: str, y: np.ndarray, min_pos: int, min_neg: int) -> str:
    """'' when ``y`` has enough of both classes, else a reason ``code: detail``."""
    pos = int(np.sum(y))
    neg = len(y) - pos
    if len(y) == 0:
        return f"no_labels: no labelled {part} rows"
    if pos == 0 or neg == 0:
        return f"single_class: every {part} label is {'positive' if neg == 0 else 'negative'} ({len(y)} rows)"
    if pos < min_pos:
        return f"too_few_positives: {pos} positive {part} labels (< {min_pos})"
    if neg < min_neg:
        return f"too_few_negatives: {neg} negative {part} labels (< {min_neg})"
    return ""


def informative(d: pd.DataFrame, names: list[str]) -> list[str]:
    """Columns with at least two distinct values in ``d``: a constant or all-missing column carries no
    information (and an all-missing one breaks HistGradientBoosting's binning)."""
    return [c for c in names if d[c].nunique(dropna=True) > 1]


def has_complaint_data(prep: PreparedData, end: pd.Timestamp, cfg: Mapping) -> bool:
    """Any complaint ticket, manager minute or (when they count) return before ``end``."""
    cut = cut_ns(end)
    tk = prep.tables.get("tickets")
    if tk is not None and len(tk["t"]):
        m = tk["t"] < cut
        if (tk["is_complaint"][m]).any() or (tk["handling"][m] > 0).any():
            return True
    cl = prep.tables.get("calls")
    if cl is not None and len(cl["t"]) and (cl["minutes"][cl["t"] < cut] > 0).any():
        return True
    o = prep.tables.get("orders")
    if cfg.get("features", {}).get("complaints_include_returns", True) and o is not None and len(o["t"]):
        return bool((o["kind"][o["t"] < cut] == 1).any())
    return False
