"""Accuracy of an identity assignment against ground truth (pairwise and cluster level)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs(counts: pd.Series) -> int:
    c = counts.to_numpy(dtype=np.int64)
    return int((c * (c - 1) // 2).sum())


def evaluate_against_truth(identity_df: pd.DataFrame, record_map_df: pd.DataFrame) -> dict[str, float]:
    """`identity_df`: customer_id, source, source_record_id (predicted);
    `record_map_df`: source, source_record_id and a truth id column (`person_id`, `true_id`,
    `truth_id` or `entity_id`). Records missing from either side or with an empty truth id are ignored (and counted).

    Returns pairwise precision / recall / F1 (pairs of records in the same cluster),
    B-cubed precision / recall / F1, the share of true clusters reproduced exactly, and the
    numbers of over-merged predicted clusters (hold >1 true entity) and under-merged true
    entities (spread over >1 predicted cluster)."""
    truth_col = next((c for c in ("person_id", "true_id", "truth_id", "entity_id", "customer_id")
                      if c in record_map_df.columns), None)
    if truth_col is None:
        raise ValueError("record_map_df needs a truth id column (person_id / true_id / entity_id)")
    keys = ["source", "source_record_id"]
    pred = identity_df[keys + ["customer_id"]].astype(str).rename(columns={"customer_id": "pred"})
    truth = record_map_df[keys + [truth_col]].dropna(subset=[truth_col]).astype(str).rename(
        columns={truth_col: "truth"})
    truth = truth[truth["truth"].str.strip() != ""]  # records of unknown persons are not scored
    m = pred.merge(truth, on=keys, how="inner")
    tp = _pairs(m.groupby(["pred", "truth"]).size())
    pred_pairs = _pairs(m.groupby("pred").size())
    true_pairs = _pairs(m.groupby("truth").size())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    both = m.groupby(["pred", "truth"]).size().rename("n_pt").reset_index()
    both = both.merge(m.groupby("pred").size().rename("n_p").reset_index(), on="pred")
    both = both.merge(m.groupby("truth").size().rename("n_t").reset_index(), on="truth")
    n = len(m)
    # B-cubed: per record, |pred ∩ truth| / |pred| and / |truth|, averaged over records
    b_p = float((both["n_pt"] ** 2 / both["n_p"]).sum() / n) if n else 1.0
    b_r = float((both["n_pt"] ** 2 / both["n_t"]).sum() / n) if n else 1.0
    b_f1 = 2 * b_p * b_r / (b_p + b_r) if b_p + b_r else 0.0
    exact = both[(both["n_pt"] == both["n_p"]) & (both["n_pt"] == both["n_t"])]
    n_truth = m["truth"].nunique()
    return {
        "records_evaluated": int(n),
        "records_missing_truth": int(len(pred) - n),
        "pairwise_precision": round(precision, 6),
        "pairwise_recall": round(recall, 6),
        "pairwise_f1": round(f1, 6),
        "bcubed_precision": round(b_p, 6),
        "bcubed_recall": round(b_r, 6),
        "bcubed_f1": round(b_f1, 6),
        "true_entities": int(n_truth),
        "predicted_clusters": int(m["pred"].nunique()),
        "exact_cluster_share": round(len(exact) / n_truth, 6) if n_truth else 1.0,
        "over_merged_clusters": int((both.groupby("pred").size() > 1).sum()),
        "under_merged_entities": int((both.groupby("truth").size() > 1).sum()),
    }
