"""`make bench`: run every benchmark script and print its table.

Benchmarks are measurements, not tests: they print figures to copy into BENCHMARKS.md.
`BENCH_ONLY=identity,rfm` runs a subset; pass sizes by running a script directly (`python bench/bench_identity.py --records 100000`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Sizes at which BENCHMARKS.md states the targets; each script's own default otherwise.
ARGS = {
    "identity": ["--records", "1000000"],
    "signals": ["--n", "2000000"],
    "models": ["--customers", "1000000"],
}


def main() -> int:
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
    scripts = sorted(HERE.glob("bench_*.py"))
    failures = 0
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        print(f"\n=== {name} ({script.relative_to(HERE.parent)}) ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *ARGS.get(name, [])], cwd=HERE.parent)
        print(f"--- {name}: exit {code}, {time.perf_counter() - started:.1f}s wall", flush=True)
        failures += code != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
