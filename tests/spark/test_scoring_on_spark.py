"""Scoring per Spark partition (mapInPandas) gives the pandas path's scores, warm and cold rows."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from ml.churn.model import ChurnModel
from ml.churn.scoring import score_features
from ml.churn.spark_scoring import score_spark_features

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")


def test_scores_per_partition_equal_pandas_scores(monkeypatch):
    from pyspark.sql import SparkSession

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the workers import sklearn from this venv

    rng = np.random.default_rng(3)
    n = 400
    f = pd.DataFrame({"customer_id": [f"CUST-{i:06d}" for i in range(n)],
                      "frequency": rng.integers(0, 5, n), "engagement_90d": rng.integers(0, 3, n),
                      "tenure_days": rng.integers(1, 900, n), "recency_days": rng.normal(120, 60, n)})
    names = ["frequency", "engagement_90d", "tenure_days", "recency_days"]
    y = (f["recency_days"] + rng.normal(0, 30, n) > 130).astype(int)
    model = ChurnModel(kind="churn", model_kind="logreg", estimator=LogisticRegression(max_iter=500).fit(f[names], y),
                       feature_names=names, categories=[], cutoffs=[], validation_cutoff="", as_of="", data_hash="",
                       metrics={}, config={"n_threads": 1}, cold_start={"overall": 0.4, "cells": {"1|1": 0.2}})
    want = score_features(model, f, "churn_probability")
    spark = (SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "2")
             .config("spark.pyspark.python", sys.executable)
             .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
    sdf = spark.createDataFrame(f).repartition(3)
    assert sdf.rdd.getNumPartitions() == 3
    got = score_spark_features(model, sdf).toPandas().sort_values("customer_id").reset_index(drop=True)
    assert len(got) == n and set(got["churn_model"]) == {"churn_logreg", "churn_cold_start"}
    pd.testing.assert_frame_equal(got, want.sort_values("customer_id").reset_index(drop=True), check_dtype=False)
    assert 0.05 < want["churn_probability"].std()  # the scores vary: the comparison is not of constants
