"""Public benchmark datasets through the whole pipeline (landing folder → `clientpulse run`).

    .venv/bin/python bench/bench_public.py                       # FEBRL 1-4 and CDNOW
    .venv/bin/python bench/bench_public.py --datasets febrl3,cdnow

FEBRL: pairwise precision / recall / F1 of core.customer_identity against the dataset's truth.
CDNOW: landing cut at 1997-09-30, run as of that day; ROC AUC of customer_360.churn_probability
on "no purchase 1997-10-01..1998-06-30" beside BG/NBD expected purchases from the same run and
recency alone. Each run is a subprocess: wall, CPU and peak RSS are the run's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from public_data import write_cdnow, write_febrl  # noqa: E402
from public_data.evaluate import churn_scores, identity_scores  # noqa: E402

CDNOW_CUTOFF = dt.date(1997, 9, 30)
FEBRL_AS_OF = "2024-01-01"  # FEBRL has no dates of activity; any day does
F1_TARGETS = {"febrl1": None, "febrl2": None, "febrl3": 0.997, "febrl4": 0.999}
CHURN_TARGET_RATIO = 1.03  # model AUC >= 1.03 x BG/NBD AUC


def run_pipeline(landing: Path, work: Path, as_of: str) -> dict[str, float]:
    """`clientpulse run` in a subprocess; the run's wall, CPU and peak RSS."""
    env = {**os.environ, "CLIENTPULSE_LANDING_DIR": str(landing),
           "CLIENTPULSE_WAREHOUSE": str(work / "warehouse.duckdb"),
           "CLIENTPULSE_SERVING": str(work / "serving.duckdb"), "DAGSTER_HOME": str(work / "dagster_home")}
    env.pop("CLIENTPULSE_AS_OF", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(work / "run.log", "w", encoding="utf-8") as log:
        code = subprocess.call([str(Path(sys.executable).parent / "clientpulse"), "run", "--as-of", as_of],
                               env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        tail = (work / "run.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"pipeline failed on {landing} (exit {code}); log {work / 'run.log'}:\n{tail}")
    return {"wall_s": round(wall, 1),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
            "peak_rss_gb": round(after.ru_maxrss / 1024 ** 2, 2)}


def bench_febrl(name: str, base: Path) -> list:
    landing, work = base / name / "landing", base / name / "run"
    work.mkdir(parents=True)
    write_febrl(name, landing)
    cost = run_pipeline(landing, work, FEBRL_AS_OF)
    s = identity_scores(work / "warehouse.duckdb", landing)
    target = F1_TARGETS[name]
    status = "—" if target is None else ("✅" if s["pairwise_f1"] >= target else "❌")
    return [name, s["records_evaluated"], s["true_entities"], s["predicted_clusters"], s["pairwise_precision"],
            s["pairwise_recall"], s["pairwise_f1"], f"≥ {target}" if target else "—", status,
            cost["wall_s"], cost["cpu_s"], cost["peak_rss_gb"]]


def supervised_ceiling(landing: Path, cutoff: dt.date) -> float:
    """What purchase history alone can say about the holdout label: 5-fold cross-validated AUC of a
    model trained on the holdout label itself (which no real run has) with per-customer purchase
    features. An upper reference for any churn score built from the same orders."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    orders = pd.read_csv(landing / "crm" / "orders.csv", dtype={"contact_id": str, "order_date": str})
    orders["day"] = pd.to_datetime(orders["order_date"], format="%Y%m%d")
    days = orders.groupby(["contact_id", "day"], as_index=False)["amount"].sum()
    days["gap"] = days.groupby("contact_id")["day"].diff().dt.days
    g = days.groupby("contact_id")
    end = pd.Timestamp(cutoff)
    feats = pd.DataFrame({"x": g.size() - 1, "t_x": (g["day"].max() - g["day"].min()).dt.days,
                          "T": (end - g["day"].min()).dt.days, "recency": (end - g["day"].max()).dt.days,
                          "amount_mean": g["amount"].mean(), "amount_sum": g["amount"].sum(),
                          "gap_mean": g["gap"].mean(), "gap_last": g["gap"].last()})
    for window in (30, 90, 180):
        recent = days[days["day"] > end - pd.Timedelta(days=window)]
        feats[f"days_{window}"] = recent.groupby("contact_id").size().reindex(feats.index).fillna(0)
    holdout = pd.read_csv(landing / "truth" / "holdout.csv", dtype={"contact_id": str}).set_index("contact_id")
    y = (holdout["holdout_orders"].reindex(feats.index) == 0).astype(int).to_numpy()
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=50)
    p = cross_val_predict(model, feats.fillna(-1).to_numpy(), y, method="predict_proba",
                          cv=StratifiedKFold(5, shuffle=True, random_state=0))[:, 1]
    return round(float(roc_auc_score(y, p)), 4) if np.unique(y).size == 2 else float("nan")


def bench_cdnow(base: Path, customers: int | None) -> list:
    landing, work = base / "cdnow" / "landing", base / "cdnow" / "run"
    work.mkdir(parents=True)
    write_cdnow(landing, until=CDNOW_CUTOFF, customers=customers)
    cost = run_pipeline(landing, work, CDNOW_CUTOFF.isoformat())
    s = churn_scores(work / "serving.duckdb", landing)
    bg = s.get("auc_bgnbd")
    target = round(CHURN_TARGET_RATIO * bg, 4) if bg is not None else None
    status = "—" if target is None else ("✅" if s["auc_model"] >= target else "❌")
    return [s["customers"], s["churned_share"], s["auc_model"], bg if bg is not None else "n/a", s["auc_recency"],
            supervised_ceiling(landing, CDNOW_CUTOFF), f"≥ {target}" if target else "n/a", status, s["churn_model"],
            cost["wall_s"], cost["cpu_s"], cost["peak_rss_gb"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="febrl1,febrl2,febrl3,febrl4,cdnow")
    parser.add_argument("--cdnow-customers", type=int, default=None, help="seeded subset (default: all 23,570)")
    parser.add_argument("--work", type=Path, default=None, help="keep the runs here (default: a temp dir)")
    args = parser.parse_args()
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    with tempfile.TemporaryDirectory(prefix="bench_public_") as tmp:
        base = args.work or Path(tmp)
        febrl = [bench_febrl(n, base) for n in names if n.startswith("febrl")]
        if febrl:
            print("\nIdentity on FEBRL through the pipeline (pairwise, against truth/record_map.csv)")
            print(tabulate(febrl, headers=["dataset", "records", "entities", "customers", "precision", "recall",
                                           "F1", "target", "", "wall s", "CPU s", "peak RSS GB"]))
        if "cdnow" in names:
            row = bench_cdnow(base, args.cdnow_customers)
            print(f"\nChurn on CDNOW: landed to {CDNOW_CUTOFF}, run as of it; label = no purchase to 1998-06-30")
            print(tabulate([row], headers=["customers", "churned", "AUC churn_probability", "AUC BG/NBD",
                                           "AUC recency", "ceiling (CV on the label)", "target", "",
                                           "churn_model", "wall s", "CPU s", "peak RSS GB"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
