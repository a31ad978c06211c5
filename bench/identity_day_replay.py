"""Identity alone on the day of a `bench_e2e.py --incremental --work W` run, replayed with the base
run's Splink state, crosswalk and aliases: measures the incremental scoring path against the full
path that run took. Usage (after the bench):

    PYTHONPATH=. .venv/bin/python bench/identity_day_replay.py W OUT MAX_DIRTY_SHARE

OUT receives a copy of the day's warehouse; the day's as-of date is read from W's landing.
"""
import datetime as dt
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from clientpulse_config import load
from dagster_project.identity_step import resolve_on_warehouse
from dagster_project.resources import resources_for
from ml.identity.evaluate import evaluate_tables

if __name__ == "__main__":
    bench, root = Path(sys.argv[1]), Path(sys.argv[2])
    root.mkdir(parents=True, exist_ok=True)
    day = dt.date.fromisoformat(json.loads((bench / "landing" / "truth" / "meta.json").read_text())["end_date"])
    wh = root / "warehouse.duckdb"
    shutil.copy(bench / "run" / "warehouse.duckdb", wh)
    warehouse = resources_for(root, bench / "landing")["warehouse"]
    with warehouse.connect() as con:
        con.execute(f"ATTACH '{bench / 'warehouse_base.duckdb'}' AS base (READ_ONLY)")
        con.execute("CREATE TABLE core.full_run_identity AS SELECT * FROM core.customer_identity")
        for t in ("identity_state.identity_splink_model", "identity_state.identity_splink_rows",
                  "identity_state.identity_splink_pairs", "core.customer_identity", "core.customer_aliases"):
            con.execute(f"CREATE OR REPLACE TABLE {t} AS SELECT * FROM base.{t}")
        con.execute("DETACH base")
    cfg = load("identity", {"splink": {"incremental": {"max_dirty_share": float(sys.argv[3])}}})
    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    with warehouse.connect() as con:
        step = resolve_on_warehouse(con, cfg, day)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        s = step.result.stats
        skip = ("splink_model", "splink_comparisons", "splink_dropped", "splink_em_blocks")
        print({k: s[k] for k in s if k.startswith("splink_") and k not in skip})
        print("records_id_changed", s["records_id_changed"], "of", step.previous_records, "customers", s["customers"])
        print("timings", step.result.timings)
        print(f"identity alone: {wall:.1f} s wall, {r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime:.1f} s CPU, "
              f"{r1.ru_maxrss / 1024 ** 2:.2f} GB max RSS")
        same, total = con.execute("""
            SELECT count(*) FILTER (WHERE f.customer_id = c.customer_id), count(*)
            FROM core.customer_identity c JOIN core.full_run_identity f USING (source, source_record_id)
        """).fetchall()[0]
        print(f"same customer id as the full run: {same:,} / {total:,} = {same / total:.5%}")
        truth = bench / "landing" / "truth" / "record_map.csv"
        print("incremental vs truth", evaluate_tables(con, "core.customer_identity", truth))
