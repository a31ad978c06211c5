"""Scoring on Spark, per partition: the fitted model applied to a Spark DataFrame of built customer
features with `mapInPandas`, through the same `score_features` as the pandas path. A library
function for when Spark is the scale-out engine; the daily Dagster run scores on pandas."""
from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from .model import ChurnModel
from .scoring import score_features


def score_spark_features(model: ChurnModel, features, col: str = "churn_probability"):
    """Spark DataFrame[customer_id, <col>, <kind>_model] from a Spark DataFrame of features (the
    columns `build_features` gives). The model is pickled to the executors once with the closure."""
    schema = f"customer_id string, {col} double, {model.kind}_model string"

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            out = score_features(model, batch, col)
            out["customer_id"] = out["customer_id"].astype(str)
            yield out

    return features.mapInPandas(score, schema=schema)
