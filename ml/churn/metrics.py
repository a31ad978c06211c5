"""Out-of-time evaluation of a score: ranking, calibration and lift, and the baselines a learned
model is compared with on the same rows."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def evaluate_scores(y: np.ndarray, score: np.ndarray, probabilities: bool = True) -> dict:
    """ROC AUC, PR AUC, Brier (probabilities only), decile calibration table, lift at top 10 %."""
    y = np.asarray(y, int)
    s = np.asarray(score, float)
    s = np.where(np.isfinite(s), s, np.nanmedian(s) if np.isfinite(s).any() else 0.0)
    out: dict[str, Any] = {"n": len(y), "base_rate": float(y.mean()) if len(y) else float("nan")}
    if len(np.unique(y)) < 2:
        out.update(roc_auc=float("nan"), pr_auc=float("nan"), lift_top10=float("nan"))
        return out
    out["roc_auc"] = float(roc_auc_score(y, s))
    out["pr_auc"] = float(average_precision_score(y, s))
    k = max(1, int(round(0.1 * len(y))))
    top = np.argsort(-s, kind="stable")[:k]
    out["lift_top10"] = float(y[top].mean() / max(y.mean(), 1e-12))
    if probabilities and len(y) >= 10:
        out["brier"] = float(brier_score_loss(y, np.clip(s, 0, 1)))
        dec = pd.qcut(pd.Series(s).rank(method="first"), 10, labels=False)
        tab = pd.DataFrame({"decile": dec + 1, "p": s, "y": y}).groupby("decile").agg(
            n=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")).reset_index()
        out["calibration"] = tab.to_dict("records")
        out["ece"] = float(np.sum(tab["n"] * (tab["mean_predicted"] - tab["observed_rate"]).abs()) / len(y))
    return out


def baselines(kind: str, v: pd.DataFrame) -> dict[str, np.ndarray]:
    if kind == "churn":
        return {"bgnbd_expected_purchases": -v["btyd_expected_purchases"].to_numpy(float),
                "bgnbd_p_no_purchase": v["btyd_p_no_purchase"].to_numpy(float),
                "recency": v["recency_days"].to_numpy(float)}
    c = v["complaints_per_month"].rank(pct=True).to_numpy()
    m = v["manager_minutes_per_month"].rank(pct=True).to_numpy()
    return {"past_rfcm_c_x_r": c * m, "past_complaints": v["complaints_per_month"].to_numpy(float)}
