"""Outcome KPIs under `clientpulse backfill`: marts.mart_verdict_history keeps one snapshot per
as-of date, marts.mart_kpi_daily one row per date whose numbers reconcile with those snapshots
(and with the orders and manager time of the warehouse), history KPIs are NULL with their reason
on the first date, and re-running a date replaces its snapshot and row."""

from __future__ import annotations

import duckdb
import pytest

from clientpulse_config import load
from dagster_project.cli import main
from tests.support.pipeline import pipeline_env

DATES = ["2026-09-15", "2026-10-15", "2026-11-15"]


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    from sample_data import generate

    root = tmp_path_factory.mktemp("outcomes")
    landing = root / "landing"
    generate(customers=200, seed=11, out_dir=landing, end_date=DATES[-1])
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    try:
        with pipeline_env(root, landing, None):
            status = main(["backfill", "--from", DATES[0], "--to", DATES[-1], "--every", "month"])
            assert status == 0, "backfill failed"
            with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
                before = _kpi_rows(con)
                snapshot_rows = _snapshot_counts(con)
                facts = _facts_of_last_date(con)  # the intermediate tables are the last run's
            # re-running a date in the middle replaces its snapshot and its KPI row, later dates stay
            rerun = main(["run", "--as-of", DATES[1]])
            assert rerun == 0, "re-run failed"
    finally:
        mp.undo()
    return root, before, snapshot_rows, facts


def _facts_of_last_date(con) -> dict:
    """Counts from the warehouse's own orders, interactions and customers as of the last date,
    independent of the snapshots."""
    window = load("analytics")["kpi_cost_window_days"]
    previous, today = DATES[-2], DATES[-1]
    chain, bought = _q1(con, """
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM intermediate.int_customer_orders o
            WHERE o.customer_id = p.customer_id AND o.status_class = 'completed'
              AND o.order_date > ? AND o.order_date <= ?))
        FROM marts.mart_verdict_history p
        WHERE p.as_of = ? AND p.lifecycle_state IN ('sleeping', 'near_death')""", [previous, today, previous])
    hours = _q1(con, f"""
        SELECT coalesce(sum(i.manager_minutes), 0) / 60.0
        FROM intermediate.int_customer_interactions i
        JOIN marts.mart_verdict_history h ON h.customer_id = i.customer_id AND h.as_of = ? AND h.is_toxic
        WHERE i.channel IN ('ticket', 'call') AND i.occurred_date > DATE '{today}' - {window}""", [today])[0]
    customers = _q1(con, "SELECT count(*) FROM core.customers")[0]
    return {"chain": chain, "bought": bought, "toxic_hours": hours, "customers": customers}


def _kpi_rows(con) -> dict[str, dict]:
    cur = con.execute("SELECT * FROM marts.mart_kpi_daily ORDER BY as_of")
    names = [d[0] for d in cur.description]
    return {str(row[0]): dict(zip(names, row)) for row in cur.fetchall()}


def _snapshot_counts(con) -> dict[str, int]:
    return {str(d): n for d, n in con.execute(
        "SELECT as_of, count(*) FROM marts.mart_verdict_history GROUP BY 1 ORDER BY 1").fetchall()}


def _q1(con, sql: str, params=()):
    return con.execute(sql, list(params)).fetchone()


@pytest.fixture(scope="module")
def con(backfilled):
    root = backfilled[0]
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as c:
        yield c


def test_one_snapshot_and_one_kpi_row_per_date_and_a_rerun_replaces_them(backfilled, con):
    _, before, snapshot_rows, facts = backfilled
    assert list(snapshot_rows) == DATES
    assert _snapshot_counts(con) == snapshot_rows  # the re-run did not add a second snapshot
    dupes = _q1(con, "SELECT count(*) - count(DISTINCT (as_of, customer_id)) FROM marts.mart_verdict_history")[0]
    assert dupes == 0
    after = _kpi_rows(con)
    assert list(after) == DATES
    assert after == before  # same inputs, same KPIs: the re-run of 10-15 replaced its row, 11-15 kept
    assert after[DATES[-1]]["customers"] == facts["customers"]


def test_first_date_has_no_history_kpis_and_says_why(con):
    first = _kpi_rows(con)[DATES[0]]
    assert first["previous_as_of"] is None and first["period_note"].startswith("first snapshot")
    for column in ("alive_at_previous", "churned_in_period", "churn_rate", "churned_revenue",
                   "early_warning_recall", "reactivation_rate", "churn_rate_short", "churn_rate_long"):
        assert first[column] is None, column
    assert first["early_warning_note"].startswith("first snapshot")
    assert first["churn_short_note"] == "no snapshot 30 or more days before this date"
    # a stock KPI needs no history
    assert first["toxic_cost_rub"] is not None and first["buyers"] > 0


