"""Degrade, don't die: every ML step checks what its data support and falls back to a documented,
simpler method, recorded in its output. One test per fallback on the smallest data that triggers it."""
import copy

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # shared 2-core machine: OpenMP spin-waiting under oversubscription is very slow
    with threadpool_limits(limits=1):
        yield


from clientpulse_config import load
from ml.btyd import BetaGeoModel
from ml.churn import (
    ScoreModel,
    recency_probability,
    score_churn,
    score_toxicity,
    train_churn,
    train_toxicity,
)
from ml.clusters import fit_clusters
from ml.features import build_features
from sample_data.history import simulate_history

START = pd.Timestamp("2023-01-01")


@pytest.fixture(scope="module")
def cfg():
    return load("models")


def _with(cfg, kind, **values):
    out = copy.deepcopy(cfg)
    out[kind] = {**out[kind], **values}
    return out


def _as_of(days: int) -> str:
    return str((START + pd.Timedelta(days=days)).date())


@pytest.fixture(scope="module")
def short():
    """150 days of history: two labelled cutoffs, none whose label ends before the validation one."""
    data, _ = simulate_history(800, seed=4, days=150)
    return data


def _orders_only(data):
    return {"orders": data["orders"], "customers": data["customers"]}


def test_too_few_cutoffs_falls_back_to_bgnbd_calibrated_on_the_cutoffs_that_exist(short, cfg):
    m = train_churn(short, _as_of(149), cfg)
    assert m.metrics["reason_code"] == "too_few_cutoffs" and m.fallback_reason.startswith("too_few_cutoffs")
    assert m.model_kind == "bgnbd_calibrated" and len(m.metrics["labelled_cutoffs"]) == 2
    assert m.metrics["calibration_rows"] >= 50 and m.metrics["model"]["in_sample"]
    s = score_churn(m, short, _as_of(149))
    warm = s["churn_model"] == "churn_bgnbd_calibrated"
    assert warm.sum() > 0 and set(s["churn_model"]) <= {"churn_bgnbd_calibrated", "churn_cold_start"}
    assert s["churn_probability"].between(0, 1).all()
    # a monotone map of BG/NBD's P(no purchase in the horizon), and not the identity
    f = build_features(short, pd.Timestamp(_as_of(150)), cfg).set_index("customer_id")
    got = s[warm].set_index("customer_id")["churn_probability"]
    bg = f.loc[got.index, "btyd_p_no_purchase"]
    assert spearmanr(got, bg).statistic > 0.999 and not np.allclose(got, bg)
    assert s.attrs["btyd"]["status"] == "ok"


def test_no_labelled_cutoff_uses_the_uncalibrated_bgnbd_probability(short, cfg):
    m = train_churn(short, _as_of(80), cfg)  # history shorter than the 90-day horizon: no label at all
    assert m.model_kind == "bgnbd_uncalibrated" and m.metrics["calibration_rows"] == 0
    s = score_churn(m, short, _as_of(80)).set_index("customer_id")
    f = build_features(short, pd.Timestamp(_as_of(81)), cfg).set_index("customer_id")
    warm = s["churn_model"] == "churn_bgnbd_uncalibrated"
    np.testing.assert_allclose(s.loc[warm, "churn_probability"], f.loc[s.index[warm], "btyd_p_no_purchase"])
    # never-buyers: the configured prior, since no never-buyer is labelled
    cold = s["churn_model"] == "churn_cold_start"
    assert cold.any() and np.allclose(s.loc[cold, "churn_probability"], cfg["churn"]["cold_start_default"])


def test_too_few_repeaters_gives_no_btyd_and_a_recency_fallback(cfg):
    orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "d", "e"],
                           "order_date": pd.to_datetime(["2024-01-05", "2024-02-20", "2024-01-10", "2024-02-01",
                                                         "2024-03-01", "2024-03-15"]),
                           "amount": [10.0, 20, 30, 40, 50, 60]})
    data = {"orders": orders}
    f = build_features(data, pd.Timestamp("2024-04-01"), cfg)
    assert f.attrs["btyd_status"] == "too_few_repeaters" and f["btyd_p_no_purchase"].isna().all()
    m = train_churn(data, "2024-03-31", cfg)
    assert m.model_kind == "recency_uncalibrated" and m.metrics["btyd_status_at_as_of"] == "too_few_repeaters"
    s = score_churn(m, data, "2024-03-31").set_index("customer_id")
    assert (s["churn_model"] == "churn_recency_uncalibrated").all()
    expected = recency_probability(f.set_index("customer_id").loc[s.index, "recency_days"],
                                   f.set_index("customer_id").loc[s.index, "ipi_median"], 90)
    np.testing.assert_allclose(s["churn_probability"], expected)


