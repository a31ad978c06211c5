import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # shared 2-core machine: OpenMP spin-waiting under oversubscription is very slow
    with threadpool_limits(limits=1):
        yield

from clientpulse_config import load
from ml.churn import (
    explain_drivers,
    score_churn,
    score_toxicity,
    train_churn,
    train_toxicity,
)
from ml.model_store import data_hash, load_latest, retrain_due, save_model
from sample_data.history import simulate_history

AS_OF = "2025-01-01"


@pytest.fixture(scope="module")
def sim():
    return simulate_history(3000, seed=2)


@pytest.fixture(scope="module")
def cfg():
    return load("models")


@pytest.fixture(scope="module")
def churn_model(sim, cfg):
    return train_churn(sim[0], AS_OF, cfg)


def test_churn_beats_bgnbd_and_recency_on_later_cutoff(churn_model):
    m = churn_model.metrics
    auc = m["model"]["roc_auc"]
    assert auc > m["baselines"]["bgnbd_expected_purchases"]["roc_auc"]
    assert auc > m["baselines"]["bgnbd_p_no_purchase"]["roc_auc"]
    assert auc > m["baselines"]["recency"]["roc_auc"]
    # time split: every label window of the evaluated fit ends before the validation cutoff; the final
    # model learns from every earlier cutoff; labels end with the as-of day
    val = pd.Timestamp(churn_model.validation_cutoff)
    assert all(pd.Timestamp(c) + pd.Timedelta(days=90) <= val for c in [*m["fit_cutoffs"], m["calibration_cutoff"]])
    assert all(pd.Timestamp(c) < val for c in churn_model.cutoffs) and len(churn_model.cutoffs) == 5
    assert val + pd.Timedelta(days=90) == pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    assert churn_model.fallback_reason == "" and m["method"] == churn_model.model_kind
    assert churn_model.model_kind in ("hgb", "logreg") and churn_model.data_hash
    assert {"pr_auc", "brier", "lift_top10", "calibration"} <= set(m["model"])


def test_calibration_sanity(churn_model):
    mm = churn_model.metrics["model"]
    tab = pd.DataFrame(mm["calibration"])
    assert len(tab) == 10 and mm["ece"] < 0.06
    # mean predicted ~ observed base rate; deciles increase
    assert abs((tab["n"] * tab["mean_predicted"]).sum() / tab["n"].sum() - mm["base_rate"]) < 0.05
    assert tab["observed_rate"].iloc[-1] > tab["observed_rate"].iloc[0] + 0.5
    assert mm["lift_top10"] > 1.0


def test_score_every_customer_including_cold_start(churn_model, sim):
    data = sim[0]
    s = score_churn(churn_model, data, AS_OF)
    known = data["customers"].loc[data["customers"]["first_seen_at"] < AS_OF, "customer_id"]
    assert set(s["customer_id"]) == set(known)
    assert s["churn_probability"].between(0, 1).all() and s["churn_probability"].notna().all()
    cold = s[s["churn_model"] == "churn_cold_start"]
    assert len(cold) > 0 and cold["churn_probability"].between(0.05, 0.999).all()


def test_toxicity_model_and_drivers(sim, cfg, churn_model, tmp_path):
    data, truth = sim
    tm = train_toxicity(data, AS_OF, cfg)
    m = tm.metrics
    assert m["model"]["roc_auc"] > 0.75
    assert m["model"]["roc_auc"] >= m["baselines"]["past_rfcm_c_x_r"]["roc_auc"] - 0.02
    s = score_toxicity(tm, data, AS_OF).merge(truth, on="customer_id")
    assert s.groupby("toxic")["toxicity_probability"].mean().diff().iloc[-1] > 0.1

    seg = s.set_index("customer_id")["toxic"].map({True: "toxic", False: "normal"})
    d = explain_drivers(churn_model, segments=seg,
                        config={**churn_model.config, "drivers": {"sample": 800, "n_repeats": 2, "min_segment_rows": 50}})
    assert {"model", "segment", "feature", "importance_mean", "importance_std", "rank", "label_ru",
            "label_en"} <= set(d.columns)
    top = d[d["segment"] == "__all__"].sort_values("rank")
    assert top["importance_mean"].iloc[0] > 0 and top["label_ru"].str.len().gt(0).all()

    # model records
    p1 = save_model(churn_model, tmp_path)
    p2 = save_model(tm, tmp_path)
    assert p1.name.startswith("churn__20250101__") and p2.name.startswith("toxicity__")
    back = load_latest(tmp_path, "churn")
    assert back.feature_names == churn_model.feature_names and back.data_hash == churn_model.data_hash
    assert np.allclose(score_churn(back, data, AS_OF)["churn_probability"],
                       score_churn(churn_model, data, AS_OF)["churn_probability"])
    assert load_latest(tmp_path, "churn", as_of="2024-12-01") is None


def test_retrain_due_and_data_hash(sim):
    cfg = {"model_store": {"retrain_every_days": 7}}
    assert retrain_due(None, "2025-01-10", cfg)
    assert not retrain_due("2025-01-05", "2025-01-10", cfg)
    assert retrain_due("2025-01-01", "2025-01-10", cfg)
    assert retrain_due("2025-01-20", "2025-01-10", cfg)  # back-fill: model has seen the future
    data = sim[0]
    h = data_hash(data, AS_OF)
    shuffled = {k: v.sample(frac=1.0, random_state=1) for k, v in data.items()}
    assert data_hash(shuffled, AS_OF) == h
    changed = dict(data, orders=data["orders"].assign(amount=data["orders"]["amount"] + 1))
    assert data_hash(changed, AS_OF) != h


def test_training_sample_is_stratified_by_first_seen_month(sim):
    from ml.churn.sampling import sample_codes
    from ml.features import prepare_data

    prep = prepare_data(sim[0])
    assert sample_codes(prep, prep.n, 1, "first_seen_month") is None
    keep = sample_codes(prep, 600, 1, "first_seen_month")
    assert len(keep) == 600 and len(np.unique(keep)) == 600
    month = pd.to_datetime(prep.first_ns).to_period("M")
    share_all = pd.Series(month).value_counts(normalize=True)
    share_kept = pd.Series(month[keep]).value_counts(normalize=True).reindex(share_all.index, fill_value=0)
    assert (share_kept - share_all).abs().max() < 600 ** -1 + 1e-9  # proportional up to rounding
    early = prep.first_ns < pd.Timestamp("2024-06-01").value
    kept = sample_codes(prep, 500, 1, "none", eligible=early)
    assert len(kept) == 500 and early[kept].all()
