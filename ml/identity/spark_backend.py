"""Splink on Spark: the SparkSession factory and the SQL dialect bridge of `identity.backend: spark`.

The comparisons in config/identity.yaml are written once, in DuckDB SQL; Splink passes a
comparison's SQL to the backend as it is, so the few DuckDB functions they use are renamed to
their Spark equivalents here (the similarity functions come from the jar Splink ships and
registers). Records go from DuckDB to Spark as Parquet and predictions come back the same way,
so no large pandas frame is ever built.

Splink's Spark backend subclasses a sqlglot dialect, which the compiled sqlglot build (pulled in by
dagster-dbt's `sqlglot[rs]`) refuses ("interpreted classes cannot inherit from compiled"). When
that build is loaded, Splink-on-Spark runs in a child Python process that imports sqlglot from its
pure-Python sources; the child only reads and writes Parquet in a work folder.
"""
from __future__ import annotations

import dataclasses
import importlib.machinery
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
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
               .config("spark.pyspark.python", sys.executable)  # executors use this venv
               .config("spark.ui.enabled", "false"))
    return builder.getOrCreate()


def checkpoint_dir(spark_cfg: dict[str, Any]) -> str:
    """Where Splink's `break_lineage_method: parquet` writes its intermediate tables."""
    d = spark_cfg.get("checkpoint_dir") or os.path.join(tempfile.gettempdir(), "clientpulse_splink_spark")
    os.makedirs(d, exist_ok=True)
    return d


def _sqlglot_compiled() -> bool:
    import sqlglot.generator

    return not sqlglot.generator.__file__.endswith(".py")


class _PureSqlglotFinder:
    """Import `sqlglot.*` from its .py sources even where the compiled .so modules sit beside them."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        if name != "sqlglot" and not name.startswith("sqlglot."):
            return None
        loader = (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES)
        for entry in path or sys.path:
            spec = importlib.machinery.FileFinder(entry or ".", loader).find_spec(name)
            if spec is not None:
                return spec
        return None


def fit_predict_on_spark(con: Any, cfg: dict[str, Any], plan: Any, timings: dict[str, float]
                         ) -> tuple[Any, list[str], dict[str, Any] | None]:
    """Move `_idr_sp_in` of `con` to Spark as Parquet, train and predict there, and return the
    scored pairs (an Arrow table read back from Parquet), the EM blocks trained and the model."""
    work = tempfile.mkdtemp(prefix="splink_", dir=checkpoint_dir(cfg["spark"]))
    try:
        con.execute(f"COPY (SELECT * FROM _idr_sp_in ORDER BY unique_id) TO '{work}/input.parquet' (FORMAT parquet)")
        con.execute("DROP TABLE _idr_sp_in")
        job = {"work": work, "cfg": cfg, "plan": dataclasses.asdict(plan)}
        if _sqlglot_compiled():
            with open(os.path.join(work, "job.json"), "w") as f:
                json.dump(job, f)
            subprocess.run([sys.executable, "-m", "ml.identity.spark_backend", os.path.join(work, "job.json")],
                           check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                               p for p in [_package_root(), os.environ.get("PYTHONPATH", "")] if p)})
            with open(os.path.join(work, "result.json")) as f:
                result = json.load(f)
        else:
            result = _run_job(job)
        for k in ("method", "fallbacks"):
            setattr(plan, k, result["plan"][k])
        timings.update(result["timings"])
        out = con.sql(f"SELECT * FROM read_parquet('{work}/predictions.parquet/*.parquet') "
                      f"ORDER BY unique_id_l, unique_id_r").to_arrow_table()
        return out, result["trained"], result["model"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train and predict on Spark; writes predictions.parquet in the work folder."""
    from splink.backends.spark import SparkAPI

    from ml.identity.probabilistic import PRED_COLS, SplinkPlan, fit_predict

    cfg, work, scfg = job["cfg"], job["work"], job["cfg"]["spark"]
    plan = SplinkPlan(**job["plan"])
    spark = spark_session(scfg)
    spark.sparkContext.setCheckpointDir(os.path.join(work, "checkpoints"))
    api = SparkAPI(spark_session=spark, break_lineage_method=scfg["break_lineage_method"],
                   num_partitions_on_repartition=int(scfg["num_partitions"]))
    sp_input = api.register(spark.read.parquet(os.path.join(work, "input.parquet")), table_name="sp_input")
    timings: dict[str, float] = {}
    linker, pred, trained = fit_predict(sp_input, cfg, plan, timings, to_backend=spark_settings)
    t = time.perf_counter()
    df = pred.as_spark_dataframe()
    df.select(*(PRED_COLS + [c for c in df.columns if c.startswith("mw_")])).write.mode("overwrite").parquet(
        os.path.join(work, "predictions.parquet"))
    timings["splink_scoring"] = round(timings["splink_scoring"] + time.perf_counter() - t, 3)
    return {"plan": dataclasses.asdict(plan), "trained": trained, "timings": timings,
            "model": linker.misc.save_model_to_json()}


if __name__ == "__main__":
    sys.meta_path.insert(0, _PureSqlglotFinder())
    with open(sys.argv[1]) as fh:
        _job = json.load(fh)
    _result = _run_job(_job)
    with open(os.path.join(_job["work"], "result.json"), "w") as fh:
        json.dump(_result, fh)
