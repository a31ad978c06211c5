"""The decisions of the ML steps (ml.steps): quiet customers, retrain-or-reuse, notification."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import pandas as pd

from ml.steps import customer_btyd, model_for, notify, with_every_customer

AS_OF = dt.date(2026, 11, 15)
LOG = logging.getLogger("test")


def test_a_customer_without_correspondence_has_health_100_and_a_delta_against_the_previous_run():
    scores = pd.DataFrame({"customer_id": ["a"], "as_of": [AS_OF], "health_score": [40.0], "risk_points": [6.0],
                           "health_band": ["at_risk"], "top_reasons": ["ultimatum"], "health_delta": [-10.0]})
    previous = pd.DataFrame({"customer_id": ["a", "b"], "health_score": [50.0, 80.0]})
    out = with_every_customer(scores, pd.Series(["a", "b", "c", None]), AS_OF, previous).set_index("customer_id")
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["b", "health_score"] == 100.0 and out.loc["b", "health_band"] == "healthy"
    assert out.loc["b", "health_delta"] == 20.0 and pd.isna(out.loc["c", "health_delta"])
    assert out.loc["a", "health_score"] == 40.0  # scored customers are left alone


@dataclass
class FakeModel:
    kind: str
    as_of: dt.date
    config: dict
    model_kind: str = "hgb"
    fallback_reason: str = ""
    data_hash: str = "abc"
    metrics: dict = field(default_factory=dict)


def test_a_saved_model_is_reused_until_retraining_is_due_and_never_one_that_saw_the_future(tmp_path):
    config = {"model_store": {"retrain_every_days": 7}}
    trained = []

    def train(data, as_of, cfg):
        trained.append(as_of)
        return FakeModel("churn", as_of, cfg)

    first, new = model_for("churn", train, None, AS_OF, config, tmp_path, LOG)
    assert new and trained == [AS_OF]
    again, new = model_for("churn", train, None, AS_OF + dt.timedelta(days=3), config, tmp_path, LOG)
    assert not new and again.as_of == AS_OF  # reused: 3 days old
    _, new = model_for("churn", train, None, AS_OF + dt.timedelta(days=8), config, tmp_path, LOG)
    assert new  # due
    _, new = model_for("churn", train, None, AS_OF - dt.timedelta(days=30), config, tmp_path, LOG)
    assert new and trained[-1] == AS_OF - dt.timedelta(days=30)  # a back-fill trains its own
    _, new = model_for("churn", train, None, AS_OF + dt.timedelta(days=9), {**config, "x": 1}, tmp_path, LOG)
    assert new  # configuration changed


def test_a_fallback_is_never_saved(tmp_path):
    def train(data, as_of, cfg):
        return FakeModel("churn", as_of, cfg, model_kind="recency", fallback_reason="too_few_buyers: 3")

    model_for("churn", train, None, AS_OF, {}, tmp_path, LOG)
    assert list(tmp_path.iterdir()) == []


def test_no_webhook_or_no_alerts_posts_nothing():
    alerts = pd.DataFrame({"customer_id": ["a"]})
    assert notify(alerts, None, "slack", None) == 0
    assert notify(alerts.iloc[0:0], "http://127.0.0.1:9/hook", "slack", None) == 0


def test_btyd_frame_carries_the_fit_status_and_the_horizon():
    features = pd.DataFrame({"customer_id": ["a"], "frequency": [2], "recency_days": [30], "tenure_days": [100],
                             "p_alive": [0.8], "btyd_expected_purchases": [1.2], "btyd_p_no_purchase": [0.3]})
    features.attrs.update(btyd_status="ok", btyd_params={"r": 0.2})
    out = customer_btyd(features, {"features": {"btyd": {"horizon_days": 90}}})
    assert list(out.columns[:7]) == ["customer_id", "frequency", "recency_days", "tenure_days", "p_alive",
                                     "expected_purchases", "p_no_purchase"]
    assert out.loc[0, "horizon_days"] == 90 and out.loc[0, "btyd_status"] == "ok" and '"r": 0.2' in out.loc[0, "btyd_params"]
