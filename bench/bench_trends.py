"""Per-customer communication trends and ticket patterns: time at 50k and 200k customers.

    .venv/bin/python bench/bench_trends.py [--customers 50000,200000]

Both are grouped, vectorised passes; the ratio of the two sizes' times should stay near 4
(linear). A per-customer filter of the whole frame would make it ~16 (quadratic).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tabulate import tabulate  # noqa: E402

from ml.signals import customer_trends, ticket_patterns  # noqa: E402
from ml.signals.trends import MARKER_COLUMNS  # noqa: E402

AS_OF = "2025-06-30"


def _signals(n_customers: int, rng: np.random.Generator) -> pd.DataFrame:
    """Scored-message shaped rows (4 per customer): the trend step's input, without scoring cost."""
    n = 4 * n_customers
    df = pd.DataFrame({
        "customer_id": np.char.add("C", rng.integers(0, n_customers, n).astype(str)),
        "sent_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D"),
        "direction": rng.choice(["inbound", "outbound"], n, p=[0.7, 0.3]),
        "tone": rng.uniform(-1, 1, n), "tone_label": rng.choice(["negative", "neutral", "positive"], n),
        "register": rng.choice(["formal", "informal", "neutral"], n),
        "competitor_names": "", "evidence": "{}",
    })
    for col in MARKER_COLUMNS.values():
        df[col] = rng.random(n) < 0.02
    hit = df["is_ultimatum"].to_numpy()
    df.loc[hit, "evidence"] = json.dumps({"ultimatum": ["последний раз"]}, ensure_ascii=False)
    return df


def _tickets(n_customers: int, rng: np.random.Generator) -> pd.DataFrame:
    n = 2 * n_customers
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    return pd.DataFrame({"customer_id": np.char.add("C", rng.integers(0, n_customers, n).astype(str)),
                         "created_at": created, "closed_at": created + pd.to_timedelta(rng.integers(1, 300, n), unit="h"),
                         "category": rng.choice(["billing", "tech", "price"], n), "reopen_count": rng.integers(0, 3, n)})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", default="50000,200000")
    sizes = [int(x) for x in parser.parse_args().customers.split(",")]
    rows, times = [], {}
    for n in sizes:
        rng = np.random.default_rng(n)
        sig, tk = _signals(n, rng), _tickets(n, rng)
        t = time.perf_counter()
        customer_trends(sig, AS_OF, {})
        t_trends = time.perf_counter() - t
        t = time.perf_counter()
        ticket_patterns(tk, AS_OF, {})
        t_tickets = time.perf_counter() - t
        times[n] = (t_trends, t_tickets)
        rows.append([f"{n:,}", f"{len(sig):,}", round(t_trends, 2), f"{len(tk):,}", round(t_tickets, 2)])
    print(tabulate(rows, headers=["customers", "messages", "customer_trends s", "tickets", "ticket_patterns s"]))
    if len(sizes) == 2:
        a, b = times[sizes[0]], times[sizes[1]]
        print(f"\ntime ratio {sizes[1] // sizes[0]}x customers: trends {b[0] / a[0]:.1f}x, tickets {b[1] / a[1]:.1f}x "
              f"(linear ≈ {sizes[1] / sizes[0]:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
