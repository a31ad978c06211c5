"""`clientpulse backfill`: one run per as-of partition, oldest first, builds the history marts."""

from __future__ import annotations

import duckdb

from dagster_project.cli import main
from tests.support.pipeline import pipeline_env

DATES = ["2026-09-15", "2026-11-15"]


def test_monthly_backfill_fills_history_and_shows_movements(tmp_path, monkeypatch, capsys):
    from sample_data import generate

    landing = tmp_path / "landing"
    generate(customers=150, seed=5, out_dir=landing, end_date=DATES[-1])
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    with pipeline_env(tmp_path, landing, None):
        status = main(["backfill", "--from", DATES[0], "--to", DATES[-1], "--every", "month"])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert out.out.count(": succeeded in") == 3  # 09-15, 10-15 and 11-15
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        snapshots = [str(r[0]) for r in con.execute(
            "SELECT DISTINCT as_of FROM marts.mart_customer_history ORDER BY 1").fetchall()]
        assert snapshots[0] == DATES[0] and snapshots[-1] == DATES[-1] and len(snapshots) == 3
        health_days = con.execute("SELECT count(DISTINCT as_of) FROM ml.health_history").fetchone()[0]
        coverage_days = con.execute("SELECT count(DISTINCT as_of) FROM quality.quality_coverage_history").fetchone()[0]
        assert health_days == coverage_days == 3
        previous, movements = con.execute(
            "SELECT any_value(previous_as_of)::varchar, count(*) FILTER (WHERE movement = 'moved') "
            "FROM marts.mart_segment_migration").fetchone()
        assert previous == "2026-10-15" and movements > 0
        # ids are stable across the partitions: a customer of the first month keeps its id
        kept = con.execute(
            "SELECT count(*) FROM (SELECT customer_id FROM marts.mart_customer_history WHERE as_of = ?) f "
            "JOIN (SELECT customer_id FROM marts.mart_customer_history WHERE as_of = ?) l USING (customer_id)",
            [DATES[0], DATES[-1]]).fetchone()[0]
        first = con.execute("SELECT count(*) FROM marts.mart_customer_history WHERE as_of = ?", [DATES[0]]).fetchone()[0]
        assert kept >= 0.99 * first
