"""permutation_auc_drop gives sklearn's permutation_importance (ROC AUC drop) to the last bit, for the
calibrated HistGradientBoosting and the logistic-regression pipeline, several repeats and features
split over predict calls."""
import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance

from ml.churn import drivers
from ml.churn.calibration import Calibrated
from ml.churn.candidates import candidate


def data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"recency_days": rng.integers(0, 400, n), "frequency": rng.poisson(3, n).astype(float),
                      "monetary_total": rng.lognormal(8, 1, n), "noise": rng.normal(size=n),
                      "tickets_90d": rng.integers(0, 4, n)})
    X.loc[rng.random(n) < 0.1, "monetary_total"] = np.nan
    logit = 0.01 * X["recency_days"] - 0.4 * X["frequency"] - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


@pytest.mark.parametrize("name,repeats,rows", [("hgb", 3, 60000), ("hgb", 1, 500), ("logreg", 4, 2500)])
def test_equals_sklearn_permutation_importance(monkeypatch, name, repeats, rows):
    monkeypatch.setattr(drivers, "PREDICT_ROWS", rows)  # small: the features go in several calls
    X, y = data(3000, 1)
    est = candidate(name, 0, {"max_iter": 30}).fit(X.iloc[:2000], y[:2000])
    if name == "hgb":
        est = Calibrated(est, "isotonic").fit(X.iloc[2000:2500], y[2000:2500])
    Xv, yv = X.iloc[2500:].reset_index(drop=True), y[2500:]
    mean, std = drivers.permutation_auc_drop(est, Xv, yv, repeats, 42)
    ref = permutation_importance(est, Xv, yv, scoring="roc_auc", n_repeats=repeats, random_state=42, n_jobs=1)
    np.testing.assert_array_equal(mean, ref.importances_mean)
    np.testing.assert_array_equal(std, ref.importances_std)
    assert mean[0] > 0.01 and abs(mean[3]) < mean[0]  # recency matters, noise does not
