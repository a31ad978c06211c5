"""Benchmark: the dbt RFM mart vs a straightforward pandas groupby of the same RFM.

Generates N orders for M customers (vectorised, inside DuckDB) into a temporary warehouse with
the upstream tables the mart reads (staging.stg_orders, core.customer_identity, core.customers),
runs `dbt seed` (not timed), then times
  dbt   `dbt run --select int_customer_orders mart_customer_rfm` (wall clock, and the models'
        own execution time from run_results.json, i.e. without dbt's start-up);
  pandas read the same three tables, join orders to customers, groupby, quintile scores with the
        same tie rule (ntile over value, customer_id), the R x F segment seed.
Both results are compared customer by customer. Prints a table with the timings and ratios.

    .venv/bin/python bench/bench_rfm.py                      # 1M customers, 10M orders
    .venv/bin/python bench/bench_rfm.py --customers 100000 --orders 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from clientpulse_config.dbt_vars import analytics_vars_json

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt"
DBT_BIN = Path(sys.executable).with_name("dbt")
AS_OF = date(2026, 6, 30)


def generate(db: Path, customers: int, orders: int, seed: int = 7) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute(f"select setseed({seed / 100})")
        for s in ("staging", "core"):
            con.execute(f"create schema if not exists {s}")
        con.execute(f"""
            create table core.customers as
            select 'K' || lpad(cast(i as varchar), 8, '0') as customer_id,
                   'Клиент ' || i as full_name, null::varchar as first_name, null::varchar as last_name,
                   null::varchar as phone_e164, null::varchar as email, false as has_valid_phone,
                   false as has_valid_email, null::varchar as manager,
                   timestamp '2023-01-01' as first_seen_at, null::timestamp as last_seen_at
            from range({customers}) t(i)""")
        # skewed customers (some buy a lot), dates over 3 years before the as-of date (+ a few after it)
        con.execute(f"""
            create table staging.stg_orders as
            with g as (
                select i,
                       cast(floor(pow(random(), 1.6) * {customers}) as bigint) as c,
                       cast(floor(random() * 1100) as integer) - 20 as days_ago,
                       random() as u,
                       round(500 + random() * random() * 30000) as amt
                from range({orders}) t(i)
            )
            select 'O' || cast(i as varchar) as order_id,
                   'crm-' || cast(c as varchar) as contact_id,
                   cast(date '{AS_OF}' - days_ago as date) as order_date,
                   cast(date '{AS_OF}' - days_ago as timestamp) as order_ts,
                   null::varchar as order_date_raw,
                   amt as amount, 1.0 as quantity,
                   case when u < 0.9 then 'completed' when u < 0.95 then 'returned' when u < 0.98 then 'cancelled' else 'pending' end as status,
                   case when u < 0.9 then 'completed' when u < 0.95 then 'returned' when u < 0.98 then 'cancelled' else 'pending' end as status_class,
                   'cat' || cast(c % 7 as varchar) as category,
                   null::double as discount,
                   'orders.csv' as _source_file, i as _line,
                   'K' || lpad(cast(c as varchar), 8, '0') as _customer_id
            from g""")
        con.execute("""
            create table core.customer_identity as
            select _customer_id as customer_id, 'order' as source, order_id as source_record_id,
                   'bench' as match_rule, 1.0 as match_score
            from staging.stg_orders""")
        con.execute("alter table staging.stg_orders drop column _customer_id")
        con.execute("checkpoint")
    finally:
        con.close()


def dbt(db: Path, target: Path, *args: str) -> float:
    env = {**os.environ, "CLIENTPULSE_WAREHOUSE": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [str(DBT_BIN), *args, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
           "--target-path", str(target), "--log-path", str(target / "logs"),
           "--vars", analytics_vars_json(AS_OF)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=DBT_DIR)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{res.stdout[-4000:]}\n{res.stderr[-2000:]}")
    return elapsed


def ntile5(order_frame: pd.DataFrame, value: str, ascending: bool) -> pd.Series:
    """SQL ntile(5) over (order by value, customer_id) — same direction for both keys."""
    ordered = order_frame.sort_values([value, "customer_id"], ascending=ascending, kind="mergesort")
    n = len(ordered)
    sizes = [n // 5 + (1 if k < n % 5 else 0) for k in range(5)]
    return pd.Series(np.repeat(np.arange(1, 6), sizes), index=ordered.index)


def pandas_rfm(db: Path) -> tuple[pd.DataFrame, float, float]:
    t0 = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    try:
        orders = con.execute("select order_id, order_date, amount, status_class, _source_file, _line from staging.stg_orders").df()
        ident = con.execute("select source_record_id, customer_id from core.customer_identity where source = 'order'").df()
        customers = con.execute("select customer_id from core.customers").df()
    finally:
        con.close()
    segmap = pd.read_csv(DBT_DIR / "seeds" / "rfm_segment_map.csv")
    t_load = time.perf_counter() - t0

    t1 = time.perf_counter()
    as_of = pd.Timestamp(AS_OF)
    orders = orders[orders.order_date.notna() & (orders.order_date <= as_of)]
    orders = orders.sort_values(["_source_file", "_line"]).drop_duplicates("order_id")
    o = orders.merge(ident, left_on="order_id", right_on="source_record_id", how="inner")
    comp = o[o.status_class == "completed"]
    ret = o[o.status_class == "returned"]
    g = comp.groupby("customer_id").agg(last=("order_date", "max"), frequency=("order_id", "size"), gross=("amount", "sum"))
    r = ret.assign(a=ret.amount.abs()).groupby("customer_id").a.sum().rename("returned")
    df = customers.set_index("customer_id").join(g).join(r)
    df["frequency"] = df.frequency.fillna(0).astype(int)
    df["monetary"] = df.gross.fillna(0) - df.returned.fillna(0)
    df["recency_days"] = (as_of - df["last"]).dt.days
    buyers = df[df.frequency > 0].reset_index()
    buyers["r_score"] = ntile5(buyers, "recency_days", ascending=False)
    buyers["f_score"] = ntile5(buyers, "frequency", ascending=True)
    buyers["m_score"] = ntile5(buyers, "monetary", ascending=True)
    buyers = buyers.merge(segmap, on=["r_score", "f_score"], how="left")
    buyers["rfm_code"] = buyers.r_score.astype(str) + buyers.f_score.astype(str) + buyers.m_score.astype(str)
    out = df.reset_index()[["customer_id", "recency_days", "frequency", "monetary"]].merge(
        buyers[["customer_id", "r_score", "f_score", "m_score", "rfm_code", "rfm_segment"]], on="customer_id", how="left")
    out["rfm_segment"] = out.rfm_segment.fillna("No purchases")
    t_compute = time.perf_counter() - t1
    return out, t_load, t_compute


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary warehouse")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_rfm_"))
    db = tmp / "warehouse.duckdb"
    t0 = time.perf_counter()
    generate(db, args.customers, args.orders)
    t_gen = time.perf_counter() - t0
    target = tmp / "dbt_target"
    dbt(db, target, "seed", "--select", "rfm_segment_map")

    t_dbt = dbt(db, target, "run", "--select", "int_customer_orders", "mart_customer_rfm")
    results = json.loads((target / "run_results.json").read_text())["results"]
    t_models = sum(r["execution_time"] for r in results)

    pdf, t_load, t_pd = pandas_rfm(db)

    con = duckdb.connect(str(db), read_only=True)
    sql = con.execute("select customer_id, rfm_code, rfm_segment, monetary from marts.mart_customer_rfm").df()
    con.close()
    cmp = sql.merge(pdf, on="customer_id", suffixes=("_dbt", "_pd"))
    same = ((cmp.rfm_code_dbt.fillna("-") == cmp.rfm_code_pd.fillna("-"))
            & (cmp.rfm_segment_dbt == cmp.rfm_segment_pd)
            & np.isclose(cmp.monetary_dbt, cmp.monetary_pd)).mean()

    rows = [
        ("dbt run (wall clock, incl. dbt start-up)", t_dbt),
        ("dbt models only (run_results execution_time)", t_models),
        ("pandas: load tables from DuckDB", t_load),
        ("pandas: groupby RFM (in memory)", t_pd),
        ("pandas: load + compute", t_load + t_pd),
    ]
    print(f"\nRFM benchmark: {args.customers:,} customers, {args.orders:,} orders "
          f"(generated in {t_gen:.1f} s), as of {AS_OF}, {os.cpu_count()} cores")
    print(f"{'step':<48}{'seconds':>10}{'x pandas total':>16}")
    for name, sec in rows:
        print(f"{name:<48}{sec:>10.2f}{sec / (t_load + t_pd):>16.2f}")
    print(f"\nratio dbt models / pandas compute-only: {t_models / t_pd:.2f}; "
          f"dbt wall / pandas load+compute: {t_dbt / (t_load + t_pd):.2f}")
    print(f"agreement dbt vs pandas (code, segment, monetary): {same:.4%} of {len(cmp):,} customers")
    if not args.keep:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"warehouse kept at {db}")


if __name__ == "__main__":
    main()
