"""Splink on Spark: the SparkSession factory and the SQL dialect bridge of `identity.backend: spark`.

The comparisons in config/identity.yaml are written once, in DuckDB SQL; Splink passes a
comparison's SQL to the backend as it is, so the few DuckDB functions they use are renamed to
their Spark equivalents here (the similarity functions come from the jar Splink ships and
registers). Records go from DuckDB to Spark as Parquet and predictions come back the same way,
so no large pandas frame is ever built.
"""
from __future__ import annotations

import os
import re
import tempfile
from typing import Any

# DuckDB function -> Spark SQL function (Splink's jar registers jaro_winkler / damerau_levenshtein)
_RENAMES = (
    (r"\bjaro_winkler_similarity\s*\(", "jaro_winkler("),
    (r"\blen\s*\(\s*list_intersect\s*\(", "size(array_intersect("),
    (r"\bstr_split\s*\(", "split("),
    (r"\blist_intersect\s*\(", "array_intersect("),
)


def to_spark_sql(sql: str) -> str:
    """One DuckDB SQL condition of identity.yaml as Spark SQL."""
    for pattern, repl in _RENAMES:
        sql = re.sub(pattern, repl, sql, flags=re.IGNORECASE)
    return sql


def spark_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Splink settings (a dict built for DuckDB) with every SQL condition in Spark's dialect."""
    out = dict(settings)
    out["comparisons"] = [
        {**c, "comparison_levels": [{**lvl, "sql_condition": to_spark_sql(lvl["sql_condition"])}
                                    for lvl in c["comparison_levels"]]}
        for c in settings["comparisons"]]
    out["blocking_rules_to_generate_predictions"] = [
        {**r, "blocking_rule": to_spark_sql(r["blocking_rule"]), "sql_dialect": "spark"}
        if isinstance(r, dict) else to_spark_sql(r)
        for r in settings["blocking_rules_to_generate_predictions"]]
    if "sql_dialect" in out:
        out["sql_dialect"] = "spark"
    return out


def spark_session(spark_cfg: dict[str, Any]):
    """The SparkSession of `identity.spark`: an existing active session (a cluster, Databricks)
    when there is one, else a new one on `master` with Splink's similarity jar on its class path."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = (SparkSession.builder.master(spark_cfg["master"]).appName("clientpulse-identity")
               .config("spark.sql.shuffle.partitions", str(spark_cfg["shuffle_partitions"]))
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", spark_cfg["driver_memory"])
               .config("spark.jars", similarity_jar_location())
               .config("spark.ui.enabled", "false"))
    return builder.getOrCreate()


def checkpoint_dir(spark_cfg: dict[str, Any]) -> str:
    """Where Splink's `break_lineage_method: parquet` writes its intermediate tables."""
    d = spark_cfg.get("checkpoint_dir") or os.path.join(tempfile.gettempdir(), "clientpulse_splink_spark")
    os.makedirs(d, exist_ok=True)
    return d
