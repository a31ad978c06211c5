"""Expected value over the BTYD horizon (ml.features.scores.clv_outputs, ml.customer_btyd):
Gamma-Gamma x BG/NBD when both are identified, past revenue per month otherwise."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.features.scores import clv_outputs
from ml.steps import customer_btyd


def _features(n=400, seed=1, status="ok"):
    rng = np.random.default_rng(seed)
    freq = rng.integers(1, 8, n).astype(float)
    freq[:20] = 0  # never bought
    level = rng.gamma(6.0, 1000.0, n)  # each customer's own mean order value
    avg = np.where(freq > 0, level * rng.gamma(20.0, 1 / 20.0, n), 0.0)
    f = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)], "frequency": freq, "monetary_avg": avg,
        "monetary_total": avg * freq, "tenure_days": np.full(n, 365.25), "recency_days": np.full(n, 30.0),
        "p_alive": np.where(freq > 0, 0.5, np.nan), "btyd_expected_purchases": np.where(freq > 0, 2.0, 0.0),
        "btyd_p_no_purchase": np.where(freq > 0, 0.4, 1.0)})
    f.attrs["btyd_status"] = status
    return f


def test_gamma_gamma_times_expected_purchases_when_both_models_fit():
    f = _features()
    out = clv_outputs(f, 90)
    buyers = f["frequency"] > 0
    assert (out.loc[buyers, "value_source"] == "clv_gamma_gamma").all()
    assert out.loc[~buyers].isna().all().all()  # never-buyers: no value at all
    # expected value = E[spend | x, m] x 2 expected purchases; if retained = / P(alive) 0.5
    assert np.allclose(out.loc[buyers, "expected_value"], 2 * out.loc[buyers, "expected_spend"], atol=0.02)
    assert np.allclose(out.loc[buyers, "value_if_retained"], 2 * out.loc[buyers, "expected_value"], atol=0.05)
    # Gamma-Gamma shrinks each customer's mean toward the population mean: between the two, and
    # close to the customer's own mean for frequent buyers
    pop = f.loc[buyers, "monetary_avg"].mean()
    spend, own = out.loc[buyers, "expected_spend"], f.loc[buyers, "monetary_avg"]
    repeat = f.loc[buyers, "frequency"] > 1
    between = (spend[repeat] - own[repeat]) * (spend[repeat] - pop) <= 1e-6
    assert between.mean() > 0.95
    one_timers = f.loc[buyers, "frequency"] == 1
    assert spend[one_timers].nunique() == 1  # the population mean, the same for every one-time buyer
    assert spend[one_timers].iloc[0] == pytest.approx(pop, rel=0.15)


@pytest.mark.parametrize("status", ["too_few_repeaters", "not_converged", "disabled", None])
def test_past_revenue_when_bgnbd_is_not_fitted(status):
    f = _features(status=status)
    out = clv_outputs(f, 90)
    buyers = f["frequency"] > 0
    assert (out.loc[buyers, "value_source"] == "past_revenue").all()
    # net revenue per month of tenure (12 months) x the horizon in months (90 / 30.4375)
    expected = f.loc[buyers, "monetary_total"] / 12 * (90 / 30.4375)
    assert np.allclose(out.loc[buyers, "expected_value"], expected, atol=0.01)
    assert np.allclose(out.loc[buyers, "value_if_retained"], expected, atol=0.01)


def test_past_revenue_when_too_few_repeat_buyers_for_gamma_gamma():
    f = _features(n=30)
    f.loc[3:, "frequency"] = 1.0  # only c0..c2 could be repeaters, and c0..c19 never bought
    f["monetary_total"] = f["monetary_avg"] * f["frequency"]
    out = clv_outputs(f, 90)
    assert set(out["value_source"].dropna()) == {"past_revenue"}


def test_customer_btyd_carries_the_value_columns():
    f = _features(n=100)
    out = customer_btyd(f, {"features": {"btyd": {"horizon_days": 90}}})
    for column in ("expected_spend", "expected_value", "value_if_retained", "value_source"):
        assert column in out
    assert len(out) == 100 and out["value_source"].notna().sum() == int((f["frequency"] > 0).sum())
