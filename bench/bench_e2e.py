"""The whole pipeline at scale: generate N customers, `clientpulse run`, per-step cost.

    .venv/bin/python bench/bench_e2e.py                              # N = BENCH_E2E_CUSTOMERS or 1,000,000
    .venv/bin/python bench/bench_e2e.py --customers 100000
    .venv/bin/python bench/bench_e2e.py --customers 100000 --incremental

`clientpulse generate` and `clientpulse run` run as subprocesses; a sampler thread reads /proc every
half second and sums RSS and CPU over the child's whole process tree (dbt runs as a grandchild).
After the run, the Dagster instance's event log gives each step's start and end; a step's wall time
is that span, its CPU time the tree's CPU spent inside it, its peak RSS the highest tree RSS sampled
inside it, its rows the `dg/row_count` of what it materialised (else the table's row count).
Identity: pairwise precision / recall / F1 of core.customer_identity against truth/record_map.csv,
computed in DuckDB.

`--incremental`: the landing folder is split at its last day (sample_data.increment: the rows of
the plain CSV files dated on that day move into new files `<name>_<day>.csv`); a base run as of the
day before is followed by a run as of the last day with the new files landed; the second run is the
"daily" figure, with the share of records whose customer id stayed the same.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sample_data.increment import land, split_last_day  # noqa: E402

BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
DEFAULT_CUSTOMERS = 1_000_000
TARGETS = {1_000_000: (600.0, 8.0), 100_000: (90.0, None)}  # wall s, peak GB


# ------------------------------------------------------------------ process-tree sampling
def _tree(root: int) -> list[int]:
    """The pid and every live descendant (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _usage(pids: list[int]) -> tuple[float, int]:
    """(CPU seconds incl. reaped children, RSS bytes) summed over the pids."""
    cpu, rss = 0.0, 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().decode(errors="replace").rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/statm", "rb") as fh:
                rss += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError):
            continue
        # utime stime cutime cstime are fields 14-17 of stat (11-14 after the comm field)
        cpu += sum(int(x) for x in fields[11:15]) / TICK
    return cpu, rss


class Sampler(threading.Thread):
    """Samples (unix time, tree CPU s, tree RSS bytes) of a running process every `every` s."""

    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples = pid, every, []
        self.done = threading.Event()

    def run(self) -> None:
        cpu_max = 0.0
        while not self.done.is_set():
            cpu, rss = _usage(_tree(self.pid))
            cpu_max = max(cpu_max, cpu)  # a child reaped between two reads must not look like negative CPU
            self.samples.append((time.time(), cpu_max, rss))
            self.done.wait(self.every)


def run_measured(cmd: list[str], env: dict[str, str], log: Path) -> dict[str, object]:
    """Run a command; its wall, tree CPU, peak tree RSS and the samples."""
    started_at, started = time.time(), time.perf_counter()
    before = os.times()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = Sampler(proc.pid)
        sampler.start()
        code = proc.wait()
        sampler.done.set()
        sampler.join()
    after = os.times()
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {code}); log {log}:\n"
                         f"{log.read_text(encoding='utf-8', errors='replace')[-3000:]}")
    samples = sampler.samples
    return {"wall_s": time.perf_counter() - started, "started_at": started_at,
            "cpu_s": (after.children_user + after.children_system) - (before.children_user + before.children_system),
            "peak_rss": max((s[2] for s in samples), default=0), "samples": samples}


