import numpy as np
import pandas as pd
import pytest

from clientpulse_config import load
from ml.features import LeakageError, assert_no_leakage, build_features
from sample_data.history import simulate_history

CUT = pd.Timestamp("2024-03-01")


@pytest.fixture(scope="module")
def cfg():
    return load("models")


@pytest.fixture(scope="module")
def small():
    o = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "a"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-31", "2024-02-10", "2024-02-20",
                                      "2024-02-25", "2024-03-05"]),
        "amount": [100.0, 50.0, 30.0, 20.0, 80.0, 10.0, 999.0],
        "status": ["completed", "completed", "completed", "returned", "completed", "cancelled", "completed"],
        "category": ["x", "x", "y", None, "y", "y", "z"],
        "discount": [0.1, None, 10.0, 0, 0, 0, 0.5],
    })
    t = pd.DataFrame({"customer_id": ["a", "a", "b"],
                      "created_at": pd.to_datetime(["2024-02-01", "2024-02-27", "2024-03-02"]),
                      "closed_at": pd.to_datetime(["2024-02-02", "2024-03-03", "2024-03-04"]),
                      "category": ["billing", "delivery", "billing"], "reopen_count": [1, 0, 0],
                      "handling_minutes": [30.0, 60.0, 15.0], "is_complaint": [True, True, True]})
    e = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
                      "occurred_at": pd.to_datetime(["2024-02-20", "2023-12-20", "2024-02-29 23:59", "2024-03-01"], format="mixed"),
                      "event_type": ["email_open", "site_visit", "product_view", "email_open"]})
    calls = pd.DataFrame({"customer_id": ["b"], "started_at": pd.to_datetime(["2024-02-15"]), "duration_sec": [600],
                          "direction": ["inbound"]})
    cust = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                         "first_seen_at": pd.to_datetime(["2023-12-01", "2024-02-19", "2024-03-01", "2024-01-01"])})
    return {"orders": o, "tickets": t, "events": e, "calls": calls, "customers": cust}


def test_hand_computed_features(small, cfg):
    f = build_features(small, CUT, cfg).set_index("customer_id")
    assert list(f.index) == ["a", "b", "d"]  # c first seen on the cutoff day -> not known before it
    a, b, d = f.loc["a"], f.loc["b"], f.loc["d"]
    assert a.frequency == 3 and a.monetary_total == 180 and a.monetary_avg == 60
    assert a.recency_days == 30 and a.tenure_days == 91
    assert a.ipi_mean == 15 and a.ipi_median == 15 and a.cycle_lateness == 2
    assert a.returns_share == 0.25
    # 0.1 is a share, 10.0 an amount (10 / (30 + 10) = 0.25), None no discount
    assert a.discount_share == pytest.approx(2 / 3) and a.discount_depth == pytest.approx((0.1 + 0.25) / 3)
    assert a.first_purchase_discount == 1
    assert a.top_category_share == pytest.approx(2 / 3) and a.n_categories == 2
    # complaints: 2 tickets + 1 return over 3 months of tenure (rate window capped by tenure)
    assert a.complaints_per_month == pytest.approx(3 / (91 / 30.4375))
    # only the ticket closed before the cutoff contributes handling minutes
    assert a.manager_minutes_per_month == pytest.approx(30 / (91 / 30.4375))
    assert a.reopen_rate == 1.0 and a.ticket_count == 2
    assert a.email_open_30d == 1 and a.site_visit_30d == 0 and a.site_visit_90d == 1
    assert b.product_view_30d == 1 and b.cancel_share == 0.5 and b.frequency == 1
    assert b.manager_minutes_per_month == pytest.approx(10.0)  # tenure < 1 month -> one month
    assert np.isnan(b.ipi_median)
    assert d.frequency == 0 and d.recency_days == d.tenure_days and d.r_score == 0
    assert a.r_score >= 1
    # one repeater cannot identify a BG/NBD: no BTYD outputs rather than invented ones
    assert f.attrs["btyd_status"] == "too_few_repeaters" and f.attrs["btyd_repeaters"] == 1
    assert f[["p_alive", "btyd_expected_purchases", "btyd_p_no_purchase"]].isna().all().all()


def test_missing_tables_and_columns(cfg):
    o = pd.DataFrame({"customer_id": ["a", "b"], "order_date": ["2024-01-01", "2024-02-01"], "amount": [1.0, 2.0]})
    f = build_features({"orders": o, "tickets": pd.DataFrame(), "events": None}, CUT, cfg)
    assert len(f) == 2 and f["ticket_count"].sum() == 0 and f["engagement_90d"].sum() == 0
    assert f["frequency"].tolist() == [1, 1]
    empty = build_features({}, CUT, cfg)
    assert len(empty) == 0


def test_leakage_guard_passes_for_build_features(small, cfg):
    assert_no_leakage(build_features, small, CUT, cfg)
    data, _ = simulate_history(800, seed=5, days=400)
    assert_no_leakage(build_features, data, pd.Timestamp("2023-10-01"), cfg)


def test_leakage_guard_fails_for_leaky_feature(small, cfg):
    def leaky(data, cutoff, config):
        f = build_features(data, cutoff, config)
        o = data["orders"]
        # BUG on purpose: counts orders of all time, including after the cutoff
        n = o.groupby("customer_id").size()
        return f.assign(all_time_orders=f["customer_id"].map(n).fillna(0).to_numpy())

    with pytest.raises(LeakageError, match="all_time_orders"):
        assert_no_leakage(leaky, small, CUT, cfg)

    def leaky_handling(data, cutoff, config):
        f = build_features(data, cutoff, config)
        t = data["tickets"]
        t = t[pd.to_datetime(t["created_at"]) < cutoff]  # created before, but closed after: minutes leak
        m = t.groupby("customer_id")["handling_minutes"].sum()
        return f.assign(minutes=f["customer_id"].map(m).fillna(0).to_numpy())

    with pytest.raises(LeakageError, match="minutes"):
        assert_no_leakage(leaky_handling, small, CUT, cfg)


def test_prepared_data_and_subset_match_raw_tables(cfg):
    from ml.features import prepare_data

    data, _ = simulate_history(1500, seed=9, days=500)
    prep = prepare_data(data)
    for cut in (pd.Timestamp("2023-08-01"), pd.Timestamp("2024-05-15")):
        raw = build_features(data, cut, cfg)
        pd.testing.assert_frame_equal(build_features(prep, cut, cfg), raw)
        assert raw.attrs["categories"] and "btyd_params" in raw.attrs
    # a customer subset of the decoded tables == the features of the same customers' rows
    keep = np.arange(0, prep.n, 3)
    ids = set(prep.ids[keep])
    sub = {k: v[v["customer_id"].isin(ids)] for k, v in data.items()}
    cut = pd.Timestamp("2024-05-15")
    pd.testing.assert_frame_equal(build_features(prep.subset(keep), cut, cfg), build_features(sub, cut, cfg))
