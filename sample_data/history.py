"""Small churn history simulator for tests and the model benchmark: latent churn and toxicity with a
known truth, in the table shapes ``ml.features.build_features`` reads."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_history"]


def _poisson_times(rng, start, end, rate):
    """Homogeneous Poisson events per customer on [start, end) (days, float). -> (owner idx, times)."""
    length = np.clip(end - start, 0, None)
    n = rng.poisson(rate * length)
    owner = np.repeat(np.arange(len(start)), n)
    t = start[owner] + rng.random(len(owner)) * length[owner]
    return owner, t


def _labels(values: list[str], idx: np.ndarray) -> np.ndarray:
    """Object array of shared str objects (as pandas stores text) - not one new string per row."""
    return np.array(values, dtype=object)[idx]


def simulate_history(n_customers: int = 5000, seed: int = 0, start: str = "2023-01-01", days: int = 730,
                     events_rate: float = 0.05, order_rate: float = 1 / 30) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Small synthetic history with latent churn for tests and the benchmark.

    Each customer joins uniformly, buys at a Gamma-distributed Poisson rate until a latent churn day
    (exponential lifetime, shorter for toxic and discount-hunting customers); in the 60 days before
    churning purchases slow down, engagement fades, complaints rise and tone sours - signals that
    BG/NBD (which sees only purchase timing) cannot use. Toxic customers (10 %) complain and use
    manager time persistently. Returns (data dict, truth frame with churn_day / toxic).
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    t0 = pd.Timestamp(start)
    ids = np.array([f"C{i:07d}" for i in range(n)], dtype=object)
    join = rng.random(n) * (days - 60)
    toxic = rng.random(n) < 0.10
    hunter = rng.random(n) < 0.20
    lam = rng.gamma(2.0, order_rate / 2.0, n)
    life = rng.exponential(np.where(toxic | hunter, 200.0, 420.0))
    churn = join + life
    pre = np.maximum(join, churn - 60)
    end = float(days)
    act_end = np.minimum(pre, end)
    # orders: normal phase, slowing phase, none after churn
    o1, t1 = _poisson_times(rng, join, act_end, lam)
    o2, t2 = _poisson_times(rng, np.minimum(pre, end), np.minimum(churn, end), lam * 0.35)
    # first purchase on the join day for most customers
    first = rng.random(n) < 0.85
    o3, t3 = np.nonzero(first)[0], join[first]
    ow = np.concatenate([o1, o2, o3])
    ot = np.concatenate([t1, t2, t3])
    k = len(ow)
    amt_mu = rng.normal(np.log(60), 0.6, n)
    u = rng.random(k)
    ret_p = np.where(toxic[ow], 0.15, 0.03)
    status = _labels(["returned", "cancelled", "completed"], np.where(u < ret_p, 0, np.where(u < ret_p + 0.04, 1, 2)))
    disc = np.where(rng.random(k) < np.where(hunter[ow], 0.7, 0.12), rng.uniform(0.05, 0.3, k), 0.0)
    cats = np.array(["books", "electronics", "home", "toys", "sport", "beauty"], dtype=object)
    pref = rng.integers(0, len(cats), n)
    cat = np.where(rng.random(k) < 0.6, cats[pref[ow]], cats[rng.integers(0, len(cats), k)])
    orders = pd.DataFrame({
        "customer_id": ids[ow],
        "order_date": t0 + pd.to_timedelta(np.floor(ot), unit="D"),
        "amount": np.round(np.exp(amt_mu[ow] + rng.normal(0, 0.4, k)) * (1 - disc), 2),
        "status": status, "category": cat, "discount": np.round(disc, 3),
    })
    # engagement events: active rate, fading rate before churn, trickle after
    er = rng.gamma(2.0, events_rate / 2.0, n)
    e1, te1 = _poisson_times(rng, join, act_end, er)
    e2, te2 = _poisson_times(rng, np.minimum(pre, end), np.minimum(churn, end), er * 0.25)
    e3, te3 = _poisson_times(rng, np.minimum(churn, end), np.full(n, end), er * 0.05)
    ew, et = np.concatenate([e1, e2, e3]), np.concatenate([te1, te2, te3])
    etypes = np.array(["email_open", "email_click", "site_visit", "product_view", "cart_abandon", "unsubscribe"],
                      dtype=object)
    ep = np.array([0.45, 0.15, 0.2, 0.15, 0.045, 0.005])
    events = pd.DataFrame({"customer_id": ids[ew], "occurred_at": t0 + pd.to_timedelta(et, unit="D"),
                           "event_type": etypes[rng.choice(len(etypes), len(ew), p=ep)]})
    # tickets: complaints and questions; toxic customers and pre-churn phase complain more
    base_c = np.where(toxic, 0.03, 0.002)
    k1, tk1 = _poisson_times(rng, join, act_end, base_c + 0.004)
    k2, tk2 = _poisson_times(rng, np.minimum(pre, end), np.minimum(churn, end), base_c * 2 + 0.012)
    kw, kt = np.concatenate([k1, k2]), np.concatenate([tk1, tk2])
    nk = len(kw)
    is_c = rng.random(nk) < np.where(toxic[kw], 0.85, 0.4)
    created = t0 + pd.to_timedelta(kt, unit="D")
    tickets = pd.DataFrame({
        "customer_id": ids[kw], "created_at": created,
        "closed_at": created + pd.to_timedelta(rng.exponential(2.0, nk), unit="D"),
        "category": _labels(["billing", "delivery", "quality"],
                            np.where(rng.random(nk) < 0.3, 0, np.where(rng.random(nk) < 0.5, 1, 2))),
        "reopen_count": rng.poisson(np.where(toxic[kw], 0.8, 0.15)),
        "handling_minutes": np.round(rng.exponential(np.where(toxic[kw], 45.0, 15.0)), 1),
        "is_complaint": is_c,
    })
    c1, tc1 = _poisson_times(rng, join, np.minimum(churn, end), np.where(toxic, 0.04, 0.006))
    calls = pd.DataFrame({"customer_id": ids[c1], "started_at": t0 + pd.to_timedelta(tc1, unit="D"),
                          "duration_sec": np.round(rng.exponential(np.where(toxic[c1], 900.0, 240.0))),
                          "direction": _labels(["inbound", "outbound"], np.where(rng.random(len(c1)) < 0.6, 0, 1))})
    m1, tm1 = _poisson_times(rng, join, np.minimum(churn, end), np.full(n, 0.01))
    late = tm1 >= pre[m1]
    tone = rng.normal(np.where(toxic[m1], -0.3, 0.2) - np.where(late, 0.4, 0.0), 0.25).clip(-1, 1)
    messages = pd.DataFrame({"customer_id": ids[m1], "sent_at": t0 + pd.to_timedelta(tm1, unit="D"),
                             "tone": tone, "direction": "inbound"})
    customers = pd.DataFrame({"customer_id": ids, "first_seen_at": t0 + pd.to_timedelta(np.floor(join), unit="D")})
    truth = pd.DataFrame({"customer_id": ids, "join_day": join, "churn_day": churn, "toxic": toxic, "hunter": hunter})
    data = {"orders": orders, "tickets": tickets, "events": events, "calls": calls, "messages": messages,
            "customers": customers}
    return data, truth
