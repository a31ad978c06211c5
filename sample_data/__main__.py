"""`python -m sample_data --customers N --seed S --out DIR`."""
from __future__ import annotations

import argparse
import json
import time

from .generator import DEFAULT_END_DATE, generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sample_data", description=__doc__)
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--end-date", default=DEFAULT_END_DATE)
    ap.add_argument("--years", type=float, default=3.0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    counts = generate(args.customers, args.seed, args.out, end_date=args.end_date, years=args.years)
    print(json.dumps(counts, ensure_ascii=False, indent=2))
    print(f"generated in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
