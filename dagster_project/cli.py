"""`clientpulse` console script: generate a sample, run the whole graph as of a date, backfill.

    clientpulse generate --customers N --seed S --out DIR
    clientpulse run [--as-of YYYY-MM-DD]
    clientpulse backfill --from YYYY-MM-DD --to YYYY-MM-DD [--every day|week|month]
    clientpulse check-config [--config-dir DIR]
    clientpulse datasets febrl1|febrl2|febrl3|febrl4 --out DIR
    clientpulse datasets cdnow --out DIR [--until YYYY-MM-DD] [--customers N]
    clientpulse summary
    clientpulse confirm <folder>/<file>
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

DAGSTER_YAML = """\
# Written by `clientpulse run`: one DuckDB writer at a time (DuckDB allows one writer per file).
concurrency:
  # one run at a time: every as-of partition rebuilds the same warehouse tables, so a backfill's
  # runs (UI or schedule) must not interleave
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
# runs launched by the daemon (UI, schedule, sensors): a run stuck in STARTING or CANCELING is
# ended, and the pool slots of a finished run are freed (docs/operations.md)
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  free_slots_after_run_end_seconds: 300
telemetry:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME with the instance settings the pipeline needs (written once, yours after that)."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path("data") / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cmd_generate(args: argparse.Namespace) -> int:
    from sample_data import generate

    started = time.perf_counter()
    summary = generate(customers=args.customers, seed=args.seed, out_dir=args.out,
                       **({"end_date": args.end_date} if args.end_date else {}))
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


def _check_config(config_dir: Path | None) -> bool:
    from clientpulse_config import validate_all

    problems = validate_all(config_dir)
    for problem in problems:
        print(f"config error: {problem}", file=sys.stderr)
    return not problems


def _partition_problem(as_of: dt.date) -> str | None:
    from dagster_project.defs.partitions import as_of_partitions

    first = as_of_partitions.start.date()
    last = as_of_partitions.get_last_partition_key()
    if as_of < first:
        return f"as-of {as_of} is before the first partition {first} (config/pipeline.yaml as_of.first_partition)"
    if last is None or as_of.isoformat() > last:
        return f"as-of {as_of} is not a complete day yet: the newest partition is {last}"
    return None


def _execute(dates: list[dt.date], environment, label: str) -> int:
    """Materialise the daily job once per as-of partition, in order; stop at the first failure.

    Holds the warehouse lock for the whole command, recovers runs a crash left behind, and shows
    one line per step; library output goes to the run's log file (docs/operations.md)."""
    home = ensure_dagster_home()
    import dagster as dg

    from clientpulse_config import load
    from dagster_project import console, run_guard
    from dagster_project.publish import remove_leftovers

    guard = load("pipeline", config_dir=environment.config_dir)["run"]
    streams = console.console_streams()

    def say(text: str, err: bool = False) -> None:
        print(text, file=streams.err if err else streams.out, flush=True)

    current: dict = {"instance": None, "run_id": None}

    def on_signal(signum: int) -> None:  # the watcher thread, at once: the run ends CANCELED
        instance, run_id = current["instance"], current["run_id"]
        run = instance.get_run_by_id(run_id) if instance and run_id else None
        if run is not None and run.status in (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED):
            instance.report_run_canceling(run, message=f"{signal_name(signum)} received: canceling the run")

    def on_timeout(signum: int) -> None:  # a step did not stop within the grace time
        instance, run_id = current["instance"], current["run_id"]
        run = instance.get_run_by_id(run_id) if instance and run_id else None
        if run is not None and not run.is_finished:
            instance.report_run_canceled(run, message=f"{signal_name(signum)}: a step did not stop within "
                                                      f"{guard['cancel_grace_seconds']:.0f} s; process ended")
        run_guard.release_all()
        say(f"canceled by {signal_name(signum)}: a step did not stop within {guard['cancel_grace_seconds']:.0f} s, "
            f"process ended (the published file is unchanged)", err=True)

    say(f"clientpulse {label}: {len(dates)} partition(s) {dates[0]} .. {dates[-1]}, DAGSTER_HOME {home}")
    with run_guard.SignalGuard(guard["cancel_grace_seconds"], on_signal, on_timeout) as signals:
        try:
            with dg.DagsterInstance.get() as instance:
                current["instance"] = instance
                lock = run_guard.WarehouseLock(
                    environment.warehouse_path, entry_point=f"clientpulse {label}",
                    wait_seconds=guard["lock_wait_seconds"], poll_seconds=guard["lock_poll_seconds"],
                    on_wait=lambda message: say(f"waiting: {message}"),
                    on_stale=lambda message: say(f"warning: {message}"))
                try:
                    lock.acquire()
                except run_guard.WarehouseLocked as exc:
                    say(f"error: {exc}", err=True)
                    return 3
                except OSError as exc:  # the run itself will say what is wrong with the folder
                    say(f"warning: cannot create the lock file {lock.path} ({exc}); running without it")
                    lock = None
                try:
                    _recover(instance, environment, say, run_guard, remove_leftovers)
                    try:
                        run_guard.check_warehouse_free(environment.warehouse_path, environment.serving_path)
                    except run_guard.WarehouseInUse as exc:
                        say(f"error: {exc}", err=True)
                        return 3
                    for as_of in dates:
                        status = _run_partition(as_of, environment, label, instance, lock, signals, current,
                                                say, streams, home)
                        if status:
                            return status
                finally:
                    if lock is not None:
                        lock.release()
        except run_guard.RunInterrupted as exc:
            say(f"canceled by {signal_name(exc.signum)} before the run started", err=True)
            return 128 + exc.signum
    return 0


