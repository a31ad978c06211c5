"""Customer-analytics marts on hand-made customers with known histories.

Exact values below are worked out by hand from tests/support/marts.handmade_fixture (as of
2026-06-30, 12 customers, 10 buyers, default config):
- quintiles over 10 buyers = 2 customers per score; ties broken by customer_id;
- category cycles (>= 5 same-category gaps): A = 30, B = 60 (gaps 60,60,60,60,60,100), C = 30,
  F = 30; business median gap = 30 (27 gaps: 15 x 30, 5 x 40, 6 x 60, 1 x 100);
- cycle = (n * median + 2 * prior) / (n + 2).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.support.marts import AS_OF, add_future_rows, handmade_fixture, run_dbt
from tests.support.warehouse import query_df

AS_OF_2 = date(2026, 7, 30)
MART_TABLES = [
    "marts.mart_customer_rfm", "marts.mart_customer_rfcm", "marts.mart_rfcm_alarm", "marts.mart_customer_lifecycle",
    "marts.mart_customer_risk_value", "marts.mart_risk_value_matrix", "marts.mart_action_list", "marts.customer_360",
]


def by_customer(db: Path, table: str) -> pd.DataFrame:
    return query_df(db, f"select * from {table} order by customer_id").set_index("customer_id")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One warehouse: build as of AS_OF, snapshot the marts, build AS_OF again, then AS_OF_2."""
    root = tmp_path_factory.mktemp("marts")
    db = handmade_fixture().write(root / "warehouse.duckdb")
    run_dbt(db, AS_OF)
    first = {t: query_df(db, f"select * from {t}") for t in MART_TABLES}
    history_1 = query_df(db, "select as_of, count(*) as n from marts.mart_customer_history group by all order by 1")
    run_dbt(db, AS_OF, seed=False)  # same as-of date again: must replace, not duplicate
    history_2 = query_df(db, "select as_of, count(*) as n from marts.mart_customer_history group by all order by 1")
    matrix_hist_2 = query_df(db, "select as_of, count(*) as n from marts.mart_risk_value_matrix_history group by all")
    run_dbt(db, AS_OF_2, seed=False)
    return dict(db=db, first=first, history_1=history_1, history_2=history_2, matrix_hist_2=matrix_hist_2, root=root)


@pytest.fixture(scope="module")
def first(runs):
    return {t: df.set_index("customer_id") if "customer_id" in df else df for t, df in runs["first"].items()}


# ---------------------------------------------------------------------------------------------- RFM
RFM_EXPECTED = {
    # customer: (recency_days, frequency, monetary, rfm_code, segment)
    "C01": (10, 8, 80000, "555", "Champions"),
    "C02": (85, 4, 20000, "334", "Need Attention"),
    "C03": (80, 4, 12000, "343", "Loyal"),
    "C04": (200, 3, 12000, "223", "Hibernating"),
    "C05": (900, 2, 2000, "111", "Lost"),
    "C06": (5, 1, 2000, "511", "New"),
    "C07": (50, 3, 3000, "432", "Potential Loyalists"),  # 3 x 1500 completed - 1500 returned
    "C08": (45, 4, 10000, "442", "Loyal"),
    "C09": (400, 6, 120000, "155", "Can't Lose Them"),
    "C10": (130, 2, 12000, "224", "Hibernating"),
}


def test_rfm_exact(first):
    rfm = first["marts.mart_customer_rfm"]
    assert len(rfm) == 12
    for cid, (rec, freq, mon, code, seg) in RFM_EXPECTED.items():
        row = rfm.loc[cid]
        assert (row.recency_days, row.frequency, row.monetary, row.rfm_code, row.rfm_segment) == (rec, freq, mon, code, seg), cid
        assert str(row.r_score) + str(row.f_score) + str(row.m_score) == code
    for cid in ("C11", "C12"):  # no orders / only a cancelled order
        row = rfm.loc[cid]
        assert row.rfm_segment == "No purchases" and row.frequency == 0 and pd.isna(row.r_score) and row.rfm_code is None