def test_recency_probability_by_hand():
    # cycle 30 d: within one cycle alive for sure, P(no purchase in 90 d) = exp(-3); two cycles late: alive e^-1
    p = recency_probability([10, 60, 20], [30, 30, np.nan], 90)
    assert p[0] == pytest.approx(np.exp(-3))
    pa = np.exp(-1)
    assert p[1] == pytest.approx(1 - pa + pa * np.exp(-3))
    assert p[2] == pytest.approx(np.exp(-3))  # one-time buyer: the population's median cycle
    assert recency_probability([5], [np.nan], 90)[0] == pytest.approx(np.exp(-1))  # nobody repeats: cycle = horizon


def test_btyd_fit_pinned_at_a_bound_is_not_converged(cfg, monkeypatch):
    # everybody buys like clockwork up to the end: the parameters run to the search bound
    assert not BetaGeoModel().fit([5, 5, 5, 5], [10.0] * 4, [10.0] * 4).converged_
    assert BetaGeoModel().fit(*_bgnbd_sample()).converged_
    # a fit that does not converge leaves no BTYD outputs and the churn model falls back to recency
    import ml.btyd

    monkeypatch.setattr(ml.btyd, "_converged", lambda res: False)
    data, _ = simulate_history(300, seed=1, days=200)
    f = build_features(data, pd.Timestamp(_as_of(200)), cfg)
    assert f.attrs["btyd_status"] == "not_converged" and f["p_alive"].isna().all()
    m = train_churn(data, _as_of(199), cfg)
    assert m.metrics["reason_code"] == "too_few_cutoffs" and m.model_kind == "recency_calibrated"


def _bgnbd_sample():
    rng = np.random.default_rng(0)
    x = rng.poisson(1.5, 2000).astype(float)
    T = rng.uniform(20, 40, 2000)
    tx = np.where(x > 0, T * rng.uniform(0.2, 1.0, 2000), 0.0)
    return x, tx, T


def test_single_class_falls_back(cfg):
    days = pd.date_range("2023-01-01", "2024-01-31", freq="7D")
    orders = pd.DataFrame({"customer_id": np.repeat([f"c{i:03d}" for i in range(120)], len(days)),
                           "order_date": np.tile(days, 120), "amount": 10.0})
    m = train_churn({"orders": orders}, "2024-01-31", cfg)  # everybody buys every week: nobody churns
    assert m.metrics["reason_code"] == "single_class" and "negative" in m.fallback_reason
    assert m.model_kind.endswith("_uncalibrated") and m.metrics["calibration_rows"] > 0
    s = score_churn(m, {"orders": orders}, "2024-01-31")
    assert s["churn_probability"].between(0, 0.2).all() and s["churn_model"].str.endswith("_uncalibrated").all()


@pytest.fixture(scope="module")
def sim():
    return simulate_history(700, seed=8, days=400)[0]


def test_too_few_positives_and_negatives(sim, cfg):
    m = train_churn(sim, _as_of(399), _with(cfg, "churn", min_positives=10**6))
    assert m.metrics["reason_code"] == "too_few_positives" and m.model_kind == "bgnbd_calibrated"
    m = train_churn(sim, _as_of(399), _with(cfg, "churn", min_negatives=10**6))
    assert m.metrics["reason_code"] == "too_few_negatives"
    m = train_churn(sim, _as_of(399), _with(cfg, "churn", min_rows=10**6))
    assert m.metrics["reason_code"] == "too_few_rows"


