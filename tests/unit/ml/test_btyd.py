"""BTYD models against published values, analytic identities and parameter recovery.

The full CDNOW calibration sample is not shipped here (no downloads), so the published
log-likelihood (-9582.4) is not re-evaluated; instead: the Fader-Hardie-Lee (2005) worked example
(x=2, t_x=30.43, T=38.86 weeks -> 1.226 expected purchases in the next 39 weeks at the published
CDNOW parameters), analytic identities, and recovery of the published parameters from data
simulated with them.
"""
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from ml.btyd import BetaGeoModel, GammaGammaModel, ParetoNBDModel, customer_lifetime_value, rfm_summary

CDNOW_BG = dict(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)
CDNOW_PARETO = dict(r=0.5534, alpha=10.5802, s=0.6061, beta=11.6656)
CDNOW_GG = dict(p=6.25, q=3.74, v=15.44)


def _bg(params=CDNOW_BG):
    m = BetaGeoModel()
    m.params_ = dict(params)
    return m


def simulate_bgnbd(n, params, T, rng, holdout=0.0):
    """x, t_x in (0, T] and repeat purchases in (T, T + holdout]."""
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    t = np.zeros(n)
    x = np.zeros(n)
    tx = np.zeros(n)
    hold = np.zeros(n)
    alive = np.ones(n, bool)
    end = T + holdout
    while alive.any():
        t = t + rng.exponential(1.0 / np.maximum(lam, 1e-12))
        buy = alive & (t < end)
        cal = buy & (t < T)
        x[cal] += 1
        tx[cal] = t[cal]
        hold[buy & (t >= T)] += 1
        alive = buy & (rng.random(n) >= p)
    return x, tx, hold


def test_fhl2005_worked_example():
    m = _bg()
    e = float(m.conditional_expected_purchases(39, 2, 30.43, 38.86))
    assert e == pytest.approx(1.226, abs=5e-4)
    pa = float(m.conditional_probability_alive(2, 30.43, 38.86))
    assert 0.70 < pa < 0.75
    # x = 0 customers are alive with certainty under BG/NBD
    assert float(m.conditional_probability_alive(0, 0, 38.86)) == 1.0


def test_bgnbd_identities():
    m = _bg()
    # a brand-new customer (x = t_x = T = 0): conditional forecast == unconditional E[X(t)]
    for t in (1.0, 10.0, 39.0, 78.0):
        assert float(m.conditional_expected_purchases(t, 0, 0, 0)) == pytest.approx(float(m.expected_purchases(t)),
                                                                                      rel=1e-9)
    # likelihood of x = 0 is the NBD zero term: (alpha / (alpha + T))^r
    ll0 = BetaGeoModel.individual_log_likelihood(CDNOW_BG, 0, 0, 38.86)
    assert float(ll0) == pytest.approx(0.2426 * np.log(4.4135 / (4.4135 + 38.86)), rel=1e-12)
    # P(no purchase) is between 1 - P(alive) and 1, and decreases with the horizon
    p1 = m.conditional_probability_no_purchase(10, 2, 30.43, 38.86)
    p2 = m.conditional_probability_no_purchase(39, 2, 30.43, 38.86)
    pa = m.conditional_probability_alive(2, 30.43, 38.86)
    assert 1 - pa < p2 < p1 < 1
    # finite for heavy buyers
    assert np.isfinite(m.conditional_expected_purchases(39, 300, 38, 38.86))


def test_bgnbd_recovers_published_parameters_and_forecasts_holdout():
    rng = np.random.default_rng(7)
    n = 20000
    T = rng.uniform(27.0, 39.0, n)  # CDNOW-like staggered entry, weeks
    x, tx, hold = simulate_bgnbd(n, CDNOW_BG, T, rng, holdout=39.0)
    m = BetaGeoModel().fit(x, tx, T)
    p = m.params_
    assert p["r"] == pytest.approx(CDNOW_BG["r"], rel=0.15)
    assert p["alpha"] == pytest.approx(CDNOW_BG["alpha"], rel=0.2)
    assert p["a"] == pytest.approx(CDNOW_BG["a"], rel=0.35)
    assert p["b"] == pytest.approx(CDNOW_BG["b"], rel=0.45)
    # the MLE is at least as likely as the true parameters
    assert m.log_likelihood(x, tx, T) >= m.log_likelihood(x, tx, T, params=CDNOW_BG) - 1e-6
    # out-of-sample: aggregate 39-week forecast within 5 % of what happened
    pred = m.conditional_expected_purchases(39.0, x, tx, T)
    assert pred.sum() == pytest.approx(hold.sum(), rel=0.05)


def _pareto_ll_quad(params, x, tx, T):
    r, a, s, b = params["r"], params["alpha"], params["s"], params["beta"]
    i = integrate.quad(lambda y: np.exp(-(r + x) * np.log(a + y) - (s + 1) * np.log(b + y)), tx, T,
                       epsabs=0, epsrel=1e-12)[0]
    return (special.gammaln(r + x) - special.gammaln(r) + r * np.log(a) + s * np.log(b)
            + np.log((a + T) ** -(r + x) * (b + T) ** -s + s * i))


