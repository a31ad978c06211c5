"""Alert rules of ml/alerts.py: crossing, first-run digest, budget, ranking, routing, silence vs own rhythm."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from ml.alerts import (
    ALERT_COLUMNS,
    HISTORY_COLUMNS,
    Route,
    build_alerts,
    manager_key,
    messages_by_route,
    over_budget_counts,
    route_for,
    typed_select,
)

AS_OF = dt.date(2026, 9, 15)


def customer(cid, stage="at_risk", manager="Иванова Анна", value=1000.0, score=0.5, codes=("ultimatum",), **kw):
    row = {"customer_id": cid, "as_of": AS_OF, "full_name": f"Клиент {cid}", "manager": manager,
           "contact_channel": "email", "contact": f"{cid.lower()}@example.ru", "lifecycle_state": "sleeping",
           "risk_stage": stage, "risk_score": score, "value_tier": "gold", "expected_value": None if value is None else value * 2,
           "value_at_risk": value, "action_level": 4, "action_color": "orange",
           "recommended_action": "Звонок менеджера в течение недели", "reasons": ["ультиматум", "тон упал"],
           "reasons_text": "ультиматум; тон упал", "reason_codes": list(codes), "dominant_reason": codes[0] if codes else None,
           "silence_days": 10.0, "contact_gap_days": 20.0, "contact_gaps": 5, "cycle_days": 30.0}
    row.update(kw)
    return row


def verdict(*rows):
    return pd.DataFrame(list(rows))


def previous(**stages):
    return pd.DataFrame({"customer_id": list(stages), "risk_stage": list(stages.values()),
                         "risk_score": [0.1] * len(stages)})


def test_only_customers_who_crossed_into_risk_are_alerted():
    today = verdict(customer("A"), customer("B"), customer("C", stage="potential_churn"), customer("D", stage="active"),
                    customer("E"), customer("F", stage="churned"))
    before = previous(A="active", B="at_risk", C="at_risk", D="active", F="potential_churn")   # E is new
    out = build_alerts(today, before, AS_OF)
    assert sorted(out.alerts["customer_id"]) == ["A", "C", "E"]          # B stays at risk; churned is a win-back
    log = out.history.set_index("customer_id")["decision"].to_dict()
    assert log == {"A": "alert", "B": "already_at_risk", "C": "alert", "D": "not_in_risk", "E": "alert",
                   "F": "not_in_risk"}
    c = out.alerts.set_index("customer_id").loc["C"]
    assert c["severity"] == "critical" and c["previous_stage"] == "at_risk" and c["previous_score"] == 0.1
    assert out.digests.empty and not out.first_run
    assert list(out.alerts.columns) == ALERT_COLUMNS and list(out.history.columns) == HISTORY_COLUMNS


def test_alert_names_the_person_manager_value_reasons_and_playbook():
    out = build_alerts(verdict(customer("CUST-000007", value=12300.0)), previous(**{"CUST-000007": "active"}), AS_OF,
                       {"alerts": {"pii": "full"}})
    a = out.alerts.iloc[0]
    assert a["full_name"] == "Клиент CUST-000007" and a["manager"] == "Иванова Анна"
    assert a["value_at_risk"] == 12300.0 and a["expected_value"] == 24600.0
    assert a["reasons"] == "ультиматум; тон упал" and a["playbook"] == "Звонок менеджера в течение недели"   # the verdict's one action
    assert a["message"].startswith("Клиент CUST-000007 (CUST-000007), менеджер Иванова Анна: в зоне риска (было: активен). "
                                   "Под риском 12 300 (ожидаемая ценность 24 600). Причины: ультиматум; тон упал.")
    assert a["message"].endswith("Контакт: cust-000007@example.ru.")


def test_first_run_sends_one_digest_per_manager_not_one_alert_per_customer():
    rows = [customer(f"A{i}", value=100.0 * i) for i in range(1, 13)]
    rows += [customer("B1", manager="Петров Сергей", stage="potential_churn", value=50.0), customer("B2", manager="Петров Сергей", stage="active")]
    rows += [customer("N1", manager=None, value=7.0), customer("W1", value=99999.0, silence_days=400.0)]   # a win-back
    out = build_alerts(verdict(*rows), None, AS_OF, {"alerts": {"digest_top_n": 3, "pii": "full"}})
    assert out.first_run and out.alerts.empty
    d = out.digests.assign(manager=out.digests["manager"].fillna("-")).set_index("manager")
    assert sorted(d.index) == ["-", "Иванова Анна", "Петров Сергей"]          # no manager: NULL, named in the text
    assert d.loc["-", "message"].startswith("Сводка для (без менеджера) на 2026-09-15: клиентов в зоне риска — 1 (в зоне риска: 1)")
    assert d.loc["Иванова Анна", "customers"] == 13 and json.loads(d.loc["Иванова Анна", "stage_counts"]) == {"at_risk": 13}
    assert d.loc["Иванова Анна", "value_at_risk"] == pytest.approx(100.0 * sum(range(1, 13)) + 99999.0)
    top = d.loc["Иванова Анна", "top_customers"].splitlines()
    # largest value first; the win-back is counted but not named as someone to act on
    assert [t.split(" (")[0] for t in top] == ["• Клиент A12", "• Клиент A11", "• Клиент A10"]
    assert d.loc["Петров Сергей", "customers"] == 1 and "на грани ухода: 1" in d.loc["Петров Сергей", "message"]
    assert set(out.history["decision"]) == {"digest", "not_in_risk", "win_back"}


def test_daily_budget_per_manager_keeps_the_largest_value_at_risk():
    rows = [customer(f"A{i:02d}", value=float(i)) for i in range(1, 16)]
    rows += [customer("B1", manager="Петров Сергей", value=1.0)]
    before = previous(**{r["customer_id"]: "active" for r in rows})
    out = build_alerts(verdict(*rows), before, AS_OF, {"alerts": {"daily_budget_per_manager": 4}})
    ivanova = out.alerts[out.alerts["manager"] == "Иванова Анна"]
    assert ivanova["customer_id"].tolist() == ["A15", "A14", "A13", "A12"] and ivanova["rank_for_manager"].tolist() == [1, 2, 3, 4]
    assert out.alerts[out.alerts["manager"] == "Петров Сергей"]["customer_id"].tolist() == ["B1"]
    assert over_budget_counts(out.history) == {"Иванова Анна": 11}
    batches = messages_by_route(out, {"alerts": {"daily_budget_per_manager": 4}}, Route("default", "http://d"))
    assert list(batches) == [Route("default", "http://d")] and len(batches[Route("default", "http://d")]) == 4 + 1 + 1
    assert batches[Route("default", "http://d")][4].startswith("Иванова Анна: …и ещё 11 клиентов перешли в риск")
    assert len(out.alerts) <= 4 * 2


def test_ranking_ties_on_value_go_to_the_higher_risk_score():
    rows = [customer("A", value=500.0, score=0.2), customer("B", value=500.0, score=0.9), customer("C", value=None, score=1.0)]
    out = build_alerts(verdict(*rows), previous(A="active", B="active", C="active"), AS_OF)
    assert out.alerts["customer_id"].tolist() == ["B", "A", "C"]


@pytest.mark.parametrize("silence, lifecycle, gap, gaps, cycle, decision", [
    (100.0, "sleeping", 20.0, 5, 30.0, "alert"),                       # 100 > 2 x 20: unusual for them
    (35.0, "sleeping", 20.0, 5, 30.0, "silence_within_rhythm"),        # 35 <= 40: their normal pace
    (150.0, "near_death", None, 0, 90.0, "silence_within_rhythm"),     # no contact rhythm: purchase cycle 2 x 90 = 180
    (200.0, "near_death", 20.0, 1, 90.0, "alert"),                     # one contact gap is no rhythm: the cycle
    (100.0, "active", 20.0, 5, 200.0, "still_buying"),                 # still buying within the cycle
    (400.0, "near_death", 20.0, 5, 30.0, "win_back"),                  # over a year: a win-back, no alert
])
def test_silence_is_judged_against_the_customers_own_rhythm(silence, lifecycle, gap, gaps, cycle, decision):
    row = customer("A", codes=("silence_90",), silence_days=silence, lifecycle_state=lifecycle,
                   contact_gap_days=gap, contact_gaps=gaps, cycle_days=cycle)
    out = build_alerts(verdict(row), previous(A="active"), AS_OF)
    assert out.history["decision"].iloc[0] == decision
    assert len(out.alerts) == (decision == "alert")
    if decision == "alert":
        assert out.alerts["rhythm_days"].iloc[0] == (gap if gaps >= 2 else cycle)


def test_real_risk_reasons_alert_a_buying_customer_but_never_after_a_year_of_silence():
    buying = customer("A", codes=("silence_90", "ultimatum"), lifecycle_state="active", silence_days=100.0)
    gone = customer("B", codes=("ultimatum",), silence_days=500.0)
    out = build_alerts(verdict(buying, gone), previous(A="active", B="active"), AS_OF)
    assert out.alerts["customer_id"].tolist() == ["A"]
    assert out.history.set_index("customer_id").loc["B", "decision"] == "win_back"
    a = out.alerts.iloc[0]
    assert a["reason_codes"] == "ultimatum" and a["playbook"].startswith("Эскалация")   # their silence is no step to take
    assert "Срочно назначить встречу" not in a["message"]


def test_routing_per_manager_then_team_then_default():
    routing = {"managers": {"Иванова Анна": {"webhook": "http://a"}},
               "teams": {"south": {"members": ["Петров Сергей"], "webhook": "http://t", "kind": "telegram", "chat_id": 5}}}
    default = Route("default", "http://d")
    assert route_for("иванова  АННА", routing, default) == Route("manager:иванова анна", "http://a", "slack", None)
    assert route_for("Петров Сергей", routing, default) == Route("team:south", "http://t", "telegram", 5)
    assert route_for("Смирнова Ольга", routing, default) is default
    assert route_for(None, routing, default) is default
    assert manager_key("Лебедёва, Ирина ") == "лебедева ирина"
    out = build_alerts(verdict(customer("A"), customer("B", manager="Петров Сергей"), customer("C", manager="Козлов Андрей")),
                       previous(A="active", B="active", C="active"), AS_OF, {"alerts": {"routing": routing}}, default)
    assert out.alerts.set_index("customer_id")["route"].to_dict() == {"A": "manager:иванова анна", "B": "team:south",
                                                                        "C": "default"}


def test_tables_are_typed_even_when_empty():
    out = build_alerts(verdict(customer("A", stage="active")), None, AS_OF)
    con = duckdb.connect()
    con.register("frame", out.alerts)
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT {typed_select('frame', ALERT_COLUMNS)}").fetchall()}
    assert types["previous_score"] == "DOUBLE" and types["as_of"] == "DATE" and types["message"] == "VARCHAR"
    assert out.digests.empty                                  # nobody at risk: no digest either


@pytest.mark.parametrize("codes, lifecycle, decision", [
    (("churn_probability",), "active", "still_buying"),                 # a model's guess on a customer buying on time
    (("churn_probability", "silence_30"), "active", "still_buying"),
    (("churn_probability",), "sleeping", "alert"),                      # late and the model agrees: alert
    (("churn_probability", "ultimatum"), "active", "alert"),            # something the customer did: alert
])
def test_a_models_guess_alone_does_not_alert_a_customer_still_buying(codes, lifecycle, decision):
    row = customer("A", codes=codes, lifecycle_state=lifecycle, silence_days=100.0)
    out = build_alerts(verdict(row), previous(A="active"), AS_OF)
    assert out.history["decision"].iloc[0] == decision
