"""The asset checks on the ML outputs, on hand-made warehouse tables: ranges, coverage as of the
date, model quality floors (ERROR) and fallbacks (WARN)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from dagster_project.ml_output_checks import coverage, model_quality, score_range

AS_OF = dt.date(2026, 11, 15)


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core; CREATE SCHEMA ml")
    con.execute("""CREATE TABLE core.customers AS SELECT * FROM (VALUES
        ('c1', TIMESTAMP '2025-01-01'), ('c2', TIMESTAMP '2026-11-15 10:00'), ('c3', TIMESTAMP '2026-11-20'),
        ('c4', NULL)) t(customer_id, first_seen_at)""")
    con.execute("""CREATE TABLE ml.churn_scores AS SELECT * FROM (VALUES
        ('c1', 0.2), ('c2', 1.0), ('c4', 0.0)) t(customer_id, churn_probability)""")
    con.execute("""CREATE TABLE ml.health_scores AS SELECT * FROM (VALUES
        ('c1', 100.0), ('c2', 101.5), ('c4', NULL)) t(customer_id, health_score)""")
    con.execute("""CREATE TABLE ml.model_runs (as_of DATE, model VARCHAR, model_kind VARCHAR,
        fallback_reason VARCHAR, metrics VARCHAR)""")
    return con


def _run(con, model, kind, reason, roc_auc, as_of=AS_OF):
    con.execute("INSERT INTO ml.model_runs VALUES (?, ?, ?, ?, ?)",
                [as_of, model, kind, reason, json.dumps({"model": {"roc_auc": roc_auc, "pr_auc": 0.4}})])


def test_range_bounds_are_inclusive_and_outliers_and_nulls_are_errors(con):
    ok = score_range(con, "churn_scores")
    assert ok.passed and ok.metadata["min"] == 0.0 and ok.metadata["max"] == 1.0
    bad = score_range(con, "health_scores")
    assert not bad.passed and not bad.warn_only
    assert (bad.metadata["outside_range"], bad.metadata["null"]) == (1, 1)


def test_coverage_counts_only_customers_first_seen_by_the_date(con):
    full = coverage(con, "churn_scores", AS_OF, 1.0)  # c3 appears after the date: not expected
    assert full.passed and full.metadata["customers_known"] == 3 and full.metadata["customers_covered"] == 3
    con.execute("DELETE FROM ml.churn_scores WHERE customer_id = 'c2'")
    short = coverage(con, "churn_scores", AS_OF, 1.0)
    assert not short.passed and short.warn_only and short.metadata["missing_sample"] == ["c2"]
    assert coverage(con, "churn_scores", AS_OF, 0.6).passed  # 2 of 3 above a 60 % floor
    later = coverage(con, "churn_scores", dt.date(2026, 11, 30), 1.0)  # now c3 is expected too
    assert later.metadata["customers_known"] == 4 and later.metadata["missing_sample"] == ["c2", "c3"]


def test_model_quality_floor_fallback_and_missing_run(con):
    floors = {"roc_auc": 0.6}
    assert not model_quality(con, "churn", AS_OF, floors).passed  # no run recorded for the date
    _run(con, "churn", "hgb", None, 0.74)
    good = model_quality(con, "churn", AS_OF, floors)
    assert good.passed and good.metadata["roc_auc"] == 0.74
    _run(con, "toxicity", "logreg", None, 0.55)
    weak = model_quality(con, "toxicity", AS_OF, floors)
    assert not weak.passed and not weak.warn_only and "0.550 < 0.600" in weak.description
    _run(con, "churn", "recency_calibrated", "too_few_cutoffs: 1 labelled cutoff", float("nan"), AS_OF - dt.timedelta(days=1))
    fallback = model_quality(con, "churn", AS_OF - dt.timedelta(days=1), floors)
    assert not fallback.passed and fallback.warn_only and "too_few_cutoffs" in fallback.description
    # logreg because hgb had too few rows is still a learned model: judged on its floor, reason said
    _run(con, "churn", "logreg", "too_few_rows_for_hgb: 477 fit rows (< 500)", 0.71, AS_OF + dt.timedelta(days=1))
    reduced = model_quality(con, "churn", AS_OF + dt.timedelta(days=1), floors, learned_kinds=("hgb", "logreg"))
    assert reduced.passed and "too_few_rows_for_hgb" in reduced.description
    assert not model_quality(con, "churn", AS_OF + dt.timedelta(days=1), floors, learned_kinds=("hgb",)).passed
