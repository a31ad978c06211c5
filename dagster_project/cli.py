"""`clientpulse` console script: generate a synthetic landing folder, run the whole graph once.

    clientpulse generate --customers N --seed S --out DIR
    clientpulse run [--as-of YYYY-MM-DD]
    clientpulse datasets febrl1|febrl2|febrl3|febrl4 --out DIR
    clientpulse datasets cdnow --out DIR [--until YYYY-MM-DD] [--customers N]
    clientpulse summary
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

DAGSTER_YAML = """\
# Written by `clientpulse run`: one DuckDB writer at a time (see NOTES: DuckDB concurrency).
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def _ensure_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or Path("data") / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cmd_generate(args: argparse.Namespace) -> int:
    from sample_data import generate

    started = time.perf_counter()
    summary = generate(customers=args.customers, seed=args.seed, out_dir=args.out, end_date=args.end_date)
    print(f"generated {args.customers} customers into {args.out} in {time.perf_counter() - started:.1f}s")
    for name, rows in sorted(summary.items()):
        print(f"  {name:<40} {rows}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    """Public benchmark data as a landing folder plus truth/ (docs/public_datasets.md)."""
    from public_data import DatasetMissing, write_cdnow, write_febrl

    try:
        if args.name == "cdnow":
            until = dt.date.fromisoformat(args.until) if args.until else None
            counts = write_cdnow(args.out, until=until, customers=args.customers, seed=args.seed)
        else:
            counts = write_febrl(args.name, args.out)
    except DatasetMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.name} into {args.out}")
    for name, rows in sorted(counts.items()):
        print(f"  {name:<40} {rows}")
    return 0


def _sample_end_date(landing_dir: Path) -> dt.date | None:
    """A generated sample records its last day in truth/meta.json; running "as of today" on an
    old sample would call everyone dead, so a sample defaults to its own end date."""
    meta = landing_dir / "truth" / "meta.json"
    if not meta.is_file():
        return None
    import json

    end = json.loads(meta.read_text(encoding="utf-8")).get("end_date")
    if end:
        print(f"as-of date taken from the generated sample: {end} (set CLIENTPULSE_AS_OF to override)")
    return dt.date.fromisoformat(end) if end else None


def cmd_run(args: argparse.Namespace) -> int:
    from dagster_project.settings import AS_OF_TAG, load_settings, parse_as_of

    if args.as_of:
        os.environ["CLIENTPULSE_AS_OF"] = args.as_of
    settings = load_settings()
    as_of = settings.as_of or _sample_end_date(settings.landing_dir) or dt.date.today()
    if not settings.landing_dir.is_dir():
        print(f"error: landing folder {settings.landing_dir} does not exist (CLIENTPULSE_LANDING_DIR)", file=sys.stderr)
        return 2
    home = _ensure_dagster_home()
    parse_as_of(as_of.isoformat())

    import dagster as dg

    from dagster_project.definitions import defs

    print(f"clientpulse run: as of {as_of}, landing {settings.landing_dir}, warehouse {settings.warehouse_path}, DAGSTER_HOME {home}")
    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        job = defs.resolve_job_def("daily_refresh")
        # step-level INFO on the console; the full DEBUG event log stays in the Dagster instance
        run_config = {"loggers": {"console": {"config": {"log_level": os.environ.get("CLIENTPULSE_LOG_LEVEL", "INFO")}}}}
        result = job.execute_in_process(
            instance=instance, tags={AS_OF_TAG: as_of.isoformat()}, raise_on_error=False, run_config=run_config
        )
    elapsed = time.perf_counter() - started
    if not result.success:
        print(f"clientpulse run FAILED after {elapsed:.1f}s (run {result.run_id})", file=sys.stderr)
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                message = error.message.strip() if error else "unknown error"
                print(f"  step {event.step_key}: {message}", file=sys.stderr)
        return 1
    print(f"clientpulse run succeeded in {elapsed:.1f}s (run {result.run_id})")
    # the run is over, so nothing writes the warehouse now; it also holds raw.* (not published)
    print_summary(settings.warehouse_path)
    return 0


def print_summary(database: Path) -> None:
    """Rows per layer, customers, segments: what a person checks first after a run."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            """SELECT schema_name, count(*) AS tables, sum(estimated_size) AS est_rows
               FROM duckdb_tables() GROUP BY 1 ORDER BY 1"""
        ).fetchall()
        print("\nrows per layer (schema: tables, rows):")
        for schema, tables, _ in rows:
            names = [r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY 1", [schema]).fetchall()]
            total = sum(con.execute(f'SELECT count(*) FROM "{schema}"."{n}"').fetchone()[0] for n in names)
            print(f"  {schema:<12} {tables:>3} tables {total:>12,} rows")

        def scalar(sql: str):
            try:
                return con.execute(sql).fetchone()[0]
            except duckdb.Error:
                return None

        print(f"\ncustomers: {scalar('SELECT count(*) FROM core.customers')}")
        rejected = scalar('SELECT count(*) FROM raw.rejected_rows')
        if rejected is not None:  # raw.* lives in the warehouse only
            print(f"rejected rows: {rejected}")
        print(f"alerts today: {scalar('SELECT count(*) FROM ml.alerts')}")
        alarm = scalar("SELECT printf('%.1f%% of customers below 2 on C and R (alarm: %s)', 100 * share_low_c_and_r, is_alarm) FROM marts.mart_rfcm_alarm")
        if alarm:
            print(f"RFCM alarm: {alarm}")
        for title, column in (("RFM segments", "rfm_segment"), ("lifecycle", "lifecycle_state"), ("action levels", "action_level")):
            try:
                seg = con.execute(
                    f"SELECT coalesce(cast({column} AS VARCHAR), '(none)'), count(*) FROM marts.customer_360 GROUP BY 1 ORDER BY 2 DESC"
                ).fetchall()
            except duckdb.Error:
                continue
            print(f"\n{title}:")
            for name, n in seg:
                print(f"  {name:<28} {n:>8,}")
    finally:
        con.close()


def cmd_summary(args: argparse.Namespace) -> int:
    from dagster_project.settings import load_settings

    settings = load_settings()
    db = Path(args.database) if args.database else settings.serving_path
    if not db.exists():
        print(f"error: {db} does not exist; run `clientpulse run` first", file=sys.stderr)
        return 2
    print_summary(db)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clientpulse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a synthetic landing folder plus truth/")
    gen.add_argument("--customers", type=int, default=5000)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--out", type=Path, default=Path("data/landing"))
    gen.add_argument("--end-date", default="2026-11-15", help="last day of generated activity (default 2026-11-15)")
    gen.set_defaults(func=cmd_generate)
    data = sub.add_parser("datasets", help="write a public benchmark dataset (FEBRL, CDNOW) as a landing folder")
    data.add_argument("name", choices=["febrl1", "febrl2", "febrl3", "febrl4", "cdnow"])
    data.add_argument("--out", type=Path, required=True)
    data.add_argument("--until", help="cdnow: last day of landed orders; later ones go to truth/holdout.csv")
    data.add_argument("--customers", type=int, help="cdnow: a seeded random subset of this many customers")
    data.add_argument("--seed", type=int, default=0)
    data.set_defaults(func=cmd_datasets)
    run = sub.add_parser("run", help="materialise the whole asset graph once")
    run.add_argument("--as-of", help="YYYY-MM-DD; overrides CLIENTPULSE_AS_OF (default: today)")
    run.set_defaults(func=cmd_run)
    summ = sub.add_parser("summary", help="print the summary of the published database")
    summ.add_argument("--database")
    summ.set_defaults(func=cmd_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI's promise: a readable message, non-zero exit
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
