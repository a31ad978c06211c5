"""Decisions against the generator's truth: run as of a date before the sample's end, so the
future is known (`ml/decision_truth.py`, docs/methods.md "Decisions measured against truth").

    .venv/bin/python bench/bench_decisions.py                      # 3,000 customers, seeds 42 and 7
    .venv/bin/python bench/bench_decisions.py --customers 5000 --seeds 42

Prints, per seed: dead precision, early-warning recall (persons churning within 60 days flagged at
risk today), the share of living persons flagged, alert precision and counts, with the floors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from tabulate import tabulate  # noqa: E402

from bench.bench_public import run_pipeline  # noqa: E402
from ml.decision_truth import FLOORS, decision_metrics  # noqa: E402
from sample_data import generate  # noqa: E402

END = "2026-11-15"
AS_OF = dt.date(2026, 9, 15)
COLUMNS = ("dead_customers", "dead_precision", "buyers", "churning_within_horizon", "early_warning_recall",
           "living_flagged_share", "alerts", "alert_precision")


def measure(customers: int, seed: int, base: Path) -> dict:
    landing, work = base / f"s{seed}" / "landing", base / f"s{seed}" / "run"
    work.mkdir(parents=True, exist_ok=True)
    generate(customers=customers, seed=seed, out_dir=landing, end_date=END)
    cost = run_pipeline(landing, work, AS_OF.isoformat())
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        metrics = decision_metrics(con, landing, AS_OF)
    return {"seed": seed, **{c: metrics.get(c) for c in COLUMNS}, **cost}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--seeds", default="42,7")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_decisions_") as tmp:
        rows = [measure(args.customers, int(s), Path(tmp)) for s in args.seeds.split(",")]
    print(f"{args.customers} generated customers, end {END}, as of {AS_OF} (horizon 60 days)")
    print(tabulate(rows, headers="keys", floatfmt=".3f"))
    print("floors: " + ", ".join(f"{name} {'>=' if kind == 'min' else '<='} {bound}" for name, kind, bound in FLOORS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