def signal_name(signum: int) -> str:
    import signal

    return signal.Signals(signum).name


def _recover(instance, environment, say, run_guard, remove_leftovers) -> None:
    """What a killed run left: runs still recorded as running, the publish step's temp files."""
    for stale in run_guard.recover_stale_runs(instance):
        say(f"warning: run {stale.run_id} was still {stale.status} but its process {stale.pid} is gone: "
            f"marked failed, its pool slots freed")
    for path in remove_leftovers(environment.serving_path):
        say(f"warning: removed {path}, left by a publish that did not finish")


def _run_partition(as_of: dt.date, environment, label: str, instance, lock, signals, current, say,
                   streams, home: Path) -> int:
    """One run of the daily job: step lines on the console, everything else in the log file."""
    import dagster as dg
    from dagster._core.utils import make_new_run_id

    from dagster_project import console, run_guard
    from dagster_project.definitions import defs
    from dagster_project.resources import resources_of

    job = defs.resolve_job_def("daily_refresh")
    # the full Dagster event log at this level goes to the run log file, not the console
    run_config = {"loggers": {"console": {"config": {"log_level": environment.log_level}}}}
    run_id = make_new_run_id()
    current["run_id"] = run_id
    if lock is not None:
        lock.update(run_id=run_id)
    log = console.log_path_for(environment.warehouse_path.parent, as_of.isoformat(), run_id, fallback=home)
    say(f"as of {as_of}: run {run_id}, log {log}")
    view = console.RunConsole(streams, total_steps=console.step_count(job))
    instance.add_event_listener(run_id, view.on_event)
    view.start()
    started = time.perf_counter()
    result = None
    try:
        with console.output_to(log):
            result = job.execute_in_process(
                instance=instance, partition_key=as_of.isoformat(), raise_on_error=False, run_config=run_config,
                resources=resources_of(environment), run_id=run_id,
                tags={"clientpulse/command": label, **run_guard.run_tags()})
    except BaseException:
        if not signals.received:
            raise
    finally:
        view.stop()
    elapsed = time.perf_counter() - started
    if signals.received and not (result is not None and result.success):
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status != dg.DagsterRunStatus.CANCELED:
            instance.report_run_canceled(run, message=f"{signal_name(signals.received)} received: run canceled")
        say(f"as of {as_of}: CANCELED by {signal_name(signals.received)} after {elapsed:.1f}s (run {run_id})", err=True)
        say(f"  log: {log}", err=True)
        return signals.exit_code
    if not result.success:
        say(f"as of {as_of}: FAILED after {elapsed:.1f}s (run {run_id})", err=True)
        for line in view.failure_lines():
            say(line, err=True)
        say(f"  log: {log}", err=True)
        return 1
    say(f"as of {as_of}: succeeded in {elapsed:.1f}s (run {run_id}), {len(view.steps)} steps, "
        f"{len(view.warnings)} warning(s); log {log}")
    # a signal after the last step: this run is complete, the command stops here
    return signals.exit_code if signals.received else 0


def cmd_run(args: argparse.Namespace) -> int:
    from clientpulse_config import env, load
    from dagster_project.as_of import default_as_of

    environment = env.from_env()
    if not _check_config(environment.config_dir):
        return 2
    explicit = env.parse_date(args.as_of, "--as-of") or environment.as_of
    as_of, source = default_as_of(explicit, environment.landing_dir, load("pipeline")["as_of"]["timezone"])
    if not environment.landing_dir.is_dir():
        print(f"error: landing folder {environment.landing_dir} does not exist (CLIENTPULSE_LANDING_DIR)", file=sys.stderr)
        return 2
    problem = _partition_problem(as_of)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print(f"clientpulse run: as of {as_of} ({source}), landing {environment.landing_dir}, "
          f"warehouse {environment.warehouse_path}")
    status = _execute([as_of], environment, "run")
    if status == 0:
        # the run is over, so nothing writes the warehouse now; it also holds raw.* (not published)
        print_summary(environment.warehouse_path)
    return status


