"""The DuckDB SQL of identity.yaml rewritten for Splink's Spark backend, and the backend key."""

from __future__ import annotations

import pytest

from clientpulse_config import load
from ml.identity.spark_backend import spark_settings, to_spark_sql


def test_duckdb_functions_become_spark_functions():
    sql = ("jaro_winkler_similarity(street_key_l, street_key_r) >= 0.75 OR "
           "len(list_intersect(str_split(street_key_l, ' '), str_split(street_key_r, ' '))) > 0")
    assert to_spark_sql(sql) == ("jaro_winkler(street_key_l, street_key_r) >= 0.75 OR "
                                 "size(array_intersect(split(street_key_l, ' '), split(street_key_r, ' '))) > 0")
    assert to_spark_sql("damerau_levenshtein(a_l, a_r) <= 1") == "damerau_levenshtein(a_l, a_r) <= 1"
    assert to_spark_sql(to_spark_sql(sql)) == to_spark_sql(sql)  # a saved Spark model stays as it is


def test_every_shipped_condition_is_rewritten():
    cfg = load("identity")
    settings = {"comparisons": cfg["splink"]["comparisons"],
                "blocking_rules_to_generate_predictions": [{"blocking_rule": r, "sql_dialect": "duckdb"}
                                                           for r in cfg["splink"]["blocking_rules"]]}
    out = spark_settings(settings)
    text = str(out)
    for fn in ("jaro_winkler_similarity", "list_intersect", "str_split", "len("):
        assert fn not in text
    assert all(r["sql_dialect"] == "spark" for r in out["blocking_rules_to_generate_predictions"])
    assert cfg["backend"] == "duckdb" and cfg["spark"]["master"] == "local[2]"


def test_backend_is_validated(tmp_path, monkeypatch):
    (tmp_path / "identity.yaml").write_text("backend: polars\n")
    monkeypatch.setenv("CLIENTPULSE_CONFIG_DIR", str(tmp_path))
    with pytest.raises(Exception, match="backend"):
        load("identity")
