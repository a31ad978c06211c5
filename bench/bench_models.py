"""Benchmark: churn model train + score on a simulated base (default 1M customers, ~10M orders).

    .venv/bin/python bench/bench_models.py [--customers 1000000] [--seed 0] [--threads 2] [--toxicity]

Training subsamples customers (config churn.train_sample rows = customers x training cutoffs);
scoring covers every customer. ROC AUC is on the held-out validation cutoff (as_of - horizon),
whose labels were never used for fitting (only for the final calibration, after evaluation).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.churn import score_churn, score_toxicity, simulate_history, train_churn, train_toxicity  # noqa: E402
from ml.features import build_features, load_config  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--toxicity", action="store_true")
    a = ap.parse_args()
    cfg = load_config()
    cfg["n_threads"] = a.threads
    as_of = "2025-01-01"

    t = time.perf_counter()
    data, _ = simulate_history(a.customers, seed=a.seed, order_rate=1 / 22, events_rate=0.02)
    t_sim = time.perf_counter() - t
    sizes = {k: len(v) for k, v in data.items()}
    print(f"simulated in {t_sim:.1f}s: " + ", ".join(f"{k}={v:,}" for k, v in sizes.items()), flush=True)

    t = time.perf_counter()
    f = build_features(data, as_of, cfg)
    t_feat = time.perf_counter() - t
    print(f"build_features (all customers, as_of): {t_feat:.1f}s, {len(f):,} rows x {f.shape[1]} cols", flush=True)

    t = time.perf_counter()
    model = train_churn(data, as_of, cfg)
    t_train = time.perf_counter() - t
    t = time.perf_counter()
    scores = score_churn(model, data, as_of)
    t_score = time.perf_counter() - t
    m = model.metrics
    rows = [
        ("churn model (" + model.model_kind + ", calibrated)", m["model"]),
        ("BG/NBD expected purchases", m["baselines"]["bgnbd_expected_purchases"]),
        ("BG/NBD P(no purchase)", m["baselines"]["bgnbd_p_no_purchase"]),
        ("recency alone", m["baselines"]["recency"]),
    ]
    print()
    print(f"train {t_train:.1f}s (customers sampled: {m['customers_sampled']}, rows fit/cal/val: {m['rows']}), "
          f"score {t_score:.1f}s for {len(scores):,} customers, total {t_train + t_score:.1f}s")
    print(f"validation cutoff {m['validation_cutoff']} (held out), base churn rate {m['model']['base_rate']:.3f}")
    print(f"{'scorer':38s} {'ROC AUC':>8s} {'PR AUC':>8s} {'lift@10%':>9s} {'Brier':>7s}")
    for name, r in rows:
        brier = f"{r['brier']:.4f}" if "brier" in r else "   -"
        print(f"{name:38s} {r['roc_auc']:8.4f} {r['pr_auc']:8.4f} {r['lift_top10']:9.3f} {brier:>7s}")
    for k, r in m["candidates"].items():
        print(f"  candidate {k:10s} ROC AUC {r['roc_auc']:.4f} PR AUC {r['pr_auc']:.4f} Brier {r['brier']:.4f}")
    print("scored by:", scores["churn_model"].value_counts().to_dict())

    if a.toxicity:
        t = time.perf_counter()
        tm = train_toxicity(data, as_of, cfg)
        t_tt = time.perf_counter() - t
        t = time.perf_counter()
        ts = score_toxicity(tm, data, as_of)
        t_ts = time.perf_counter() - t
        r = tm.metrics["model"]
        b = tm.metrics["baselines"]["past_rfcm_c_x_r"]
        print(f"\ntoxicity: train {t_tt:.1f}s, score {t_ts:.1f}s ({len(ts):,}); ROC AUC {r['roc_auc']:.4f} "
              f"(past C x R {b['roc_auc']:.4f}), PR AUC {r['pr_auc']:.4f} (base rate {r['base_rate']:.3f})")


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