# --------------------------------------------------------------------------------------------- RFCM
def test_rfcm_exact(first):
    rfcm = first["marts.mart_customer_rfcm"]
    # C07: 4 complaint tickets + 1 return in 365 days over 365/30.4375 months; calls 6 x 100 min +
    # tickets 4 x 40 min = 760 minutes -> 0.417 complaints and 63.4 minutes a month -> C 1, R 1.
    c07 = rfcm.loc["C07"]
    assert c07.complaints_window == 5
    assert c07.complaints_per_month == pytest.approx(5 / (365 / 30.4375))
    assert c07.manager_minutes_window == pytest.approx(760)
    # shrunk towards the base rate (sum of events / sum of months of all 12) with 3 pseudo-months:
    # (5 + 0.0755 x 3) / 14.99 = 0.349 -> C 1; (760 + 9.48 x 3) / 14.99 = 52.6 minutes -> R 2
    base_c = rfcm.complaints_window.sum() / rfcm.rate_months.sum()
    base_m = rfcm.manager_minutes_window.sum() / rfcm.rate_months.sum()
    assert rfcm.base_complaints_per_month.eq(c07.base_complaints_per_month).all()
    assert c07.base_complaints_per_month == pytest.approx(base_c) and base_c == pytest.approx(0.07553, abs=1e-5)
    assert c07.base_manager_minutes_per_month == pytest.approx(base_m) and base_m == pytest.approx(9.4845, abs=1e-4)
    assert c07.complaints_per_month_shrunk == pytest.approx((5 + base_c * 3) / (c07.rate_months + 3))
    assert c07.manager_minutes_per_month_shrunk == pytest.approx((760 + base_m * 3) / (c07.rate_months + 3))
    assert (c07.c_score, c07.resource_score) == (1, 2)
    assert c07.rfcm_code == "43254"  # RFM 432, then complaint/resource LEVELS 5 and 4 (level = 6 - score)
    # both scores <= 2, a buyer of 400 days: toxic; mid value -> self-service
    assert (c07.value_level, c07.toxicity_level, c07.rfcm_strategy) == ("mid", "toxic", "move_to_self_service")
    # C01: no complaints, no manager time: the ideal 55511
    c01 = rfcm.loc["C01"]
    assert (c01.c_score, c01.resource_score, c01.rfcm_code, c01.rfcm_strategy) == (5, 5, "55511", "keep")
    assert rfcm.loc["C05"].rfcm_code == "11111"
    # C11: no purchases; 2 complaints in 60 days of tenure (rates over max(60, 30.4375) days);
    # minutes = 2 x 50 handling + 3 inbound x 3 + 2 outbound x 5 = 119
    c11 = rfcm.loc["C11"]
    assert c11.manager_minutes_window == pytest.approx(119)
    assert c11.complaints_per_month == pytest.approx(2 / (60 / 30.4375))
    assert c11.manager_minutes_per_month == pytest.approx(60.37, abs=0.01)  # observed: R 1
    # shrunk: (2 + 0.227) / (1.97 + 3) = 0.448 -> C 1; (119 + 28.5) / 4.97 = 29.7 minutes -> R 3
    assert c11.complaints_per_month_shrunk == pytest.approx(0.4479, abs=1e-4)
    assert c11.manager_minutes_per_month_shrunk == pytest.approx(29.66, abs=0.01)
    assert (c11.c_score, c11.resource_score) == (1, 3)
    # without purchases never toxic and never disconnected: demanding, self-service
    assert c11.rfcm_code is None and (c11.toxicity_level, c11.rfcm_strategy) == ("demanding", "move_to_self_service")
    # customers without complaints or manager time keep C 5 / R 5 (a rate below the base is not raised)
    assert (rfcm.loc["C12", "c_score"], rfcm.loc["C12", "resource_score"]) == (5, 5)
    assert rfcm.loc["C12"].rfcm_strategy == "nurture"


