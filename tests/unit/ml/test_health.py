"""Health-score arithmetic, bands, reasons and deltas (the alert rules: tests/unit/ml/test_alert_rules.py)."""
import numpy as np
import pandas as pd

from ml.health import band_of, health_from_risk, health_scores, load_health_config

AS_OF = "2025-06-30"


def trend(cid, **kw):
    base = {"customer_id": cid, "tone_recent": np.nan, "tone_previous": np.nan, "negative_recent": 0,
            "formalisation": False, "formal_share_recent": np.nan, "formal_share_previous": np.nan,
            "passive_aggressive_recent": 0, "ultimatum_recent": 0, "competitor_recent": 0, "data_export_recent": 0,
            "price_complaint_recent": 0, "billing_complaint_recent": 0, "refund_request_recent": 0,
            "competitor_names_recent": "", "evidence_recent": "{}", "silence_days": 0, "silent_30": False,
            "silent_90": False}
    base.update(kw)
    return base


def test_config_defaults_from_seed():
    cfg = load_health_config()
    f = cfg["factors"]
    assert f["negative_tone"]["points"] == 2 and f["price_complaint"]["points"] == 5 and f["silence_30"]["points"] == 8
    assert cfg["risk_cap"] == 30 and cfg["playbooks"]["silence_30"].startswith("Предложить аудит использования")


def test_health_formula_and_bands():
    assert health_from_risk(0, 30) == 100.0
    assert health_from_risk(8, 30) == 73.3
    assert health_from_risk(14, 30) == 53.3
    assert health_from_risk(45, 30) == 0.0
    bands = {"healthy": 80, "watch": 55, "at_risk": 30}
    assert [band_of(h, bands) for h in (100, 80, 79.9, 55, 54.9, 30, 29.9)] == [
        "healthy", "healthy", "watch", "watch", "at_risk", "at_risk", "critical"]


def test_exact_arithmetic_and_breakdown():
    trends = pd.DataFrame([
        # tone drop 0.8 -> 0.3 (6) + export (8) = 14 -> 53.3 at_risk
        trend("A", tone_previous=0.8, tone_recent=0.3, data_export_recent=2,
              evidence_recent='{"data_export": ["выгрузите все наши данные"]}'),
        # 5 negative messages capped at 3 (6) + 3 price complaints capped at 2 (10) + silence > 30 (8) = 24 -> 20.0
        trend("B", negative_recent=5, price_complaint_recent=3, silence_days=45, silent_30=True),
        # silence > 90 replaces > 30: 14 ; ultimatum 10; competitor 6 -> 30 -> 0
        trend("C", silence_days=120, silent_30=True, silent_90=True, ultimatum_recent=1, competitor_recent=1,
              competitor_names_recent="amoCRM"),
        trend("D"),
    ])
    tickets = pd.DataFrame([
        {"customer_id": "D", "reopen_rate": 0.5, "reopen_flag": True, "reopened_tickets": 2, "tickets_window": 4,
         "billing_price_share": 0.5, "median_resolution_hours": 100.0},       # 6 + 3 + 2 = 11 -> 63.3
        {"customer_id": "E", "reopen_rate": 0.0, "reopen_flag": False, "reopened_tickets": 0, "tickets_window": 1,
         "billing_price_share": 1.0, "median_resolution_hours": 1.0},         # 1 ticket < min_tickets: 0
    ])
    scores, factors = health_scores(trends, tickets, AS_OF, {})
    s = scores.set_index("customer_id")
    assert s["risk_points"].to_dict() == {"A": 14.0, "B": 24.0, "C": 30.0, "D": 11.0, "E": 0.0}
    assert s["health_score"].to_dict() == {"A": 53.3, "B": 20.0, "C": 0.0, "D": 63.3, "E": 100.0}
    assert s["health_band"].to_dict() == {"A": "at_risk", "B": "critical", "C": "critical", "D": "watch",
                                          "E": "healthy"}
    assert s.loc["A", "top_reasons"] == "запросил экспорт данных + тон упал 0.8 → 0.3 за 30 дн."
    assert s.loc["C", "top_reasons"].startswith("молчит 120 дн. (больше 3 месяцев) + ультиматум + упоминает конкурентов (amoCRM)")
    assert s.loc["E", "top_reasons"] == ""
    fb = factors[factors.customer_id == "B"].set_index("factor")["points"].to_dict()
    assert fb == {"price_complaint": 10.0, "silence_30": 8.0, "negative_tone": 6.0}
    assert factors.groupby("customer_id")["points"].sum().to_dict() == {"A": 14.0, "B": 24.0, "C": 30.0, "D": 11.0}
    assert "выгрузите все наши данные" in factors.set_index(["customer_id", "factor"]).loc[("A", "data_export"), "evidence"]
    assert list(scores.columns) == ["customer_id", "as_of", "health_score", "risk_points", "health_band",
                                    "top_reasons", "health_delta"]
    assert scores["health_delta"].isna().all()


def test_weights_are_configuration_and_english_reasons():
    trends = pd.DataFrame([trend("A", tone_previous=0.8, tone_recent=0.3, data_export_recent=1)])
    cfg = {"factors": {"data_export": {"points": 20}}, "risk_cap": 40, "reasons_language": "en"}
    scores, _ = health_scores(trends, None, AS_OF, cfg)
    assert scores["risk_points"].iloc[0] == 26.0 and scores["health_score"].iloc[0] == 35.0
    assert scores["top_reasons"].iloc[0] == "asked for a data export + tone dropped 0.8 → 0.3 in 30 days"


def test_delta_vs_previous_snapshot():
    trends = pd.DataFrame([trend("A", negative_recent=1), trend("B")])
    previous = pd.DataFrame({"customer_id": ["A"], "health_score": [100.0]})
    scores, _ = health_scores(trends, None, AS_OF, {}, previous=previous)
    s = scores.set_index("customer_id")
    assert s.loc["A", "health_delta"] == -6.7 and np.isnan(s.loc["B", "health_delta"])
