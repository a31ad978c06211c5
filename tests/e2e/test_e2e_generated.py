"""End to end on a generated sample: reconciliation, identity accuracy, stable ids, as-of correctness.

The session fixture `generated_run` materialises the whole daily job once (dbt included) on
400 generated customers; the tests below read its warehouse and, for stability and as-of
correctness, run the graph again on the same or extended landing folder.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline
from tests.support.warehouse import query_df


def test_every_landed_row_is_raw_or_rejected(generated_run):
    registry = query_df(generated_run.warehouse, "SELECT * FROM raw.file_registry")
    assert len(registry) > 0
    assert (registry["landed_rows"] == registry["raw_rows"] + registry["rejected_rows"]).all()
    # the generator's files ingest with zero rejects apart from the chat exports' own service lines
    # (encryption notice, joins), and each file's rows match the truth counts
    rejected = query_df(generated_run.warehouse, "SELECT file, reason FROM raw.rejected_rows")
    unexpected = rejected[~rejected["reason"].str.startswith("system_message")]
    assert unexpected.empty, unexpected.head(10).to_string()
    assert rejected["file"].str.startswith("chat/").all()
    meta = json.loads((generated_run.landing / "truth" / "meta.json").read_text(encoding="utf-8"))
    counts = meta.get("row_counts") or meta.get("counts") or {}
    csv_counts = {k: v for k, v in counts.items() if k.endswith(".csv") and not k.startswith("truth/")}
    by_file = registry.set_index("path")["raw_rows"].to_dict() if "path" in registry else {}
    for file, rows in csv_counts.items():
        assert by_file.get(file) == rows, file


def test_every_record_maps_to_exactly_one_customer(generated_run):
    identity = query_df(generated_run.warehouse, "SELECT source, source_record_id, customer_id FROM core.customer_identity")
    assert not identity.duplicated(["source", "source_record_id"]).any()
    truth = pd.read_csv(generated_run.landing / "truth" / "record_map.csv", dtype=str, keep_default_na=False)
    # records dated after the as-of date are not accepted yet; the generator ends on the as-of date
    merged = truth.merge(identity, how="left", on=["source", "source_record_id"], indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    assert len(missing) == 0, missing.head(10).to_string()
    customers = query_df(generated_run.warehouse, "SELECT count(*) AS n FROM core.customers")["n"][0]
    assert customers == identity["customer_id"].nunique()


def test_identity_accuracy_against_truth(generated_run):
    from ml.identity import evaluate_against_truth

    identity = query_df(generated_run.warehouse, "SELECT customer_id, source, source_record_id FROM core.customer_identity")
    truth = pd.read_csv(generated_run.landing / "truth" / "record_map.csv", dtype=str, keep_default_na=False)
    metrics = evaluate_against_truth(identity, truth)
    f1 = metrics.get("pairwise_f1", metrics.get("f1"))
    assert f1 is not None and f1 >= 0.97, metrics


def test_manager_spellings_are_one_manager_in_the_quality_mart(generated_run):
    from sample_data import params

    managers = query_df(generated_run.warehouse, "SELECT manager FROM quality.quality_by_manager")["manager"]
    # the generator writes each manager in several spellings («Смирнова О.», «smirnova», …)
    assert len(managers) <= len(params.MANAGERS) + 1  # + '(no manager)'


def test_customer_360_one_row_per_customer_and_published(generated_run):
    c360 = query_df(generated_run.serving, "SELECT * FROM marts.customer_360")
    customers = query_df(generated_run.serving, "SELECT customer_id FROM core.customers")
    assert len(c360) == len(customers) and c360["customer_id"].is_unique
    assert set(c360["customer_id"]) == set(customers["customer_id"])
    assert (c360["as_of"].astype(str) == SAMPLE_AS_OF).all()
    for column in ("rfm_segment", "rfcm_code", "lifecycle_state", "risk_stage", "value_tier", "action_level",
                   "health_score", "churn_probability", "toxicity_probability", "cluster_name", "recommended_action"):
        assert column in c360.columns, column
    buyers = c360[c360["frequency"].fillna(0) > 0]
    assert buyers["rfm_code"].notna().all() and buyers["churn_probability"].between(0, 1).all()
    # every customer has a health score; one with no correspondence and no tickets shows no risk
    assert c360["health_score"].between(0, 100).all()


@pytest.fixture(scope="module")
def second_run(generated_run, tmp_path_factory):
    """The same landing folder run again into a copy of the warehouse: a daily re-run."""
    root = tmp_path_factory.mktemp("rerun")
    shutil.copy(generated_run.warehouse, root / "warehouse.duckdb")
    run = run_pipeline(root, generated_run.landing, SAMPLE_AS_OF)
    assert run.result.success, failure_messages(run.result)
    return run


def test_rerun_keeps_every_customer_id(generated_run, second_run):
    query = "SELECT source, source_record_id, customer_id FROM core.customer_identity ORDER BY 1, 2"
    first = query_df(generated_run.warehouse, query)
    again = query_df(second_run.warehouse, query)
    pd.testing.assert_frame_equal(first, again)
    history = query_df(second_run.warehouse, "SELECT as_of, count(*) AS n FROM marts.mart_customer_history GROUP BY 1")
    assert len(history) == 1  # one snapshot per as-of date, not two


FUTURE_ORDERS = """order_id,contact_id,order_date,amount,status,category
future-1,{cid},2027-01-10,5000,completed,Оборудование
future-2,{cid},2027-02-10,7000,completed,Оборудование
future-3,no-such-contact,2027-03-01,100,completed,Оборудование
"""


def test_future_rows_do_not_change_the_marts(generated_run, tmp_path_factory):
    """As-of correctness: extra data dated after the as-of date leaves every mart identical."""
    root = tmp_path_factory.mktemp("future")
    landing = root / "landing"
    shutil.copytree(generated_run.landing, landing)
    cid = query_df(generated_run.warehouse, "SELECT min(contact_id) AS c FROM staging.stg_crm_contacts")["c"][0]
    (landing / "crm" / "orders_future.csv").write_text(FUTURE_ORDERS.format(cid=cid), encoding="utf-8")
    run = run_pipeline(root, landing, SAMPLE_AS_OF)
    assert run.result.success, failure_messages(run.result)
    query = "SELECT * FROM marts.customer_360 ORDER BY customer_id"
    pd.testing.assert_frame_equal(query_df(generated_run.warehouse, query), query_df(run.warehouse, query))
    for table in ("mart_customer_rfm", "mart_customer_lifecycle", "mart_risk_value_matrix"):
        q = f"SELECT * FROM marts.{table} ORDER BY ALL"
        pd.testing.assert_frame_equal(query_df(generated_run.warehouse, q), query_df(run.warehouse, q))


def test_every_dbt_model_and_column_is_described(generated_run, tmp_path):
    """`dbt docs generate` works on a real warehouse and the catalog has no undocumented column."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from clientpulse_config.dbt_vars import analytics_vars_json

    project = Path(__file__).resolve().parents[2] / "dbt"
    target = tmp_path / "target"
    env = {**os.environ, "CLIENTPULSE_WAREHOUSE": str(generated_run.warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(Path(sys.executable).with_name("dbt"))
    done = subprocess.run(
        [dbt, "docs", "generate", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(target), "--vars", analytics_vars_json()],
        capture_output=True, text=True, env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    undocumented = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        if not node.get("description"):
            undocumented.append(node["name"])
        described = {c.lower() for c, meta in node["columns"].items() if meta.get("description")}
        undocumented += [f"{node['name']}.{c}" for c in catalog.get(uid, {}).get("columns", {}) if c.lower() not in described]
    assert undocumented == []


def test_published_database_describes_every_table_and_column(generated_run):
    """The BI file carries a comment on every table and column (dbt YAML, sources included) and holds
    no landed text: raw, normalized, staging and intermediate stay in the warehouse."""
    con = duckdb.connect(str(generated_run.serving), read_only=True)
    try:
        schemas = {r[0] for r in con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()").fetchall()}
        tables = con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY 1, 2").fetchall()
        columns = con.execute(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() ORDER BY 1, 2, column_index").fetchall()
    finally:
        con.close()
    assert not schemas & {"raw", "normalized", "staging", "intermediate"}, sorted(schemas)
    assert {"core", "marts", "ml", "quality", "reference"} <= {s for s, _, _ in tables}
    bare_tables = [f"{s}.{t}" for s, t, comment in tables if not (comment or "").strip()]
    bare_columns = [f"{s}.{t}.{c}" for s, t, c, comment in columns if not (comment or "").strip()]
    assert not bare_tables and not bare_columns, (
        f"{len(bare_tables)} of {len(tables)} published tables and {len(bare_columns)} of {len(columns)} "
        "columns have no description in the dbt YAML (sources for Python-written tables):\n"
        + "\n".join(bare_tables + bare_columns))