def test_churn_counts_reconcile_with_the_verdict_history(con):
    rows = _kpi_rows(con)
    total_churned = 0
    for previous, today in zip(DATES, DATES[1:]):
        row = rows[today]
        assert str(row["previous_as_of"]) == previous and row["period_note"] is None
        alive, churned, revenue, revived = _q1(con, """
            SELECT count(*), count(*) FILTER (WHERE c.is_churned),
                   coalesce(sum(c.monetary) FILTER (WHERE c.is_churned), 0),
                   (SELECT count(*) FROM marts.mart_verdict_history p2
                      JOIN marts.mart_verdict_history c2 ON c2.customer_id = p2.customer_id AND c2.as_of = ?
                     WHERE p2.as_of = ? AND p2.is_churned AND c2.is_buyer AND NOT c2.is_churned)
            FROM marts.mart_verdict_history p
            LEFT JOIN marts.mart_verdict_history c ON c.customer_id = p.customer_id AND c.as_of = ?
            WHERE p.as_of = ? AND p.is_buyer AND NOT p.is_churned""", [today, previous, today, previous])
        assert row["alive_at_previous"] == alive > 0
        assert row["churned_in_period"] == churned
        assert row["churn_rate"] == pytest.approx(round(churned / alive, 4))
        assert float(row["churned_revenue"]) == pytest.approx(float(revenue))
        assert row["revived_in_period"] == revived
        # the stock moves by the flows: churned now = churned then - revived - gone + new churners
        stock_then = rows[previous]["churned_customers"]
        gone, new = _q1(con, """
            SELECT count(*) FILTER (WHERE p.is_churned AND c.customer_id IS NULL),
                   count(*) FILTER (WHERE c.is_churned AND (p.customer_id IS NULL OR NOT p.is_buyer))
            FROM (SELECT * FROM marts.mart_verdict_history WHERE as_of = ?) p
            FULL JOIN (SELECT * FROM marts.mart_verdict_history WHERE as_of = ?) c USING (customer_id)""",
            [previous, today])
        assert row["churned_customers"] == stock_then + churned - revived - gone + new
        total_churned += churned
    # monthly snapshots: the short window (30 days) uses the previous month, the long one (90) has no base
    assert str(rows[DATES[1]]["short_base_as_of"]) == DATES[0]
    assert str(rows[DATES[2]]["short_base_as_of"]) == DATES[1]
    assert rows[DATES[2]]["churned_since_short_base"] == rows[DATES[2]]["churned_in_period"]
    assert rows[DATES[2]]["churn_rate_long"] is None
    assert rows[DATES[2]]["churn_long_note"] == "no snapshot 90 or more days before this date"
    assert total_churned > 0, "two months of a 200-customer sample move nobody into churned"


def test_early_warning_recall_uses_the_snapshot_three_to_four_weeks_earlier(con):
    rows = _kpi_rows(con)
    for previous, today in zip(DATES, DATES[1:]):
        row = rows[today]
        assert str(row["warning_as_of"]) == previous  # 30 and 31 days before: within 21..31
        in_snapshot, flagged = _q1(con, """
            SELECT count(*), count(*) FILTER (WHERE p.is_flagged_at_risk)
            FROM marts.mart_verdict_history p
            JOIN marts.mart_verdict_history c ON c.customer_id = p.customer_id AND c.as_of = ?
            WHERE p.as_of = ? AND p.is_buyer AND NOT p.is_churned AND c.is_churned""", [today, previous])
        assert (row["churners_in_warning_snapshot"], row["churners_flagged_early"]) == (in_snapshot, flagged)
        if in_snapshot:
            assert 0 <= row["early_warning_recall"] <= 1
            assert row["early_warning_recall"] == pytest.approx(round(flagged / in_snapshot, 4))
            assert row["early_warning_note"] is None
        else:
            assert row["early_warning_recall"] is None and row["early_warning_note"].startswith("no churner")


def test_cost_of_toxic_customers_is_their_hours_times_the_configured_rate(backfilled, con):
    rate = float(load("analytics")["kpi_manager_hour_cost_rub"])
    rows = _kpi_rows(con)
    for day, row in rows.items():
        hours, toxic = _q1(con, """
            SELECT coalesce(sum(manager_hours_window) FILTER (WHERE is_toxic), 0), count(*) FILTER (WHERE is_toxic)
            FROM marts.mart_verdict_history WHERE as_of = ?""", [day])
        assert row["toxic_customers"] == toxic
        assert float(row["toxic_manager_hours"]) == pytest.approx(round(hours, 2))
        assert row["manager_hour_cost_rub"] == rate
        assert float(row["toxic_cost_rub"]) == pytest.approx(round(round(hours, 2) * rate, 2))
    last = rows[DATES[-1]]
    assert last["toxic_customers"] > 0 and last["toxic_cost_rub"] > 0
    # the hours of the last date are the tickets and calls of the warehouse in the window
    assert float(last["toxic_manager_hours"]) == pytest.approx(round(backfilled[3]["toxic_hours"], 2))


def test_reactivation_counts_the_sleeping_and_near_death_who_bought_since(backfilled, con):
    row = _kpi_rows(con)[DATES[-1]]
    # independent of the snapshots' last_purchase_date: completed orders in the warehouse after 10-15
    chain, bought = backfilled[3]["chain"], backfilled[3]["bought"]
    assert row["chain_customers_at_previous"] == chain > 0
    assert row["chain_reactivated"] == bought
    assert row["sleeping_at_previous"] + row["near_death_at_previous"] == chain
    assert row["sleeping_reactivated"] + row["near_death_reactivated"] == bought
    assert row["reactivation_rate"] == pytest.approx(round(bought / chain, 4))
    assert 0 <= row["reactivation_rate"] <= 1
