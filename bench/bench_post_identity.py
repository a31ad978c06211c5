"""The Python steps after identity on a built warehouse: CPU seconds of each step's domain function.

    .venv/bin/python bench/bench_post_identity.py [WAREHOUSE] [--as-of YYYY-MM-DD] [--replicate K]
        [--steps signals,health,segments,churn,alerts] [--profile 25]

WAREHOUSE: the warehouse.duckdb of a finished `clientpulse run` (default: CLIENTPULSE_WAREHOUSE,
else data/warehouse.duckdb, i.e. `make run`'s; without one the script says so and exits 0, so
`make bench` passes on a fresh clone). It is copied to a temp file and read there, so the run's
file is never locked. The inputs are read once, the way the assets read them
(``load_customer_facts``, ``load_message_texts``, ``load_alert_inputs``); ``--replicate K`` repeats
every customer K times under new ids (``<id>~<j>``), a K-times larger base with the same shape.
Each step's function runs once and is timed by ``time.process_time`` (the process's CPU, all
threads); ``--profile N`` runs it under cProfile instead and prints its N costliest functions.
Models are trained into a temp folder (never reused).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import logging
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clientpulse_config import load  # noqa: E402

STEPS = ("signals", "health", "segments", "churn", "alerts")


def replicate(frame: pd.DataFrame | None, k: int) -> pd.DataFrame | None:
    """The frame's rows K times, copy j's customer (and message / thread) ids made distinct."""
    if frame is None or k <= 1 or "customer_id" not in frame:
        return frame
    parts = []
    for j in range(k):
        part = frame.copy()
        if j:
            part["customer_id"] = part["customer_id"].astype("string") + f"~{j}"
            for col in ("thread_id",):
                if col in part:
                    part[col] = part[col].astype("string") + f"~{j}"
            if "message_id" in part and pd.api.types.is_integer_dtype(part["message_id"]):
                part["message_id"] = part["message_id"] + j * (int(frame["message_id"].max()) + 1)
            elif "message_id" in part:
                part["message_id"] = part["message_id"].astype("string") + f"~{j}"
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for col in ("customer_id", "thread_id", "message_id"):
        if col in out and out[col].dtype == "string":
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def read_inputs(con, as_of: dt.date, k: int) -> dict:
    from dagster_project.defs.ml.assets import load_alert_inputs
    from dagster_project.ml_data import load_customer_facts, load_message_texts

    facts = {name: replicate(df, k) for name, df in load_customer_facts(con, as_of).items()}
    signals = replicate(con.execute("SELECT * FROM ml.message_signals WHERE cast(sent_at AS date) <= $as_of "
                                    "ORDER BY message_id", {"as_of": as_of}).df(), k)
    verdict, _, _ = load_alert_inputs(con, as_of)
    return {"facts": facts, "signals": signals, "texts": replicate(load_message_texts(con, as_of), k),
            "verdict": replicate(verdict, k)}


def step_functions(inputs: dict, as_of: dt.date, model_dir: Path) -> dict:
    from ml import steps
    from ml.signals import score_messages
    from ml.signals.messages import with_reply_columns

    health_cfg, signals_cfg, models_cfg = load("health"), load("signals"), load("models")
    log = logging.getLogger("bench")
    facts = inputs["facts"]

    def churn():
        scored = [steps.train_and_score(kind, facts, as_of, models_cfg, model_dir, log) for kind in ("churn", "toxicity")]
        ids = facts["customers"]["customer_id"]
        segments = pd.Series(np.resize(["a", "b", "c", "d"], len(ids)), index=ids.to_numpy())
        return steps.model_drivers(scored, segments), steps.model_runs(scored)

    return {
        "signals": lambda: with_reply_columns(score_messages(inputs["texts"], config=signals_cfg), inputs["texts"],
                                              health_cfg["replies"]),
        "health": lambda: steps.score_health(inputs["signals"], facts, as_of, None, signals_cfg, health_cfg),
        "segments": lambda: steps.build_segments(facts, as_of, models_cfg, None),
        "churn": churn,
        "alerts": lambda: steps.build_alerts(inputs["verdict"], None, as_of, health_cfg),  # a base run: digests
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", type=Path, nargs="?",
                    default=Path(os.environ.get("CLIENTPULSE_WAREHOUSE") or "data/warehouse.duckdb"))
    ap.add_argument("--as-of", help="default: the latest as_of of ml.health_history")
    ap.add_argument("--replicate", type=int, default=1)
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--profile", type=int, default=0, help="print the N costliest functions of each step")
    args = ap.parse_args()
    if not args.warehouse.exists():
        print(f"no warehouse at {args.warehouse}: run the pipeline first (`make run`), or pass one")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_post_identity_"))
    try:
        shutil.copy(args.warehouse, tmp / "warehouse.duckdb")
        con = duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True)
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else \
            con.execute("SELECT max(as_of) FROM ml.health_history").fetchone()[0]
        inputs = read_inputs(con, as_of, args.replicate)
        con.close()
        customers = len(inputs["facts"]["customers"])
        print(f"as of {as_of}: {customers:,} customers, {len(inputs['signals']):,} scored messages, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
        functions = step_functions(inputs, as_of, tmp / "models")
        for name in args.steps.split(","):
            c = time.process_time()
            if args.profile:
                prof = cProfile.Profile()
                prof.runcall(functions[name])
                print(f"--- {name}: {pstats.Stats(prof).total_calls:,} Python calls")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
            else:
                functions[name]()
            print(f"{name:10s} {time.process_time() - c:7.1f} s CPU  (load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
