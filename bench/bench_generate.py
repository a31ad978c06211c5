"""Time `clientpulse generate` (the synthetic landing folder) and report its peak memory.

    .venv/bin/python bench/bench_generate.py --customers 1000000
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    from sample_data import generate

    out = Path(tempfile.mkdtemp(prefix="cp_gen_"))
    try:
        started = time.perf_counter()
        cpu0 = time.process_time()
        summary = generate(customers=args.customers, seed=args.seed, out_dir=out / "landing")
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        size = sum(p.stat().st_size for p in (out / "landing").rglob("*") if p.is_file())
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print("| customers | wall s | cpu s | peak RSS GB | landing size GB |")
        print("|---|---|---|---|---|")
        print(f"| {args.customers:,} | {wall:.1f} | {cpu:.1f} | {peak_gb:.2f} | {size / 1024**3:.2f} |")
        print()
        print("| file | rows |\n|---|---|")
        for name, rows in sorted(summary.items()):
            print(f"| {name} | {rows:,} |")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
