"""The dbt models on Spark (dbt-spark session, PySpark local mode) equal the DuckDB marts row for
row: a generated sample runs through the pipeline on DuckDB, its source tables (raw, normalized,
core, ml) go to Parquet and become Spark tables, `dbt build --target spark` builds staging,
intermediate and marts, and every model is compared with its DuckDB table."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (none on PATH)"),
]

# The ported models (docs/scaling.md "On Spark", "State of the port"), in dependency order: all of
# them (test_every_model_is_ported); every seed is built and compared too. A list (quality reason
# codes, missing fields) is compared element by element: its order is defined on both engines.
PORTED = (
    "stg_actions_log", "stg_marketing_events", "stg_phone_calls", "stg_orders", "stg_support_tickets",
    "stg_crm_contacts", "stg_chat_messages", "stg_mail_messages",
    "int_identity_records", "int_customer_orders", "int_customer_purchase_dates", "int_customer_interactions",
    "mart_customer_rfm", "mart_customer_rfcm", "mart_customer_lifecycle", "mart_customer_risk_value",
    "mart_rfcm_alarm", "mart_risk_value_matrix",
    "mart_customer_history", "mart_risk_value_matrix_history", "mart_segment_migration",
    "customer_verdict", "customer_360",
    "mart_list_context", "mart_actions_log", "mart_suppression_list", "mart_list_toxic_review", "mart_list_goodbye",
    "mart_list_near_death", "mart_list_hot_triggers", "mart_list_reactivation", "mart_list_should_have_bought",
    "mart_action_list",
    "mart_manager_reply_quality", "mart_manager_today", "mart_manager_toxic_load",
    "mart_verdict_history", "mart_kpi_daily",
    "quality_contact_records", "quality_customer_completeness", "quality_by_manager", "quality_by_source",
    "quality_coverage", "quality_coverage_history",
    "mart_competitor_mentions",
)
SELECT = " ".join(PORTED)


def dbt(args: list[str], env: dict[str, str], project: Path, target: str = "spark") -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("dbt")
    return subprocess.run([str(exe), *args, "--project-dir", str(project), "--profiles-dir", str(project),
                           "--target", target], env=env, capture_output=True, text=True, cwd=project)


# The generated messages name no competitor outside config/signals.yaml, so mart_competitor_mentions
# would be empty on both engines: the fixture writes these names into the competitor_new_names of the
# first inbound messages (by message_id) and rebuilds that mart on DuckDB before the export. They hold
# a most frequent spelling (Контур), a tie (Attio / attio), blanks, and a customer's own company.
NEW_COMPETITOR_NAMES = ("Attio", "attio;Pyrus", " Контур ; ;Saby", "Контур", "контур", "КОНТУР;Гарант Групп",
                        "Гарант Групп")


def add_competitor_mentions(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        ids = [r[0] for r in con.execute(
            "select message_id from ml.message_signals where customer_id is not null "
            "and coalesce(direction, 'inbound') <> 'outbound' order by message_id").fetchall()]
        own = con.execute(
            "select m.message_id from ml.message_signals as m join core.customers as c using (customer_id) "
            "where c.company = 'ИП «Гарант Групп»' and coalesce(m.direction, 'inbound') <> 'outbound' "
            "order by m.message_id desc limit 1").fetchall()
        pairs = list(zip(ids, NEW_COMPETITOR_NAMES)) + [(r[0], "Гарант Групп") for r in own]
        con.executemany("update ml.message_signals set competitor_new_names = ? where message_id = ?",
                        [(names, message_id) for message_id, names in pairs])
    finally:
        con.close()


def same_value(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, float) or isinstance(b, float):
        return b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return b is not None and Decimal(str(a)) == Decimal(str(b))
    if hasattr(a, "isoformat") and hasattr(b, "isoformat"):
        return a.isoformat()[:26] == b.isoformat()[:26]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


def _key(row):
    return tuple((v is None, str(v)) for v in row)


def differences(duck_rows, spark_rows) -> str | None:
    """None when both lists hold the same rows (sorted by their text), else the first difference."""
    if len(duck_rows) != len(spark_rows):
        return f"{len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"
    for d, s in zip(sorted(duck_rows, key=_key), sorted(spark_rows, key=_key)):
        if len(d) != len(s) or not all(same_value(x, y) for x, y in zip(d, s)):
            return f"DuckDB {d!r} != Spark {s!r}"
    return None


def test_differences_sees_a_changed_value():
    assert differences([(1, 0.5, "a")], [(1, 0.5 * (1 + 1e-12), "a")]) is None
    assert differences([(1, 0.5, "a")], [(1, 0.5001, "a")]) is not None
    assert differences([(1,), (2,)], [(2,), (1,)]) is None
    assert differences([(1,)], [(1,), (1,)]) is not None
    assert differences([(Decimal("1.10"),)], [(Decimal("1.1"),)]) is None
    assert differences([(Decimal("1.10"),)], [(Decimal("1.11"),)]) is not None


def test_every_model_is_ported():
    models = Path(__file__).resolve().parents[2] / "dbt" / "models"
    assert sorted(p.stem for p in models.rglob("*.sql")) == sorted(PORTED)


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory):
    from clientpulse_config.dbt_vars import analytics_vars_json
    from sample_data.generator import generate
    from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline

    root = tmp_path_factory.mktemp("spark")
    landing = root / "landing"
    generate(150, 7, landing)
    run = run_pipeline(root / "duck", landing, SAMPLE_AS_OF)
    assert run.result.success, failure_messages(run.result)

    home = root / "spark"
    project = Path(__file__).resolve().parents[2] / "dbt"
    env = {**os.environ, "CLIENTPULSE_SPARK_WAREHOUSE": str(home), "DBT_TARGET_PATH": str(root / "dbt_target"),
           "DBT_LOG_PATH": str(root / "dbt_logs")}
    dbt_vars = analytics_vars_json(SAMPLE_AS_OF)
    add_competitor_mentions(run.warehouse)
    duck = dbt(["run", "--select", "mart_competitor_mentions", "--vars", dbt_vars],
               {**env, "CLIENTPULSE_WAREHOUSE": str(run.warehouse), "DBT_TARGET_PATH": str(root / "duck_target")},
               project, target="dev")
    assert duck.returncode == 0, duck.stdout[-3000:]
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.mart_competitor_mentions").fetchone()[0] > 0

    # in a process of its own: its JVM must exit before dbt's opens the Derby metastore
    subprocess.run([sys.executable, "-m", "dagster_project.spark_sources", str(run.warehouse),
                    str(root / "parquet"), str(home)], check=True)

    build = dbt(["build", "--select", SELECT, "resource_type:seed", "--exclude", "test_type:data",
                 "--vars", dbt_vars], env, project)
    listed = dbt(["ls", "--select", SELECT, "resource_type:seed", "--resource-type", "model", "seed",
                  "--output", "json", "--output-keys", "name schema resource_type", "--vars", dbt_vars], env, project)
    models = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    return run, home, build, models


def test_dbt_builds_and_equals_duckdb_on_spark(spark_build):
    run, home, build, models = spark_build
    assert build.returncode == 0, build.stdout[-6000:]
    assert sorted(m["name"] for m in models if m["resource_type"] == "model") == sorted(PORTED)
    from dagster_project.spark_sources import local_spark_session

    spark = local_spark_session(home)
    con = duckdb.connect(str(run.warehouse), read_only=True)
    unequal = {}
    try:
        for m in models:
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [m["schema"], m["name"]]).fetchall()]
            cols = ", ".join(f'"{c}"' for c in columns)
            duck_rows = con.execute(f'select {cols} from "{m["schema"]}"."{m["name"]}"').fetchall()
            spark_cols = ", ".join(f"`{c}`" for c in columns)
            spark_rows = [tuple(r) for r in spark.sql(
                f"select {spark_cols} from `{m['schema']}`.`{m['name']}`").collect()]
            problem = differences(duck_rows, spark_rows)
            if problem:
                unequal[f"{m['schema']}.{m['name']}"] = problem
    finally:
        con.close()
        spark.stop()
    print(f"{len(models) - len(unequal)} of {len(models)} models equal on Spark and DuckDB")
    assert not unequal, json.dumps(unequal, indent=1, default=str)[:6000]