def test_rfcm_alarm(first):
    alarm = first["marts.mart_rfcm_alarm"]
    assert len(alarm) == 1
    row = alarm.iloc[0]
    # shrunk rates: C07 and C11 keep C 1 but not R 1 -> nobody has both below 2, no alarm
    assert row.customers == 12 and row.customers_low_c_and_r == 0 and row.customers_low_c == 2
    assert row.share_low_c == pytest.approx(2 / 12) and row.share_low_c_and_r == 0
    assert row.threshold_share == pytest.approx(0.10) and not bool(row.is_alarm)


def test_rfcm_alarm_and_disconnect_on_observed_rates(runs, tmp_path):
    """With the shrinkage and the tenure floor off (observed rates), C07 and C11 have C 1 and R 1:
    2 of 12 customers > 10 % -> alarm; C11 (never bought) is 'demanding' still, never disconnect."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(runs["db"], db)
    run_dbt(db, AS_OF, seed=False,  # the copy was last built as of AS_OF_2: rebuild the RFCM inputs too
            select=["tag:post_identity", "mart_customer_rfm", "mart_customer_rfcm", "mart_rfcm_alarm"],
            extra_vars={"rfcm_shrinkage_prior_months": 0, "rfcm_toxic_min_tenure_days": 0})
    rfcm = by_customer(db, "marts.mart_customer_rfcm")
    assert (rfcm.loc["C07", "c_score"], rfcm.loc["C07", "resource_score"]) == (1, 1)
    assert (rfcm.loc["C11", "c_score"], rfcm.loc["C11", "resource_score"]) == (1, 1)
    assert (rfcm.loc["C11", "toxicity_level"], rfcm.loc["C11", "rfcm_strategy"]) == ("demanding", "move_to_self_service")
    assert not rfcm.rfcm_strategy.eq("disconnect").any()
    row = query_df(db, "select * from marts.mart_rfcm_alarm").iloc[0]
    assert row.customers_low_c_and_r == 2 and row.share_low_c_and_r == pytest.approx(2 / 12) and bool(row.is_alarm)


# ---------------------------------------------------------------------------------- cycles & states
LIFECYCLE_EXPECTED = {
    # customer: (cycle_days, cycle_source, expected_next_purchase, lifecycle_state, risk_stage)
    "C01": (30, "customer", date(2026, 7, 20), "active", "active"),
    "C02": (60, "customer", date(2026, 6, 5), "sleeping", "at_risk"),
    "C03": (30, "customer", date(2026, 5, 11), "hot_inactive", "at_risk"),  # cart abandoned 5 days ago
    "C04": (60, "customer", date(2026, 2, 10), "near_death", "potential_churn"),  # 200 > 2 x 60
    "C05": (40, "customer", date(2024, 2, 21), "dead", "churned"),  # (60 + 2 x 30 business) / 3
    "C06": (30, "category", date(2026, 7, 25), "active", "active"),  # one-time buyer: category A cycle
    "C07": (35, "customer", date(2026, 6, 15), "hot_inactive", "at_risk"),  # (2 x 40 + 2 x 30) / 4; complaint
    "C08": (36, "customer", date(2026, 6, 21), "active", "active"),  # (3 x 40 + 2 x 30) / 5; 45 <= 46.8
    "C09": (30, "customer", date(2025, 6, 25), "near_death", "potential_churn"),  # beyond horizon, opened mail
    "C10": (220 / 3, "customer", date(2026, 5, 4), "sleeping", "at_risk"),  # (100 + 2 x 60) / 3
}


def test_cycles_and_lifecycle_exact(first):
    lc = first["marts.mart_customer_lifecycle"]
    for cid, (cycle, source, expected, state, risk) in LIFECYCLE_EXPECTED.items():
        row = lc.loc[cid]
        assert row.cycle_days == pytest.approx(cycle), cid
        assert row.cycle_source == source, cid
        assert pd.Timestamp(row.expected_next_purchase).date() == expected, cid
        assert (row.lifecycle_state, row.risk_stage) == (state, risk), cid
    assert list(lc.loc["C03"].triggers) == ["cart_abandon"]
    assert list(lc.loc["C07"].triggers) == ["complaint"]
    assert lc.loc["C11"].lifecycle_state == "no_purchases" and lc.loc["C12"].lifecycle_state == "no_purchases"
    assert lc.loc["C02"].has_unsubscribed


# --------------------------------------------------------------------------------- risk x value
def test_risk_value_matrix(first):
    pos = first["marts.mart_customer_risk_value"]
    expected = {"C01": ("gold", 1), "C02": ("silver", 2), "C03": ("silver", 2), "C04": ("silver", 3),
                "C05": ("bronze", 1), "C06": ("bronze", 1), "C07": ("bronze", 2), "C08": ("bronze", 1),
                "C09": ("platinum", 5), "C10": ("silver", 2)}
    for cid, (tier, level) in expected.items():
        assert (pos.loc[cid].value_tier, pos.loc[cid].action_level) == (tier, level), cid
    matrix = first["marts.mart_risk_value_matrix"]
    assert len(matrix) == 16
    assert matrix.customers.sum() == 10 == pos.risk_stage.notna().sum()
    assert matrix.customers.sum() + pos.risk_stage.isna().sum() == len(first["marts.customer_360"])
    assert matrix.revenue.sum() == pytest.approx(273000)
    cell = matrix[(matrix.risk_stage == "at_risk") & (matrix.value_tier == "silver")].iloc[0]
    assert (cell.customers, cell.revenue) == (3, 44000)


# ----------------------------------------------------------------------------------- action lists
def test_action_lists(first):
    al = first["marts.mart_action_list"].reset_index()
    got = {(r.list_name, r.customer_id): r for r in al.itertuples()}
    assert set(got) == {
        ("should_have_bought", "C02"), ("should_have_bought", "C07"), ("should_have_bought", "C08"),
        ("reactivation", "C02"), ("reactivation", "C10"), ("goodbye", "C05"),
        ("hot_trigger", "C03"), ("hot_trigger", "C07"), ("near_death", "C04"), ("near_death", "C09"),
        ("toxic_review", "C07"),
    }
    # no actions log: the chains start at step 1 whatever the calendar says (the step after the
    # last one sent is tested in tests/integration/test_action_lists_rules.py)
    assert got[("reactivation", "C02")].step == 1 and got[("reactivation", "C02")].step_code == "sleep_1"
    assert got[("reactivation", "C10")].step == 1
    assert got[("near_death", "C04")].step_code == "near_death_1"
    assert (got[("reactivation", "C02")].channel, got[("reactivation", "C02")].contact) == ("phone", "+79120000002")
    assert (got[("goodbye", "C05")].channel, got[("goodbye", "C05")].contact) == ("email", "darya@example.ru")
    assert got[("should_have_bought", "C08")].channel == "none"
    assert "корзин" in got[("hot_trigger", "C03")].reason
    assert all(isinstance(r.reason, str) and r.reason for r in got.values())


# -------------------------------------------------------------------------------------- serving
def test_customer_360(first):
    c360 = first["marts.customer_360"]
    assert len(c360) == 12 and c360.index.is_unique
    row = c360.loc["C09"]
    assert (row.rfm_segment, row.lifecycle_state, row.risk_stage, row.value_tier, row.action_level) == (
        "Can't Lose Them", "near_death", "potential_churn", "platinum", 5)
    # one action (customer_verdict): the level-5 text of the dominant reason, missed purchase cycles
    assert row.recommended_action == "Сегодня: звонок ключевого менеджера — узнать причину паузы, индивидуальные условия"
    assert row.reasons[0].startswith("пропустил 13 циклов покупки") and row.top_reasons == "; ".join(row.reasons)
    assert c360.loc["C11"].recommended_action.startswith("Вести как лид")  # no purchases: the lead action
    assert c360.churn_probability.isna().all()  # ml.* tables absent: NULL, the model still builds


def test_customer_360_joins_ml_tables(tmp_path):
    f = handmade_fixture()
    f.ml = {
        "churn_scores": [{"customer_id": "C01", "churn_probability": 0.1, "churn_model": "hgb"}],
        "toxicity_scores": [{"customer_id": "C07", "toxicity_probability": 0.9, "toxicity_model": "toxicity_hgb"}],
        "customer_clusters": [{"customer_id": "C07", "cluster_id": 3, "cluster_name": "Жалуются, мало покупают"}],
        "health_scores": [{"customer_id": "C07", "health_score": 21.5, "health_band": "red",
                           "top_reasons": "жалобы; время менеджера", "health_delta": -4.0}],
    }
    db = f.write(tmp_path / "w.duckdb")
    run_dbt(db, AS_OF)
    c360 = by_customer(db, "marts.customer_360")
    assert c360.loc["C01"].churn_probability == pytest.approx(0.1)
    assert c360.loc["C07"].toxicity_probability == pytest.approx(0.9)
    assert (c360.loc["C01"].churn_model, c360.loc["C07"].toxicity_model) == ("hgb", "toxicity_hgb")
    assert (c360.loc["C07"].cluster_name, c360.loc["C07"].health_band) == ("Жалуются, мало покупают", "red")
    assert pd.isna(c360.loc["C02"].churn_probability)


# ------------------------------------------------------------------------------ history / migration
def test_history_idempotent(runs):
    h1, h2 = runs["history_1"], runs["history_2"]
    assert h1.n.tolist() == [12] and h2.n.tolist() == [12]  # same as-of twice -> one snapshot
    assert runs["matrix_hist_2"].n.tolist() == [16]
    h3 = query_df(runs["db"], "select as_of, count(*) as n from marts.mart_customer_history group by all order by 1")
    assert [(pd.Timestamp(a).date(), n) for a, n in zip(h3.as_of, h3.n)] == [(AS_OF, 12), (AS_OF_2, 12)]


def test_migration_across_two_dates(runs):
    mig = by_customer(runs["db"], "marts.mart_segment_migration")
    assert len(mig) == 12
    assert (pd.Timestamp(mig.previous_as_of.iloc[0]).date(), pd.Timestamp(mig.as_of.iloc[0]).date()) == (AS_OF, AS_OF_2)
    # C01: last purchase 40 days before 2026-07-30 > 30 x 1.3 -> active becomes sleeping
    c01 = mig.loc["C01"]
    assert (c01.from_rfm_segment, c01.from_lifecycle_state, c01.to_lifecycle_state) == ("Champions", "active", "sleeping")
    assert c01.movement == "moved" and c01.lifecycle_changed
    rfm_now = by_customer(runs["db"], "marts.mart_customer_rfm")
    assert (mig.to_rfm_segment == rfm_now.rfm_segment).all()
    assert (mig.loc[["C11", "C12"], "movement"] == "same").all()


# ----------------------------------------------------------------------------------- as-of correctness
def test_rows_after_as_of_change_nothing(runs, tmp_path):
    db = add_future_rows(handmade_fixture()).write(tmp_path / "future.duckdb")
    run_dbt(db, AS_OF)
    for table, before in runs["first"].items():
        after = query_df(db, f"select * from {table}")
        keys = [c for c in ("list_name", "customer_id", "risk_stage", "value_tier") if c in before.columns]
        pd.testing.assert_frame_equal(
            before.sort_values(keys).reset_index(drop=True) if keys else before,
            after.sort_values(keys).reset_index(drop=True) if keys else after,
            check_dtype=False, obj=table,
        )
    # fixed thresholds keep scores comparable over time (rfm_score_mode: fixed)
    run_dbt(db, AS_OF, seed=False, select=["int_customer_orders", "mart_customer_rfm"], extra_vars={"rfm_score_mode": "fixed"})
    rfm = by_customer(db, "marts.mart_customer_rfm")
    assert rfm.loc["C01", "rfm_code"] == "544"  # 10 days -> 5, 8 orders -> 4 (> 4, not > 8), 80000 -> 4
    assert rfm.loc["C09", "rfm_code"] == "145"  # 400 days -> 1, 6 orders -> 4, 120000 -> 5
    assert rfm.loc["C02", "rfm_code"] == "433"  # 85 days -> 4, 4 orders -> 3, 20000 -> 3