def test_too_few_rows_for_hgb(sim, cfg):
    m = train_churn(sim, _as_of(399), _with(cfg, "churn", hgb_min_rows=10**6))
    assert m.model_kind == "logreg" and m.fallback_reason.startswith("too_few_rows_for_hgb")
    assert "hgb" in m.metrics["skipped_candidates"] and "hgb" not in m.metrics["candidates"]
    m = train_churn(sim, _as_of(399), _with(cfg, "churn", hgb_min_rows=10**6, candidates=["hgb"]))
    assert m.model_kind == "bgnbd_calibrated" and m.metrics["reason_code"] == "too_few_rows_for_hgb"


def test_all_missing_feature_is_dropped_not_fatal(sim, cfg):
    # no messages: tone_mean is NaN for everyone (it used to break HistGradientBoosting's binning)
    data = {k: v for k, v in sim.items() if k != "messages"}
    m = train_churn(data, _as_of(399), _with(cfg, "churn", candidates=["hgb"]))
    assert m.model_kind == "hgb" and m.fallback_reason == ""
    assert "tone_mean" in m.metrics["dropped_features"] and "tone_mean" not in m.feature_names


def test_toxicity_without_complaint_data_is_zero_and_says_so(sim, cfg):
    data = _orders_only(sim)
    data["orders"] = data["orders"][data["orders"]["status"] != "returned"]
    m = train_toxicity(data, _as_of(399), cfg)
    assert m.model_kind == "no_complaint_data" and m.metrics["reason_code"] == "no_complaint_data"
    s = score_toxicity(m, data, _as_of(399))
    assert (s["toxicity_probability"] == 0).all() and (s["toxicity_model"] == "toxicity_no_complaint_data").all()


def test_toxicity_with_too_little_history_uses_past_rate_or_base_rate(short, cfg):
    m = train_toxicity(short, _as_of(149), cfg)
    assert m.metrics["reason_code"] == "too_few_cutoffs" and m.model_kind == "past_rate_calibrated"
    s = score_toxicity(m, short, _as_of(149))
    assert s["toxicity_probability"].between(0, 1).all() and s["toxicity_probability"].nunique() > 2
    m = train_toxicity(short, _as_of(80), cfg)  # no labelled cutoff: the toxic rule's recent rate
    assert m.model_kind == "base_rate" and 0 <= m.metrics["constant"] < 0.5
    s = score_toxicity(m, short, _as_of(80))
    assert np.allclose(s["toxicity_probability"], m.metrics["constant"])


def test_score_model_calibration_keeps_the_score_order():
    X = pd.DataFrame({"btyd_p_no_purchase": np.linspace(0.01, 0.99, 400)})
    y = (np.random.default_rng(1).random(400) < X["btyd_p_no_purchase"] ** 2).astype(int)
    for method in ("isotonic", "sigmoid"):
        p = ScoreModel("bgnbd", 90).fit_calibration(X, y, method).predict_proba(X)[:, 1]
        assert np.all(np.diff(p) > 0) and abs(p.mean() - y.mean()) < 0.05


@pytest.fixture(scope="module")
def feats(cfg):
    data, _ = simulate_history(300, seed=3)
    return build_features(data, pd.Timestamp("2024-10-01"), cfg)


@pytest.mark.parametrize("n, k", [(1, 1), (12, 1), (25, 2), (45, 4)])
def test_few_customers_give_fewer_clusters_with_names(feats, cfg, n, k):
    a, p, m = fit_clusters(feats.head(n), cfg)
    assert m.k == k and len(p) == k and m.fallback_reason.startswith("too_few_customers")
    assert p["cluster_name"].is_unique and p["cluster_name"].str.len().gt(0).all() and len(a) == n
    if k == 1:
        assert p["cluster_name_en"].tolist() == ["Regular"] and p["size"].tolist() == [n]


def test_identical_customers_are_one_cluster(feats, cfg):
    same = pd.concat([feats.head(1)] * 60, ignore_index=True).assign(customer_id=[f"x{i}" for i in range(60)])
    a, p, m = fit_clusters(same, cfg)
    assert m.k == 1 and "1 distinct feature rows" in m.fallback_reason and p["cluster_name_en"].tolist() == ["Regular"]
    a, p, m = fit_clusters(feats, cfg)
    assert m.fallback_reason == "" and m.k >= cfg["clusters"]["k_min"]
