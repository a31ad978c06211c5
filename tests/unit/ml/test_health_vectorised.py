"""The vectorised health_scores equals the per-customer definition (health_scores_by_customer) row for
row: scores, bands, deltas, reasons, factors and their evidence, on hand-made edge cases and on a
random frame with every factor, missing values, duplicated customers and a previous snapshot."""
import json

import numpy as np
import pandas as pd
import pytest

from ml.health import health_scores, health_scores_by_customer

AS_OF = "2025-06-30"
MARKERS = ["price_complaint", "billing_complaint", "refund_request", "ultimatum", "data_export", "competitor",
           "passive_aggressive"]


def same(*args, **kwargs):
    new = health_scores(*args, **kwargs)
    old = health_scores_by_customer(*args, **kwargs)
    for got, want in zip(new, old):
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=True)
    return new


def random_inputs(n: int, seed: int):
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:05d}" for i in rng.permutation(n)], dtype=object)

    def counts(p=0.15, hi=5):
        return np.where(rng.random(n) < p, rng.integers(1, hi, n), 0)

    tone = np.round(rng.uniform(-1, 1, (2, n)), rng.integers(1, 4))
    tone[:, rng.random(n) < 0.2] = np.nan
    tone[0, rng.random(n) < 0.02] = -0.0
    phrases = ["верните деньги", "выгрузите данные", "у конкурента дешевле", "это последний раз"]
    evidence = [json.dumps({m: list(rng.choice(phrases, rng.integers(1, 3))) for m in rng.choice(MARKERS, 2)},
                           ensure_ascii=False) if rng.random() < 0.5 else rng.choice(["{}", "", "not json", "[1]"])
                for _ in range(n)]
    silence = rng.integers(0, 200, n).astype(float)
    trends = pd.DataFrame({
        "customer_id": ids, "tone_recent": tone[0], "tone_previous": tone[1], "negative_recent": counts(0.3, 6),
        "formalisation": rng.choice([True, False, np.nan, None], n, p=[0.1, 0.8, 0.05, 0.05]),
        "formal_share_recent": rng.uniform(0, 1, n), "formal_share_previous": np.where(rng.random(n) < 0.3, np.nan,
                                                                                       rng.uniform(0, 1, n)),
        "passive_aggressive_recent": counts(0.1, 4), "ultimatum_recent": counts(0.05), "competitor_recent": counts(0.1),
        "data_export_recent": counts(0.05), "price_complaint_recent": counts(0.2), "billing_complaint_recent": counts(),
        "refund_request_recent": counts(0.05),
        "competitor_names_recent": rng.choice(["amoCRM", "amoCRM;Bitrix24", "", None, np.nan], n),
        "evidence_recent": evidence, "silence_days": silence, "silent_30": silence > 30, "silent_90": silence > 90,
    })
    trends["negative_recent"] = np.where(rng.random(n) < 0.05, 2.7, trends["negative_recent"])  # truncated like int()
    trends = pd.concat([trends, trends.sample(20, random_state=seed).assign(ultimatum_recent=1)])  # last row wins
    k = n // 2
    tickets = pd.DataFrame({
        "customer_id": np.concatenate([ids[:k - 30], [f"T{i}" for i in range(30)]]),
        "reopen_rate": np.where(rng.random(k) < 0.1, np.nan, rng.uniform(0, 1, k)),
        "reopen_flag": rng.random(k) < 0.3, "reopened_tickets": rng.integers(0, 4, k),
        "tickets_window": rng.integers(0, 8, k), "billing_price_share": rng.choice([np.nan, 0.0, 0.25, 0.3, 0.5, 1.0], k),
        "median_resolution_hours": np.where(rng.random(k) < 0.2, np.nan, rng.uniform(0, 200, k)),
    })
    m = n // 3
    last = pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 40 * 24 * 60, m), unit="min")
    replies = pd.DataFrame({
        "customer_id": np.concatenate([ids[-m + 10:], [f"R{i}" for i in range(10)]]),
        "unanswered_turns": counts(0.4, 6)[:m], "inbound_turns": rng.integers(0, 10, m),
        "last_unanswered_at": pd.Series(last).where(rng.random(m) < 0.6),
        "templated_share": np.where(rng.random(m) < 0.1, np.nan, rng.choice([0.0, 0.4, 0.5, 0.75, 1.0], m)),
        "outbound_messages": rng.integers(0, 6, m), "templated_outbound": rng.integers(0, 4, m),
    })
    previous = pd.DataFrame({"customer_id": ids[: n // 2],
                             "health_score": np.where(rng.random(n // 2) < 0.1, np.nan,
                                                      np.round(rng.uniform(0, 100, n // 2), 1))})
    return trends, tickets, replies, previous


@pytest.mark.parametrize("language", ["ru", "en"])
def test_random_frame_equals_the_per_customer_definition(language):
    trends, tickets, replies, previous = random_inputs(3000, 7)
    scores, factors = same(trends, tickets, AS_OF, {"reasons_language": language}, previous, replies)
    # the case is not trivial: every factor fires, scores and bands spread, some deltas known
    assert set(factors["factor"]) >= {"tone_drop", "negative_tone", "competitor", "formalisation", "silence_90",
                                      "silence_30", "reopen_rate", "billing_tickets", "slow_resolution",
                                      "unanswered", "templated_replies", "passive_aggression"}
    assert scores["health_band"].nunique() == 4 and scores["health_delta"].notna().sum() > 1000
    assert (scores["top_reasons"].str.count(r" \+ ") == 2).any()


def test_config_changes_and_odd_templates_equal_the_per_customer_definition():
    trends, tickets, replies, previous = random_inputs(600, 11)
    cfg = {"risk_cap": 17, "top_reasons": 2, "bands": {"healthy": 90, "watch": 50, "at_risk": 20},
           "factors": {"competitor": {"points": 2.5, "per_event": True, "max_events": 3}},
           "reason_templates": {"ru": {"tone_drop": "{tone_recent:.3f} / {window}", "competitor": "{names} {missing}",
                                       "silence_30": "{0}", "negative_tone": "нет шаблона {", "unanswered": "{hours}"}}}
    scores, factors = same(trends, tickets, AS_OF, cfg, previous, replies)
    assert (factors.loc[factors["factor"] == "competitor", "points"] == 7.5).any()


def test_hand_made_edge_cases():
    trends = pd.DataFrame({"customer_id": ["B", "A", "C"], "tone_recent": [-0.0, 0.1, np.nan],
                           "tone_previous": [0.5, 0.6, 0.9], "negative_recent": [0, 4, 1],
                           "evidence_recent": ['{"ultimatum": ["последний раз"]}', None, "{}"],
                           "ultimatum_recent": [1, 0, 1], "silence_days": [40, 95, 10],
                           "silent_30": [True, True, False], "silent_90": [False, True, False]})
    scores, factors = same(trends, None, AS_OF, {}, None, None)
    s = scores.set_index("customer_id")
    # B: tone 0.5 -> -0.0 (6) + ultimatum (10) + silence 40 d (8) = 24 -> 20.0
    assert s.loc["B", "risk_points"] == 24.0 and s.loc["B", "health_score"] == 20.0
    assert s.loc["B", "top_reasons"] == "ультиматум + молчит 40 дн. + тон упал 0.5 → -0.0 за 30 дн."
    assert list(scores["customer_id"]) == ["A", "B", "C"]
    ev = factors.set_index(["customer_id", "factor"])["evidence"]
    assert ev[("B", "ultimatum")] == "«последний раз»" and ev[("C", "ultimatum")] == "ультиматум"


def test_empty_inputs():
    same(None, None, AS_OF, {})
    scores, factors = same(pd.DataFrame({"customer_id": ["A"], "negative_recent": [0]}), None, AS_OF, {})
    assert scores["health_score"].tolist() == [100.0] and factors.empty
