"""CDNOW (23,570 customers who first bought in Q1 1997, every purchase to June 1998) as a CRM
contacts + orders export.

``crm/contacts.csv`` carries only ``contact_id`` (the zero-padded id as written); ``crm/orders.csv``
one row per CDNOW line: ``order_id`` (customer, date and line number), ``contact_id``,
``order_date`` as ``YYYYMMDD``, ``amount`` (dollars) and ``quantity`` (CDs). With ``until`` the
orders after that day are left out of the landing folder and summarised per customer in
``truth/holdout.csv`` (orders, purchase days and amount after ``until``): the label of the
classic calibration / holdout split.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from public_data.cache import wheel_member

MEMBER = "lifetimes/datasets/CDNOW_master.txt"
LAST_DAY = dt.date(1998, 6, 30)


def read_cdnow() -> list[tuple[str, str, int, float]]:
    """(customer_id, YYYYMMDD, quantity, amount) per line of CDNOW_master.txt."""
    rows = []
    for line in wheel_member("lifetimes", MEMBER).decode("ascii").splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[1].isdigit():
            continue
        rows.append((parts[0], parts[1], int(parts[2]), float(parts[3])))
    return rows


def write_cdnow(out_dir: Path, until: dt.date | None = None, customers: int | None = None,
                seed: int = 0) -> dict[str, int]:
    """Write the landing folder and ``truth/``; ``customers`` draws a seeded random subset."""
    out_dir = Path(out_dir)
    (out_dir / "crm").mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    rows = read_cdnow()
    ids = sorted({r[0] for r in rows})
    if customers is not None and customers < len(ids):
        keep = set(np.random.default_rng(seed).choice(np.array(ids), size=customers, replace=False).tolist())
        ids = [c for c in ids if c in keep]
        rows = [r for r in rows if r[0] in keep]
    cut = until.strftime("%Y%m%d") if until else None
    holdout: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    holdout_days: dict[str, set[str]] = defaultdict(set)
    line_no: dict[tuple[str, str], int] = defaultdict(int)
    n_orders = 0
    with open(out_dir / "crm" / "orders.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["order_id", "contact_id", "order_date", "amount", "quantity"])
        for cid, day, qty, amount in rows:
            line_no[(cid, day)] += 1
            if cut and day > cut:
                h = holdout[cid]
                h[0] += 1
                h[2] += amount
                holdout_days[cid].add(day)
                continue
            writer.writerow([f"{cid}-{day}-{line_no[(cid, day)]}", cid, day, f"{amount:.2f}", qty])
            n_orders += 1
    with open(out_dir / "crm" / "contacts.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["contact_id"])
        writer.writerows([c] for c in ids)
    counts = {"crm/contacts.csv": len(ids), "crm/orders.csv": n_orders}
    if cut:
        with open(out_dir / "truth" / "holdout.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["contact_id", "holdout_orders", "holdout_purchase_days", "holdout_amount"])
            for cid in ids:
                h = holdout.get(cid, [0, 0, 0.0])
                writer.writerow([cid, int(h[0]), len(holdout_days.get(cid, ())), f"{h[2]:.2f}"])
        counts["truth/holdout.csv"] = len(ids)
    end = until or LAST_DAY
    meta = {"dataset": "cdnow", "source": f"lifetimes 0.11.3 wheel, {MEMBER}", "end_date": end.isoformat(),
            "holdout_end": LAST_DAY.isoformat() if cut else None, "customers": len(ids)}
    (out_dir / "truth" / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return counts
