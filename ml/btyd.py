"""Buy-till-you-die models with scipy: BG/NBD, Pareto/NBD, Gamma-Gamma and CLV.

Conventions follow the Fader-Hardie papers and the ``lifetimes`` package:

* ``frequency`` (x)  - number of *repeat* purchases (purchase days after the first one),
* ``recency`` (t_x)  - time between the first and the last purchase,
* ``T``              - time between the first purchase and the end of the calibration period,
* ``monetary_value`` - mean value of the repeat purchases (0 for x == 0).

All models are fitted by maximum likelihood on log-parameters (L-BFGS-B, numeric gradients) over
the *distinct* (x, t_x, T) rows with counts as weights, so a million customers cost little more
than a few thousand.  No Dagster, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "ParetoNBDModel",
    "customer_lifetime_value",
    "rfm_summary",
]

_TIME_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def _to_ts(x) -> pd.Timestamp:
    return pd.Timestamp(x.isoformat() if isinstance(x, (date, datetime)) else x).tz_localize(None)


def rfm_summary(
    orders: pd.DataFrame,
    cutoff,
    time_unit: str = "W",
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    status_col: str | None = "status",
) -> pd.DataFrame:
    """(frequency, recency, T, monetary_value) per customer from orders strictly before ``cutoff``.

    Purchases are aggregated per calendar day (several orders on one day are one purchase, their
    amounts summed), as in lifetimes' ``summary_data_from_transaction_data``.  Only completed
    orders count when a ``status`` column is present.  ``T`` is measured to the cutoff.
    """
    cut = _to_ts(cutoff)
    unit = _TIME_UNITS[time_unit]
    cols = [customer_col, date_col, amount_col]
    if status_col and status_col in orders.columns:
        o = orders.loc[orders[status_col].fillna("completed").eq("completed"), cols]
    else:
        o = orders[cols]
    d = pd.to_datetime(o[date_col]).dt.tz_localize(None) if len(o) else pd.Series(dtype="datetime64[ns]")
    day = d.dt.floor("D")
    mask = (day < cut).to_numpy()
    df = pd.DataFrame(
        {"customer_id": o[customer_col].to_numpy()[mask], "day": day.to_numpy()[mask],
         "amount": pd.to_numeric(o[amount_col], errors="coerce").fillna(0.0).to_numpy()[mask]}
    )
    daily = df.groupby(["customer_id", "day"], sort=False, observed=True)["amount"].sum().reset_index()
    g = daily.groupby("customer_id", sort=True, observed=True)
    first = g["day"].min()
    last = g["day"].max()
    n = g.size()
    total = g["amount"].sum()
    first_amt = daily.sort_values("day").groupby("customer_id", observed=True)["amount"].first()
    out = pd.DataFrame(index=first.index)
    out["frequency"] = (n - 1).astype(float)
    out["recency"] = (last - first).dt.days / unit
    out["T"] = (cut - first).dt.days / unit
    rep_total = total - first_amt.reindex(out.index)
    out["monetary_value"] = np.where(out["frequency"] > 0, rep_total / out["frequency"].clip(lower=1), 0.0)
    out.index.name = "customer_id"
    return out


def _arr(*xs):
    return [np.asarray(x, dtype=float) for x in xs]


def _compress(frequency, recency, T):
    """Distinct (x, t_x, T) rows and counts - the likelihood only depends on them."""
    df = pd.DataFrame({"x": frequency, "tx": recency, "T": T})
    g = df.groupby(["x", "tx", "T"], sort=False).size().reset_index(name="w")
    return g["x"].to_numpy(float), g["tx"].to_numpy(float), g["T"].to_numpy(float), g["w"].to_numpy(float)


def _fit_inputs(frequency, recency, T, weights=None):
    """(x, t_x, T, weights) for a fit: distinct rows with their counts unless weights are given."""
    x, tx, TT = _arr(frequency, recency, T)
    if weights is None:
        return _compress(x, tx, TT)
    return x, tx, TT, np.asarray(weights, float)


class _TotalLogLikelihood:
    """Shared by the BG/NBD and Pareto/NBD models: the sum of ``individual_log_likelihood``."""

    def log_likelihood(self, frequency, recency, T, params=None) -> float:
        return float(np.sum(self.individual_log_likelihood(params or self.params_, frequency, recency, T)))


_LOG_BOUND = 12.0


def _fit(negll, x0, names):
    best = None
    for start in x0:
        res = optimize.minimize(negll, np.log(start), method="L-BFGS-B", bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(start))
        if best is None or res.fun < best.fun:
            best = res
    return dict(zip(names, np.exp(best.x))), -best.fun, best


# a parameter beyond e^±9 (8,100 or 1/8,100) is running away: real bases fit within e^±5
_LOG_RUNAWAY = _LOG_BOUND - 3


def _converged(res) -> bool:
    """The optimiser stopped on its own criterion at finite parameters away from the search bounds
    (a parameter running to a bound means the data do not identify the model, e.g. too few
    repeaters). How far it runs before the optimiser stops on a flat likelihood depends on the
    SciPy version (e^10 with 1.17, the bound e^12 before), hence the margin."""
    return bool(res.success) and bool(np.all(np.isfinite(res.x))) and bool(np.all(np.abs(res.x) < _LOG_RUNAWAY))


# --------------------------------------------------------------------------------------- BG/NBD
@dataclass
class BetaGeoModel(_TotalLogLikelihood):
    """BG/NBD (Fader, Hardie & Lee 2005)."""

    penalizer: float = 0.0
    params_: dict = field(default_factory=dict)
    log_likelihood_: float = float("nan")
    converged_: bool = False       # see _converged: False means the fit is not to be trusted

    @staticmethod
    def individual_log_likelihood(params, frequency, recency, T) -> np.ndarray:
        r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b")) if isinstance(params, dict) else params
        x, tx, T = _arr(frequency, recency, T)
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
                          -np.inf)
        return a1 + a2 + np.logaddexp(a3, a4)

    def fit(self, frequency, recency, T, weights=None) -> BetaGeoModel:
        x, tx, TT, w = _fit_inputs(frequency, recency, T, weights)
        pen = self.penalizer

        def negll(lp):
            p = np.exp(lp)
            ll = self.individual_log_likelihood(p, x, tx, TT)
            return -(np.sum(w * ll) / w.sum()) + pen * np.sum(p**2)

        scale = max(float(np.mean(TT)), 1e-6)
        params, _, res = _fit(negll, [np.array([0.5, scale, 1.0, 2.0]), np.array([1.0, scale / 4, 0.5, 5.0])],
                              ["r", "alpha", "a", "b"])
        self.params_ = params
        self.converged_ = _converged(res)
        self.log_likelihood_ = float(np.sum(w * self.individual_log_likelihood(params, x, tx, TT)))
        return self

    def _p(self):
        if not self.params_:
            raise RuntimeError("model is not fitted")
        return self.params_["r"], self.params_["alpha"], self.params_["a"], self.params_["b"]

    def conditional_probability_alive(self, frequency, recency, T) -> np.ndarray:
        r, alpha, a, b = self._p()
        x, tx, T = _arr(frequency, recency, T)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_odds = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                        + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
        log_odds = np.where(x > 0, log_odds, -np.inf)
        return special.expit(-log_odds)

    def expected_purchases(self, t) -> np.ndarray:
        """Unconditional E[X(t)] for a new customer."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, float)
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)

    def conditional_expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL 2005, eq. 10)."""
        r, alpha, a, b = self._p()
        x, tx, T = _arr(frequency, recency, T)
        t = np.asarray(t, float)
        z = t / (alpha + T + t)
        log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + T + t))
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        num = 1.0 - np.exp(log_ratio) * hyp
        # hyp2f1 can misbehave for very large x; the quantity is bounded by the alive-rate forecast
        p_alive = self.conditional_probability_alive(x, tx, T)
        res = (a + b + x - 1) / (a - 1) * num * p_alive
        upper = p_alive * (r + x) / (alpha + T) * t
        bad = ~np.isfinite(res) | (res < 0) | (res > upper * 1.0000001)
        return np.where(bad, upper, res)

    def conditional_probability_no_purchase(self, t, frequency, recency, T) -> np.ndarray:
        """P(Y(t) = 0 | x, t_x, T) = 1 - P(alive) + P(alive) * ((a+T)/(a+T+t))^(r+x).

        Under BG/NBD dropout happens only right after a purchase, so a customer alive now who buys
        nothing in (T, T+t] stays alive; given alive, lambda ~ Gamma(r + x, alpha + T).
        """
        r, alpha, a, b = self._p()
        x, tx, T = _arr(frequency, recency, T)
        pa = self.conditional_probability_alive(x, tx, T)
        return 1 - pa + pa * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + np.asarray(t, float))))


# ------------------------------------------------------------------------------------ Pareto/NBD
def _log_hyp2f1_c_eq_a_plus_1(n, b, z):
    """log 2F1(n, b; n + 1; z) for z in [0, 1), n > 0, b > 0, without overflow.

    Pfaff/Euler transform: 2F1(n, b; n+1; z) = (1 - z)^(-b) 2F1(1, b; n+1; z / (z - 1)); the
    second factor lies in (0, 1] for z / (z - 1) <= 0, so it never overflows even when b is large.
    """
    w = z / (z - 1.0)
    h = special.hyp2f1(1.0, b, n + 1.0, w)
    return -b * np.log1p(-z) + np.log(h)


@dataclass
class ParetoNBDModel(_TotalLogLikelihood):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987), likelihood as in Fader-Hardie (2005) note.

    L = Γ(r+x)/Γ(r) α^r β^s [ (α+T)^-(r+x) (β+T)^-s + s I ],
    I = ∫_{t_x}^{T} (α+y)^-(r+x) (β+y)^-(s+1) dy = F(t_x) - F(T),
    F(y) = 2F1(r+s+x, s+1 ; r+s+x+1 ; (α-β)/(α+y)) / ((r+s+x) (α+y)^(r+s+x))  (α ≥ β; swapped otherwise).
    Everything is evaluated in log space; 2F1 through :func:`_log_hyp2f1_c_eq_a_plus_1`.
    """

    penalizer: float = 0.0
    params_: dict = field(default_factory=dict)
    log_likelihood_: float = float("nan")

    @staticmethod
    def _log_terms(params, x, tx, T):
        r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta")) if isinstance(params, dict) else params
        n = r + s + x
        if alpha >= beta:
            big, bexp, diff = alpha, s + 1.0, alpha - beta
        else:
            big, bexp, diff = beta, r + x, beta - alpha

        def log_f(y):
            z = diff / (big + y)
            return _log_hyp2f1_c_eq_a_plus_1(n, bexp, z) - np.log(n) - n * np.log(big + y)

        lf_tx, lf_T = log_f(tx), log_f(T)
        with np.errstate(divide="ignore", invalid="ignore"):
            # log(F(tx) - F(T)); F is decreasing in y, equal at tx == T
            log_i = lf_tx + np.log(-np.expm1(np.minimum(lf_T - lf_tx, 0.0)))
        log_i = np.where(T > tx, log_i, -np.inf)
        log_t1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        log_t2 = np.log(s) + log_i
        const = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        return const, log_t1, log_t2

    @classmethod
    def individual_log_likelihood(cls, params, frequency, recency, T) -> np.ndarray:
        x, tx, T = _arr(frequency, recency, T)
        const, t1, t2 = cls._log_terms(params, x, tx, T)
        return const + np.logaddexp(t1, t2)

    def fit(self, frequency, recency, T, weights=None) -> ParetoNBDModel:
        x, tx, TT, w = _fit_inputs(frequency, recency, T, weights)
        pen = self.penalizer

        def negll(lp):
            p = np.exp(lp)
            ll = self.individual_log_likelihood(p, x, tx, TT)
            if not np.all(np.isfinite(ll)):
                return 1e10
            return -(np.sum(w * ll) / w.sum()) + pen * np.sum(p**2)

        scale = max(float(np.mean(TT)), 1e-6)
        params, _, _ = _fit(negll, [np.array([0.5, scale, 0.5, scale]), np.array([1.0, scale / 4, 1.0, scale * 2])],
                            ["r", "alpha", "s", "beta"])
        self.params_ = params
        self.log_likelihood_ = float(np.sum(w * self.individual_log_likelihood(params, x, tx, TT)))
        return self

    def conditional_probability_alive(self, frequency, recency, T) -> np.ndarray:
        if not self.params_:
            raise RuntimeError("model is not fitted")
        x, tx, T = _arr(frequency, recency, T)
        _, t1, t2 = self._log_terms(self.params_, x, tx, T)
        return np.exp(t1 - np.logaddexp(t1, t2))

    def conditional_expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T] = (r+x)(β+T)/((α+T)(s-1)) [1 - ((β+T)/(β+T+t))^(s-1)] P(alive)."""
        p = self.params_
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        x, tx, T = _arr(frequency, recency, T)
        t = np.asarray(t, float)
        pa = self.conditional_probability_alive(x, tx, T)
        if abs(s - 1.0) < 1e-8:  # limit s -> 1
            tail = (beta + T) * np.log((beta + T + t) / (beta + T))
            return (r + x) / (alpha + T) * tail * pa
        tail = (beta + T) / (s - 1) * (1 - np.exp((s - 1) * (np.log(beta + T) - np.log(beta + T + t))))
        return (r + x) / (alpha + T) * tail * pa


# ----------------------------------------------------------------------------------- Gamma-Gamma
@dataclass
class GammaGammaModel:
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013 note).

    Fit on repeat customers (x > 0) with their mean repeat-transaction value m̄.
    """

    penalizer: float = 0.0
    params_: dict = field(default_factory=dict)
    log_likelihood_: float = float("nan")

    @staticmethod
    def individual_log_likelihood(params, frequency, monetary_value) -> np.ndarray:
        p, q, v = (params[k] for k in ("p", "q", "v")) if isinstance(params, dict) else params
        x, m = _arr(frequency, monetary_value)
        return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
                + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(v + m * x))

    def fit(self, frequency, monetary_value) -> GammaGammaModel:
        x, m = _arr(frequency, monetary_value)
        keep = (x > 0) & (m > 0) & np.isfinite(m)
        x, m = x[keep], m[keep]
        if len(x) < 3:
            raise ValueError("Gamma-Gamma needs at least 3 repeat customers with positive spend")
        pen = self.penalizer

        def negll(lp):
            par = np.exp(lp)
            return -np.mean(self.individual_log_likelihood(par, x, m)) + pen * np.sum(par**2)

        mean = float(np.mean(m))
        params, _, _ = _fit(negll, [np.array([2.0, 3.0, mean]), np.array([5.0, 4.0, mean / 2])], ["p", "q", "v"])
        self.params_ = params
        self.log_likelihood_ = float(np.sum(self.individual_log_likelihood(params, x, m)))
        return self

    def conditional_expected_average_profit(self, frequency, monetary_value) -> np.ndarray:
        """E[M | x, m̄] = (p(v + x m̄)) / (p x + q - 1): a weighted mean of population mean and m̄."""
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        x, m = _arr(frequency, monetary_value)
        m = np.where(x > 0, np.nan_to_num(m), 0.0)
        return p * (v + x * m) / (p * x + q - 1)

    def population_mean(self) -> float:
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        return p * v / (q - 1)


def customer_lifetime_value(
    transaction_model,
    spend_model: GammaGammaModel,
    frequency,
    recency,
    T,
    monetary_value,
    horizon_periods: int = 12,
    period_length: float = 30.0,
    discount_rate: float = 0.01,
) -> np.ndarray:
    """Discounted CLV: Σ_i (E[Y(i·L)] - E[Y((i-1)·L)]) · E[M] / (1 + d)^i for i = 1..horizon_periods.

    ``period_length`` is in the time unit the transaction model was fitted in (30 for daily data and
    monthly periods, 4.345 for weekly data); ``discount_rate`` is per period.
    """
    x, tx, TT, m = _arr(frequency, recency, T, monetary_value)
    value = spend_model.conditional_expected_average_profit(x, m)
    clv = np.zeros_like(x)
    prev = np.zeros_like(x)
    for i in range(1, horizon_periods + 1):
        cur = transaction_model.conditional_expected_purchases(i * period_length, x, tx, TT)
        clv += (cur - prev) * value / (1 + discount_rate) ** i
        prev = cur
    return clv