def cmd_backfill(args: argparse.Namespace) -> int:
    """History from the shell: one run per as-of date, oldest first, as a UI backfill does."""
    from clientpulse_config import env
    from dagster_project.as_of import dates_between

    environment = env.from_env()
    if not _check_config(environment.config_dir):
        return 2
    dates = dates_between(env.parse_date(args.first, "--from"), env.parse_date(args.last, "--to"), args.every)
    problems = [p for p in (_partition_problem(dates[0]), _partition_problem(dates[-1])) if p]
    if problems:
        print(f"error: {problems[0]}", file=sys.stderr)
        return 2
    status = _execute(dates, environment, "backfill")
    if status == 0:
        print_summary(environment.warehouse_path)
    return status


def cmd_check_config(args: argparse.Namespace) -> int:
    from clientpulse_config import env
    from clientpulse_config.check import run_check

    config_dir = Path(args.config_dir).resolve() if args.config_dir else env.from_env().config_dir
    return run_check(config_dir)


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
    report = database.parent / "report" / "index.html"  # serving/daily_report, next to the warehouse
    if report.exists():
        print(f"\ndaily report: {report}")


def cmd_summary(args: argparse.Namespace) -> int:
    from clientpulse_config import env

    db = Path(args.database) if args.database else env.from_env().serving_path
    if not db.exists():
        print(f"error: {db} does not exist; run `clientpulse run` first", file=sys.stderr)
        return 2
    print_summary(db)
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    """Write confirm/<file> (this version's sha256) so the next run ingests a held file."""
    from clientpulse_config import env
    from data_quality.landing.volume import confirm

    landing = env.from_env().landing_dir
    try:
        marker = confirm(landing, args.file.replace("\\", "/").strip("/"))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"confirmed: {marker} (the next run ingests {args.file})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clientpulse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a synthetic landing folder plus truth/")
    gen.add_argument("--customers", type=int, default=5000)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--out", type=Path, default=Path("data/landing"))
    gen.add_argument("--end-date", help="last day of generated activity (default: sample_data's DEFAULT_END_DATE)")
    gen.set_defaults(func=cmd_generate)
    data = sub.add_parser("datasets", help="write a public benchmark dataset (FEBRL, CDNOW) as a landing folder")
    data.add_argument("name", choices=["febrl1", "febrl2", "febrl3", "febrl4", "cdnow"])
    data.add_argument("--out", type=Path, required=True)
    data.add_argument("--until", help="cdnow: last day of landed orders; later ones go to truth/holdout.csv")
    data.add_argument("--customers", type=int, help="cdnow: a seeded random subset of this many customers")
    data.add_argument("--seed", type=int, default=0)
    data.set_defaults(func=cmd_datasets)
    run = sub.add_parser("run", help="materialise the whole asset graph as of one date (a daily partition)")
    run.add_argument("--as-of", help="YYYY-MM-DD; default CLIENTPULSE_AS_OF, else the landing folder's "
                                     "last day (truth/meta.json), else yesterday")
    run.set_defaults(func=cmd_run)
    back = sub.add_parser("backfill", help="run the graph for every as-of date of a range, oldest first")
    back.add_argument("--from", dest="first", required=True, help="first as-of date, YYYY-MM-DD")
    back.add_argument("--to", dest="last", required=True, help="last as-of date, YYYY-MM-DD (always included)")
    back.add_argument("--every", choices=["day", "week", "month"], default="day")
    back.set_defaults(func=cmd_backfill)
    check = sub.add_parser("check-config", help="validate every YAML config file (the shipped ones and yours)")
    check.add_argument("--config-dir", help="your config folder (default CLIENTPULSE_CONFIG_DIR)")
    check.set_defaults(func=cmd_check_config)
    summ = sub.add_parser("summary", help="print the summary of the published database")
    summ.add_argument("--database")
    summ.set_defaults(func=cmd_summary)
    conf = sub.add_parser("confirm", help="let the next run ingest a landing file the volume guard holds")
    conf.add_argument("file", help="its path under the landing folder, e.g. crm/contacts_2024.csv")
    conf.set_defaults(func=cmd_confirm)
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
