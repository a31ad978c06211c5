"""The lifecycle's `dead` verdict against the generator's truth (docs/methods.md, "Purchase cycles and
lifecycle states").

A small generated sample (700 customers, seed 11, data to 2026-11-15) run as of 2026-09-15: the
truth knows who had churned by then. Dead must be right (precision >= 0.95, measured by
ml.decision_truth), and the guards must hold on real output: nobody who bought within the last
dead_min_days, within their own cycle x (1 + tolerance) or within dead_own_cycles own median gaps is
dead, and a frequent buyer is dead only beyond the absolute horizon. Near-death customers carry
how many cycles they missed.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from clientpulse_config import load
from ml.decision_truth import decision_metrics
from tests.support.pipeline import failure_messages, run_pipeline

AS_OF = "2026-09-15"
CFG = load("analytics")


@pytest.fixture(scope="module")
def lifecycle_run(tmp_path_factory):
    from sample_data import generate

    root = tmp_path_factory.mktemp("lifecycle_truth")
    landing = root / "landing"
    generate(customers=700, seed=11, out_dir=landing, end_date="2026-11-15")
    run = run_pipeline(root, landing, AS_OF)
    # the lifecycle needs identity and the dbt marts only: a failure of a later step (ML, serving)
    # is other tests' business, not a reason to leave the lifecycle unchecked
    done = {event.step_key for event in run.result.get_step_success_events()}
    assert {"identity_resolution", "dbt_marts"} <= done, failure_messages(run.result)
    return run


@pytest.fixture(scope="module")
def lifecycle(lifecycle_run):
    with duckdb.connect(str(lifecycle_run.warehouse), read_only=True) as con:
        return con.execute(
            """
            SELECT l.*, coalesce(y.purchases_last_year, 0) AS purchases_last_year
            FROM marts.mart_customer_lifecycle l
            LEFT JOIN (SELECT customer_id, count(*) AS purchases_last_year
                       FROM intermediate.int_customer_purchase_dates
                       WHERE purchase_date > DATE '2026-09-15' - 365 GROUP BY 1) y USING (customer_id)
            """).df()


def test_dead_is_right_against_truth(lifecycle_run, lifecycle):
    with duckdb.connect(str(lifecycle_run.warehouse), read_only=True) as con:
        metrics = decision_metrics(con, lifecycle_run.landing, dt.date.fromisoformat(AS_OF))
    dead = lifecycle[lifecycle.lifecycle_state == "dead"]
    assert metrics["dead_customers"] == len(dead) >= 30, metrics  # the figure is not measured on a handful
    assert metrics["dead_precision"] >= 0.95, metrics


def test_no_recent_or_regular_buyer_is_dead(lifecycle):
    dead = lifecycle[lifecycle.lifecycle_state == "dead"]
    # bought within the last year (dead_min_days): never dead, however short the cycle
    assert (dead.purchases_last_year == 0).all(), dead[dead.purchases_last_year > 0][["customer_id", "purchases_last_year"]]
    assert (dead.days_since_last_purchase > CFG["dead_min_days"]).all()
    # within the own cycle x (1 + tolerance), or within dead_own_cycles own median gaps: never dead
    assert not (dead.days_since_last_purchase <= dead.cycle_days * (1 + CFG["cycle_tolerance"])).any()
    own = dead.median_gap_days.notna() & (dead.days_since_last_purchase <= CFG["dead_own_cycles"] * dead.median_gap_days)
    assert not own.any(), dead[own][["customer_id", "days_since_last_purchase", "median_gap_days"]]
    # a frequent buyer is dead only beyond the absolute horizon
    frequent = dead[dead.purchase_days >= CFG["dead_frequent_purchases"]]
    assert (frequent.days_since_last_purchase > CFG["dead_after_days"]).all()
    # dead means silent on every channel, orders of any status included
    assert dead.is_silent.all() and dead.dead_guard.isna().all()
    assert (dead.days_silent.isna() | (dead.days_silent > CFG["dead_silence_days"])).all()
    order_silence = (pd.Timestamp(AS_OF) - pd.to_datetime(dead.last_order_date)).dt.days
    assert (order_silence > CFG["dead_silence_days"]).all()  # not even a cancelled or returned order


def test_guarded_customers_are_near_death_with_missed_cycles(lifecycle):
    guarded = lifecycle[lifecycle.dead_guard.notna()]
    assert len(guarded) > 0  # the sample has customers the old 4-cycle rule would have buried
    assert (guarded.lifecycle_state == "near_death").all(), guarded.lifecycle_state.value_counts()
    recent = guarded[guarded.dead_guard == "recent_purchase"]
    assert (recent.days_since_last_purchase <= CFG["dead_min_days"]).all()

    near = lifecycle[lifecycle.lifecycle_state == "near_death"]
    expected = (near.days_since_last_purchase // near.cycle_days).astype(int)
    assert (near.cycles_missed == expected).all()
    assert ((near.cycles_missed >= CFG["cycle_near_death_cycles"]) | near.is_beyond_horizon).all()
    assert (near.days_overdue > 0).all()
    active = lifecycle[lifecycle.lifecycle_state == "active"]
    assert (active.cycles_missed == 0).all()
    buyers = lifecycle[lifecycle.last_purchase_date.notna()]
    assert (buyers.days_overdue >= 0).all()
    assert lifecycle[lifecycle.last_purchase_date.isna()].cycles_missed.isna().all()