@pytest.mark.parametrize("params", [CDNOW_PARETO, dict(r=0.8, alpha=15.0, s=0.4, beta=3.0)])
@pytest.mark.parametrize("x,tx,T", [(0, 0, 38.86), (2, 30.43, 38.86), (10, 5.0, 38.0), (50, 10.0, 40.0)])
def test_pareto_likelihood_matches_numerical_integral(params, x, tx, T):
    got = float(ParetoNBDModel.individual_log_likelihood(params, x, tx, T))
    assert got == pytest.approx(_pareto_ll_quad(params, x, tx, T), rel=1e-9, abs=1e-9)


def test_pareto_stable_for_heavy_buyers_and_sane_predictions():
    m = ParetoNBDModel()
    m.params_ = dict(CDNOW_PARETO)
    ll = ParetoNBDModel.individual_log_likelihood(CDNOW_PARETO, [200, 500, 1000], [30, 35, 38], [39, 39, 39])
    assert np.all(np.isfinite(ll))
    pa = m.conditional_probability_alive([0, 2, 2, 20], [0, 30.43, 5, 38], [38.86] * 4)
    assert np.all((pa > 0) & (pa <= 1))
    assert pa[1] > pa[2]  # a recent buyer is more likely alive than one silent for 34 weeks
    e = m.conditional_expected_purchases(39, [2, 2], [30.43, 5.0], [38.86, 38.86])
    assert e[0] > e[1] > 0


def test_pareto_recovers_parameters():
    rng = np.random.default_rng(3)
    n, P = 8000, dict(r=0.55, alpha=10.0, s=0.6, beta=12.0)
    T = rng.uniform(27.0, 39.0, n)
    lam = rng.gamma(P["r"], 1 / P["alpha"], n)
    mu = rng.gamma(P["s"], 1 / P["beta"], n)
    tau = rng.exponential(1 / mu)
    end = np.minimum(tau, T)
    x = rng.poisson(lam * end)
    # given x events on [0, end], t_x is the max of x uniforms
    tx = np.where(x > 0, end * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    m = ParetoNBDModel().fit(x, tx, T)
    assert m.params_["r"] == pytest.approx(P["r"], rel=0.25)
    assert m.params_["alpha"] == pytest.approx(P["alpha"], rel=0.3)
    assert m.log_likelihood(x, tx, T) >= m.log_likelihood(x, tx, T, params=P) - 1e-6


def test_gamma_gamma_published_cdnow_parameters():
    gg = GammaGammaModel()
    gg.params_ = dict(CDNOW_GG)
    # population mean of the average transaction value: p*v/(q-1) = 35.22 (Fader & Hardie 2013)
    assert gg.population_mean() == pytest.approx(35.22, abs=0.01)
    # a customer with x repeat purchases averaging m: weighted mean of population mean and m
    x, mbar = 2, 30.0
    w = (6.25 * x) / (6.25 * x + 3.74 - 1)
    exp = (1 - w) * gg.population_mean() + w * mbar
    assert float(gg.conditional_expected_average_profit(x, mbar)) == pytest.approx(exp, rel=1e-12)
    # p (v + x m) / (p x + q - 1) = 6.25 * 75.44 / 15.24
    assert float(gg.conditional_expected_average_profit(x, mbar)) == pytest.approx(30.938, abs=0.001)
    # with many purchases the customer's own mean dominates
    assert float(gg.conditional_expected_average_profit(100, 80.0)) == pytest.approx(80.0, rel=0.01)


def test_gamma_gamma_recovers_parameters_and_clv():
    rng = np.random.default_rng(11)
    n = 6000
    x = rng.integers(1, 15, n)
    nu = rng.gamma(CDNOW_GG["q"], 1 / CDNOW_GG["v"], n)
    mbar = rng.gamma(CDNOW_GG["p"] * x, 1 / (nu * x))  # mean of x Gamma(p, nu) draws
    gg = GammaGammaModel().fit(x, mbar)
    assert gg.population_mean() == pytest.approx(35.22, rel=0.1)
    assert gg.params_["p"] == pytest.approx(CDNOW_GG["p"], rel=0.2)
    clv = customer_lifetime_value(_bg(), gg, [0, 2, 10], [0, 30.43, 38], [38.86] * 3, [0, 30, 40],
                                  horizon_periods=12, period_length=4.345, discount_rate=0.01)
    assert np.all(clv >= 0) and clv[2] > clv[1] > clv[0]


def test_rfm_summary_lifetimes_convention():
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "c", "c"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-12", "2024-01-29",
                                      "2024-01-01", "2024-03-10"]),
        "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 3.0, 100.0],
        "status": ["completed", "completed", "completed", "completed", "completed", "cancelled", "completed"],
    })
    s = rfm_summary(orders, "2024-02-26", time_unit="D")
    assert s.loc["a", "frequency"] == 2  # two same-day orders = one purchase day
    assert s.loc["a", "recency"] == 42 and s.loc["a", "T"] == 56
    assert s.loc["a", "monetary_value"] == 30.0  # mean of repeat purchases only
    assert s.loc["b", "frequency"] == 0 and s.loc["b", "monetary_value"] == 0
    assert "c" not in s.index  # cancelled order only, completed one after the cutoff
    w = rfm_summary(orders, "2024-02-26", time_unit="W")
    assert w.loc["a", "T"] == pytest.approx(8.0)
