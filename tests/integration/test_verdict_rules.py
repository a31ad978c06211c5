"""The verdict rule of marts.customer_verdict on hand-made rows (docs/methods.md "Risk verdict").

The hand-made reference warehouse (tests/support/marts.py: C01 champion, C02 sleeping and
unsubscribed, C04 near death, C05 dead, C06 new, C07 toxic, C09 near death and valuable, ...) plus
hand-made ML rows; the thresholds are pinned in the vars so a changed shipped value does not move
the expectations.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support.marts import handmade_fixture, run_dbt
from tests.support.warehouse import query_df

VERDICT = {
    "lifecycle_stage": {"hot_inactive": "active", "sleeping": "at_risk", "near_death": "potential_churn", "dead": "churned"},
    "engaged_within_days": 30, "engaged_min_contacts": 2, "engaged_cap_stage": "active", "one_time_after_days": 30,
    "churn_at_risk": 0.75, "churn_potential_churn": 0.9, "toxicity_at_risk": 0.7,
    "health_band_stage": {"at_risk": "at_risk", "critical": "potential_churn"},
    "factor_stage": {"ultimatum": "potential_churn", "data_export": "potential_churn", "tone_drop": "at_risk"},
    "red_flag_min_level": 3, "phone_from_level": 4, "max_reasons": 5,
}
BUYERS = ["C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08", "C09", "C10"]
# value if retained (roubles over the horizon): C09 the largest, C01 next, C05 nearly nothing
VALUE = {"C01": 40000, "C02": 6000, "C03": 3000, "C04": 5000, "C05": 10, "C06": 2500, "C07": 1000, "C08": 2000,
         "C09": 90000, "C10": 7000}


@pytest.fixture(scope="module")
def verdict(tmp_path_factory):
    f = handmade_fixture()
    health = {cid: (100.0, "healthy") for cid in [*BUYERS, "C11", "C12"]}
    health.update(C01=(73.3, "watch"), C06=(66.7, "watch"), C04=(10.0, "critical"), C03=(53.3, "at_risk"),
                  C11=(66.7, "watch"))
    f.ml = {
        "churn_scores": [{"customer_id": c, "churn_probability": p, "churn_model": "churn_hgb"} for c, p in
                         {"C01": 0.1, "C02": 0.95, "C03": 0.5, "C04": 0.6, "C05": 0.99, "C06": 0.2, "C07": 0.4,
                          "C08": 0.5, "C09": 0.7, "C10": 0.6}.items()],
        "toxicity_scores": [{"customer_id": c, "toxicity_probability": 0.9 if c == "C07" else 0.05,
                             "toxicity_model": "toxicity_hgb"} for c in BUYERS],
        "health_scores": [{"customer_id": c, "health_score": h, "health_band": b, "top_reasons": "", "health_delta": None}
                          for c, (h, b) in health.items()],
        "health_factors": [
            {"customer_id": "C01", "factor": "silence_30", "points": 8.0, "reason": "молчит 35 дн."},
            {"customer_id": "C11", "factor": "ultimatum", "points": 10.0, "reason": "ультиматум"},
            {"customer_id": "C06", "factor": "ultimatum", "points": 10.0, "reason": "ультиматум"},
            {"customer_id": "C04", "factor": "negative_tone", "points": 6.0, "reason": "негатив в переписке (3 сообщ.)"},
            {"customer_id": "C04", "factor": "price_complaint", "points": 10.0, "reason": "жалобы на цену (2)"},
            {"customer_id": "C04", "factor": "passive_aggression", "points": 6.0, "reason": "пассивная агрессия"},
            {"customer_id": "C03", "factor": "tone_drop", "points": 6.0, "reason": "тон упал 0.8 → 0.3 за 30 дн."},
            {"customer_id": "C03", "factor": "data_export", "points": 8.0, "reason": "запросил экспорт данных"},
        ],
        "customer_btyd": [{"customer_id": c, "p_alive": 0.5, "expected_value": v / 2, "value_if_retained": float(v),
                           "value_source": "clv_gamma_gamma"} for c, v in VALUE.items()],
    }
    db = f.write(tmp_path_factory.mktemp("verdict") / "w.duckdb")
    run_dbt(db, f.as_of, extra_vars={"verdict": VERDICT},
            args=["run", "--select", "+customer_verdict", "+customer_360", "--exclude", "tag:staging"])
    return query_df(db, "SELECT * FROM marts.customer_verdict").set_index("customer_id")


def test_active_buyer_with_a_weak_signal_stays_green_with_the_usual_action(verdict):
    row = verdict.loc["C01"]  # buys on its cycle; only a silence of 35 days (a reason, no stage)
    assert (row.lifecycle_state, row.risk_stage, row.action_level, row.action_color) == ("active", "active", 1, "green")
    assert list(row.reason_codes) == ["silence_30"] and row.reasons_text == "молчит 35 дн."
    assert row.recommended_action == "Поддерживать: обычные коммуникации"  # not the silence playbook
    assert row.risk_score == pytest.approx(1 - 73.3 / 100)


def test_an_ultimatum_makes_a_new_buyer_potential_churn_and_never_green(verdict):
    row = verdict.loc["C06"]  # bought 5 days ago: lifecycle active
    assert (row.lifecycle_state, row.risk_stage) == ("active", "potential_churn")
    assert list(row.reason_codes) == ["ultimatum"] and list(row.reasons) == ["ультиматум"]
    assert row.action_level >= 3  # bronze x potential_churn = 2, raised for the red flag
    assert row.recommended_action.startswith("Эскалация")


def test_critical_health_outweighs_a_calm_lifecycle_reading(verdict):
    row = verdict.loc["C04"]  # near death anyway, but the health factors inherit the critical band
    assert row.risk_stage == "potential_churn" and row.action_level >= 3
    # weights: lifecycle 2 + 200 / 60 / 8 = 2.42 > price complaint 2 + 10 / 30 > passive aggression
    # 2 + 6 / 30 = negative tone (ties by code)
    assert list(row.reason_codes) == ["missed_cycles", "price_complaint", "negative_tone", "passive_aggression"]
    assert row.reasons[1] == "жалобы на цену (2)"


def test_churn_probability_raises_a_sleeper_and_leads_the_reasons(verdict):
    row = verdict.loc["C02"]
    assert (row.lifecycle_state, row.risk_stage) == ("sleeping", "potential_churn")
    assert list(row.reason_codes)[:2] == ["churn_probability", "missed_cycles"]
    assert row.reasons[0] == "вероятность ухода 95 %"
    assert row.reasons[1].startswith("пропустил 1 цикл покупки")


def test_the_dead_get_the_goodbye_letter_once_and_nothing_else(verdict):
    row = verdict.loc["C05"]
    assert (row.risk_stage, row.value_tier, row.action_level) == ("churned", "bronze", 1)
    assert list(row.reason_codes)[0] == "dead"
    assert row.recommended_action.startswith("Прощальное письмо «Мы расстаёмся?»")
    assert (row.contact_channel, row.contact) == ("email", "darya@example.ru")


def test_the_valuable_near_death_customer_is_red_with_a_call(verdict):
    row = verdict.loc["C09"]
    assert (row.risk_stage, row.value_tier, row.action_level, row.action_color) == ("potential_churn", "platinum", 5, "red")
    assert row.reasons[0].startswith("пропустил ") and " цикл" in row.reasons[0]
    assert row.recommended_action.startswith("Сегодня: звонок ключевого менеджера")
    assert row.value_at_risk == pytest.approx(90000 * row.risk_score, abs=0.01)
    assert (row.contact_channel, row.contact) == ("email", "irina@example.ru")  # no phone on file


def test_an_export_request_with_a_tone_drop_is_a_red_flag(verdict):
    row = verdict.loc["C03"]  # hot inactive (cart abandoned 5 days ago)
    assert row.risk_stage == "potential_churn"
    # data export 2 + 8 / 30 > tone drop 1 + 6 / 30 (inherits the at_risk band) > the hot trigger, which
    # implies no stage (hot_inactive -> active): 0 + 80 / 30 / 8
    assert list(row.reason_codes) == ["data_export", "tone_drop", "hot_trigger"]
    assert row.recommended_action.startswith("Запрос выгрузки базы")
    hot = row.reasons[list(row.reason_codes).index("hot_trigger")]
    assert "бросил корзину" in hot


def test_toxicity_is_a_reason(verdict):
    row = verdict.loc["C07"]
    assert "toxicity" in list(row.reason_codes)
    assert any(r.startswith("риск токсичности 90 %") for r in row.reasons)
    assert row.risk_stage != "active"


def test_never_buyers_get_the_lead_action_and_no_stage_unless_a_red_flag(verdict):
    for cid in ("C11", "C12"):
        row = verdict.loc[cid]
        assert pd.isna(row.risk_stage) and pd.isna(row.value_tier) and pd.isna(row.action_level)
    assert verdict.loc["C12"].recommended_action.startswith("Вести как лид")
    assert verdict.loc["C11"].recommended_action.startswith("Эскалация")  # an ultimatum from a lead


def test_everyone_past_active_has_a_reason_and_the_manager_is_filled(verdict):
    flagged = verdict[verdict["risk_stage"].isin(["at_risk", "potential_churn", "churned"])]
    assert len(flagged) >= 6
    assert (flagged["reasons"].map(len) > 0).all()
    assert (verdict["manager"] == "Менеджер").all()