# ------------------------------------------------------------------ per-step figures
def step_table(dagster_home: Path, warehouse: Path, samples: list[tuple[float, float, int]]) -> list[dict]:
    """One row per step of the last run: wall from the event log, CPU / peak RSS from the samples."""
    import dagster as dg
    import duckdb

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        steps: dict[str, dict] = {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None or not entry.step_key:
                continue
            s = steps.setdefault(entry.step_key, {"step": entry.step_key, "assets": [], "rows": 0})
            kind = event.event_type_value
            if kind == "STEP_START":
                s["start"] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                s["end"] = entry.timestamp
            elif kind == "ASSET_MATERIALIZATION":
                mat = event.event_specific_data.materialization
                count = mat.metadata.get("dg/row_count") or mat.metadata.get("dagster/row_count")
                s["assets"].append((mat.asset_key.path, None if count is None else int(count.value)))
    con = duckdb.connect(str(warehouse), read_only=True)
    tables = {(a, b) for a, b in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
    tables |= {(a, b) for a, b in con.execute("SELECT schema_name, view_name FROM duckdb_views()").fetchall()}
    rows = []
    for s in sorted((s for s in steps.values() if "start" in s and "end" in s), key=lambda s: s["start"]):
        for path, count in s["assets"]:
            if count is None and len(path) >= 2 and (path[-2], path[-1]) in tables:
                count = con.execute(f'SELECT count(*) FROM "{path[-2]}"."{path[-1]}"').fetchall()[0][0]
            s["rows"] += count or 0
        inside = [x for x in samples if s["start"] <= x[0] <= s["end"]]
        before = [x for x in samples if x[0] <= s["start"]]
        after = [x for x in samples if x[0] >= s["end"]]
        cpu0 = before[-1][1] if before else 0.0
        cpu1 = after[0][1] if after else (samples[-1][1] if samples else 0.0)
        rows.append({"step": s["step"], "wall_s": s["end"] - s["start"], "cpu_s": max(0.0, cpu1 - cpu0),
                     "peak_rss": max((x[2] for x in inside), default=before[-1][2] if before else 0),
                     "assets": len(s["assets"]), "rows": s["rows"]})
    con.close()
    return rows


def identity_f1(warehouse: Path, landing: Path) -> dict[str, float]:
    import duckdb

    from ml.identity.evaluate import evaluate_tables

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return evaluate_tables(con, "core.customer_identity", landing / "truth" / "record_map.csv")
    finally:
        con.close()


# ------------------------------------------------------------------ a day of new data
def id_stability(before: Path, after: Path) -> dict[str, float]:
    import duckdb

    con = duckdb.connect(str(after), read_only=True)
    try:
        con.execute(f"ATTACH '{before}' AS prev (READ_ONLY)")
        same, total = con.execute("""
            SELECT count(*) FILTER (WHERE p.customer_id = c.customer_id), count(*)
            FROM prev.core.customer_identity p JOIN core.customer_identity c USING (source, source_record_id)
        """).fetchall()[0]
        new = con.execute("""SELECT count(*) FROM core.customer_identity c WHERE NOT EXISTS (
            SELECT 1 FROM prev.core.customer_identity p
            WHERE p.source = c.source AND p.source_record_id = c.source_record_id)""").fetchall()[0][0]
    finally:
        con.close()
    return {"records_before": total, "records_new": new, "new_share": new / max(total, 1),
            "ids_unchanged_share": same / max(total, 1)}


# ------------------------------------------------------------------ report
def _gb(b: float) -> str:
    return f"{b / 1024 ** 3:.2f}"


def table(steps: list[dict], total: dict) -> str:
    lines = ["| step | wall s | CPU s | peak RSS GB | assets | rows |", "|---|---:|---:|---:|---:|---:|"]
    for s in steps:
        lines.append(f"| {s['step']} | {s['wall_s']:.1f} | {s['cpu_s']:.1f} | {_gb(s['peak_rss'])} | "
                     f"{s['assets']} | {s['rows']:,} |")
    lines.append(f"| **whole run** (`clientpulse run`) | **{total['wall_s']:.1f}** | **{total['cpu_s']:.1f}** | "
                 f"**{_gb(total['peak_rss'])}** | | |")
    return "\n".join(lines)


def pipeline(landing: Path, work: Path, as_of: str, name: str) -> tuple[dict, list[dict]]:
    env = {**os.environ, "CLIENTPULSE_LANDING_DIR": str(landing), "CLIENTPULSE_WAREHOUSE": str(work / "warehouse.duckdb"),
           "CLIENTPULSE_SERVING": str(work / "serving.duckdb"), "DAGSTER_HOME": str(work / "dagster_home")}
    env.pop("CLIENTPULSE_AS_OF", None)
    cost = run_measured([str(BIN / "clientpulse"), "run", "--as-of", as_of], env, work / f"{name}.log")
    return cost, step_table(work / "dagster_home", work / "warehouse.duckdb", cost["samples"])


def _same_sample(landing: Path, customers: int, seed: int) -> bool:
    meta = landing / "truth" / "meta.json"
    if not meta.is_file():
        return False
    m = json.loads(meta.read_text())
    return m.get("customers") == customers and m.get("seed") == seed


def _data_rows(csv_file: Path) -> int:
    with open(csv_file, newline="", encoding="utf-8") as f:
        return max(0, sum(1 for _ in csv.reader(f)) - 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int,
                        default=int(os.environ.get("BENCH_E2E_CUSTOMERS") or DEFAULT_CUSTOMERS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--incremental", action="store_true", help="base run + one day of new data")
    parser.add_argument("--work", type=Path, default=None, help="keep everything here (default: a temp dir)")
    parser.add_argument("--reuse-landing", action="store_true",
                        help="keep a landing folder of the same size and seed already in --work (no new generate); with "
                             "--incremental, one whose last day is already kept aside in <work>/increment")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"bench_e2e: {args.customers:,} customers, seed {args.seed}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores", flush=True)
    tmp = None if args.work else tempfile.mkdtemp(prefix="bench_e2e_")
    base = args.work or Path(tmp)
    try:
        base.mkdir(parents=True, exist_ok=True)
        landing, work = base / "landing", base / "run"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        aside = base / "increment"
        split_before = args.incremental and any(aside.rglob("*.csv"))
        if args.reuse_landing and _same_sample(landing, args.customers, args.seed) and (
                split_before or not args.incremental):
            print(f"generate: reusing {landing}" + (f" (its last day already kept aside in {aside})"
                                                     if split_before else ""), flush=True)
        else:
            split_before = False
            shutil.rmtree(landing, ignore_errors=True)
            shutil.rmtree(aside, ignore_errors=True)
            gen = run_measured([str(BIN / "clientpulse"), "generate", "--customers", str(args.customers),
                                "--seed", str(args.seed), "--out", str(landing)], dict(os.environ), work / "generate.log")
            print(f"generate: {gen['wall_s']:.1f} s wall, {gen['cpu_s']:.1f} s CPU, {_gb(gen['peak_rss'])} GB peak",
                  flush=True)
        end_date = json.loads((landing / "truth" / "meta.json").read_text())["end_date"]
        if args.incremental:
            if split_before:
                day = dt.date.fromisoformat(end_date)
                moved = {str(f.relative_to(aside)): _data_rows(f) for f in sorted(aside.rglob("*.csv"))}
            else:
                day, moved = split_last_day(landing, aside)
            print(f"increment: rows of {day} kept aside: {moved}", flush=True)
            as_of = (day - dt.timedelta(days=1)).isoformat()
        else:
            as_of = end_date
        cost, steps = pipeline(landing, work, as_of, "run")
        print(f"\nfull run as of {as_of}: {cost['wall_s']:.1f} s wall, {cost['cpu_s']:.1f} s CPU, "
              f"{_gb(cost['peak_rss'])} GB peak RSS (process tree)\n")
        print(table(steps, cost), flush=True)
        f1 = identity_f1(work / "warehouse.duckdb", landing)
        print(f"\nidentity vs truth: precision {f1['pairwise_precision']:.4f} recall {f1['pairwise_recall']:.4f} "
              f"pairwise F1 {f1['pairwise_f1']:.4f} ({f1['records_evaluated']:,} records)")
        target = TARGETS.get(args.customers)
        if target:
            wall, peak = target
            ok = cost["wall_s"] <= wall and (peak is None or cost["peak_rss"] / 1024 ** 3 <= peak)
            print(f"target at {args.customers:,}: <= {wall:.0f} s" + (f", <= {peak:.0f} GB" if peak else "")
                  + f": {'met' if ok else 'MISSED'}")
        if args.incremental:
            shutil.copy(work / "warehouse.duckdb", base / "warehouse_base.duckdb")
            land(aside, landing)
            cost2, steps2 = pipeline(landing, work, end_date, "incremental")
            stab = id_stability(base / "warehouse_base.duckdb", work / "warehouse.duckdb")
            print(f"\nincremental run as of {end_date} (+{sum(moved.values()):,} landed rows, "
                  f"{stab['records_new']:,} new identity records = {100 * stab['new_share']:.2f} %): "
                  f"{cost2['wall_s']:.1f} s wall, {cost2['cpu_s']:.1f} s CPU, {_gb(cost2['peak_rss'])} GB peak\n")
            print(table(steps2, cost2))
            print(f"\nids unchanged: {100 * stab['ids_unchanged_share']:.3f} % of {stab['records_before']:,} records")
        print(f"\nload at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
