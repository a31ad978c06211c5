"""Decisions against truth (ml.decision_truth) on a hand-made warehouse and truth folder."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ml.decision_truth import below_floors, decision_metrics, has_truth

AS_OF = dt.date(2026, 9, 15)


def _setup(tmp_path):
    truth = tmp_path / "landing" / "truth"
    truth.mkdir(parents=True)
    # P1 churned before the date, P2 churns in 30 days, P3 and P4 stay, P5 churns after the horizon
    pd.DataFrame({"person_id": ["P1", "P2", "P3", "P4", "P5"],
                  "churn_date": ["2026-05-01", "2026-10-15", "", "", "2027-03-01"]}).to_csv(truth / "persons.csv", index=False)
    pd.DataFrame({"source": ["crm_contact"] * 6, "source_record_id": ["1", "2", "3", "4", "5", "6"],
                  "person_id": ["P1", "P2", "P3", "P4", "P5", "P1"]}).to_csv(truth / "record_map.csv", index=False)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for schema in ("core", "marts", "ml"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("""CREATE TABLE core.customer_identity AS SELECT * FROM (VALUES
        ('C1', 'crm_contact', '1'), ('C2', 'crm_contact', '2'), ('C3', 'crm_contact', '3'),
        ('C4', 'crm_contact', '4'), ('C5', 'crm_contact', '5'), ('C6', 'crm_contact', '6'))
        t(customer_id, source, source_record_id)""")
    con.execute("""CREATE TABLE marts.mart_customer_lifecycle AS SELECT * FROM (VALUES
        ('C1', 'dead'), ('C2', 'sleeping'), ('C3', 'dead'), ('C4', 'active'), ('C5', 'active'), ('C6', 'dead'))
        t(customer_id, lifecycle_state)""")
    con.execute("""CREATE TABLE marts.mart_customer_risk_value AS SELECT * FROM (VALUES
        ('C1', 'churned'), ('C2', 'at_risk'), ('C3', 'churned'), ('C4', 'active'), ('C5', 'active'), ('C6', NULL))
        t(customer_id, risk_stage)""")
    con.execute("CREATE TABLE ml.alerts AS SELECT * FROM (VALUES ('C2'), ('C4')) t(customer_id)")
    return con, tmp_path / "landing"


def test_figures_on_a_hand_made_case(tmp_path):
    con, landing = _setup(tmp_path)
    assert has_truth(landing)
    m = decision_metrics(con, landing, AS_OF, horizon_days=60)
    assert m["dead_customers"] == 3 and m["dead_precision"] == round(2 / 3, 4)  # C3's person is alive
    assert m["buyers"] == 5 and m["churning_within_horizon"] == 1
    assert m["early_warning_recall"] == 1.0  # C2 flagged
    assert m["living_flagged_share"] == round(1 / 3, 4)  # of C3, C4, C5 (P5 churns after the horizon): C3
    assert m["alerts"] == 2 and m["alert_precision"] == 0.5
    assert below_floors(m) == ["dead_precision 0.667 < 0.95"]


def test_no_truth_no_figures(tmp_path):
    con, _ = _setup(tmp_path)
    assert decision_metrics(con, tmp_path / "elsewhere", AS_OF) == {}
