"""The vectorised build_alerts equals the per-customer definition (build_alerts_by_customer): alerts,
digests and the decision log, on a random verdict with every decision, first run and next run."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.alerts import build_alerts, build_alerts_by_customer

AS_OF = dt.date(2026, 9, 15)
STAGES = ["active", "at_risk", "potential_churn", "churned", None]
CODES = ["ultimatum", "silence_30", "silence_90", "missed_cycles", "churn_probability", "price_complaint"]


def random_verdict(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def codes(i):
        picked = list(rng.choice(CODES, rng.integers(0, 3), replace=False))
        return [picked, ",".join(picked), "; ".join(picked), None, np.array(picked, dtype=object)][i % 5]

    value = np.where(rng.random(n) < 0.1, np.nan, np.round(rng.uniform(0, 50000, n), 0))
    return pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in rng.permutation(n)], "as_of": AS_OF,
        "full_name": rng.choice(["Иванова Мария", "Петров Олег", None], n),
        "manager": rng.choice(["Иванова Анна", "Петров Пётр", "  ", "", None, np.nan], n),
        "contact_channel": "email", "contact": [f"c{i}@example.ru" for i in range(n)],
        "lifecycle_state": rng.choice(["active", "sleeping", "churned"], n),
        "risk_stage": rng.choice(np.array(STAGES, dtype=object), n, p=[0.3, 0.3, 0.2, 0.1, 0.1]),
        "risk_score": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 1, n)), "value_tier": "gold",
        "expected_value": value * 2, "value_at_risk": value, "action_level": rng.integers(1, 5, n).astype(float),
        "recommended_action": rng.choice(["Звонок менеджера", None], n), "reasons": [["ультиматум"]] * n,
        "reasons_text": "ультиматум; тон упал", "reason_codes": [codes(i) for i in range(n)],
        "dominant_reason": rng.choice(CODES + [None], n),
        "silence_days": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 500, n).astype(float)),
        "contact_gap_days": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 60, n).astype(float)),
        "contact_gaps": rng.integers(0, 6, n), "cycle_days": np.where(rng.random(n) < 0.3, np.nan, 45.0),
        "health_score": 50.0, "health_band": "watch",
    })


def same(*args, **kwargs):
    new, old = build_alerts(*args, **kwargs), build_alerts_by_customer(*args, **kwargs)
    assert new.first_run == old.first_run
    for name in ("alerts", "digests", "history"):
        pd.testing.assert_frame_equal(getattr(new, name), getattr(old, name), check_dtype=True)
    return new


@pytest.mark.parametrize("budget", [3, 1000])
def test_next_run_equals_the_per_customer_definition(budget):
    today = random_verdict(2000, 3)
    rng = np.random.default_rng(4)
    known = today.sample(1500, random_state=5)
    before = pd.DataFrame({"customer_id": known["customer_id"],
                           "risk_stage": rng.choice(np.array(STAGES, dtype=object), len(known)),
                           "risk_score": rng.uniform(0, 1, len(known))})
    out = same(today, before, AS_OF, {"alerts": {"daily_budget_per_manager": budget}})
    decisions = set(out.history["decision"])
    assert {"alert", "already_at_risk", "not_in_risk", "win_back", "still_buying",
            "silence_within_rhythm"} <= decisions
    assert ("over_budget" in decisions) == (budget == 3) and len(out.alerts) > 5


def test_first_run_equals_the_per_customer_definition():
    out = same(random_verdict(1500, 8), None, AS_OF, {"alerts": {"pii": "full"}})
    assert out.first_run and len(out.digests) >= 2 and (out.history["decision"] == "digest").sum() > 100


def test_empty_previous_and_empty_verdict():
    today = random_verdict(50, 9)
    none_before = today.iloc[:0][["customer_id", "risk_stage", "risk_score"]]
    same(today, none_before, AS_OF)
    same(today.iloc[:0], none_before, AS_OF)
    # an empty first run: nothing to send (the per-customer pass raised a KeyError here)
    out = build_alerts(today.iloc[:0], None, AS_OF)
    assert out.alerts.empty and out.digests.empty and out.history.empty
