"""The published BI file: only the BI schemas, readable by an old DuckDB, comments included."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import ServingConfig, dbt_descriptions, publish
from public_data.cache import cache_dir

CONFIG = ServingConfig(schemas=("core", "marts"), storage_version="v1.1.0", comments=True)
DESCRIPTIONS = {("marts", "customer_360"): ("One row per customer.", {"customer_id": "Customer id.",
                                                                       "note": "It's quoted."})}


def _warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    for schema in ("raw", "core", "marts"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE raw.mail AS SELECT 'secret body' AS body")
    con.execute("CREATE TABLE core.customers AS SELECT 'CUST-1' AS customer_id, ['a', 'b'] AS tags")
    con.execute("CREATE TABLE marts.customer_360 AS SELECT 'CUST-1' AS customer_id, 'x' AS note, "
                "12.5::DECIMAL(18, 2) AS monetary, DATE '2024-01-01' AS as_of")
    con.close()
    return path


def test_publish_copies_only_bi_schemas_with_comments(tmp_path):
    serving = tmp_path / "serving.duckdb"
    (tmp_path / "serving.duckdb.tmp").write_bytes(b"half-written by a killed run")
    counts = publish(_warehouse(tmp_path / "wh.duckdb"), serving, CONFIG, DESCRIPTIONS)
    assert counts == {"core.customers": 1, "marts.customer_360": 1}
    assert not (tmp_path / "serving.duckdb.tmp").exists()
    con = duckdb.connect(str(serving), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw'").fetchone()[0] == 0
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'customer_360'").fetchone()[0] \
        == "One row per customer."
    cols = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'customer_360'"
                            ).fetchall())
    assert cols["note"] == "It's quoted." and cols["monetary"] is None


def test_published_file_opens_in_duckdb_1_1(tmp_path):
    wheels = sorted(cache_dir().glob("duckdb-1.1.3-*.whl"))
    if not wheels:
        pytest.skip(f"duckdb 1.1.3 wheel not in {cache_dir()}; run `make datasets`")
    serving = tmp_path / "serving.duckdb"
    publish(_warehouse(tmp_path / "wh.duckdb"), serving, CONFIG, DESCRIPTIONS)
    old = tmp_path / "duckdb_1_1"
    with zipfile.ZipFile(wheels[-1]) as whl:
        whl.extractall(old)
    script = f"""
import sys, json
sys.path.insert(0, {str(old)!r})
import duckdb
con = duckdb.connect({str(serving)!r}, read_only=True)
print(json.dumps({{
    "version": duckdb.__version__,
    "rows": con.execute("SELECT customer_id, monetary::VARCHAR, tags FROM marts.customer_360 JOIN core.customers USING (customer_id)").fetchall(),
    "table_comment": con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'customer_360'").fetchone()[0],
    "column_comment": con.execute("SELECT comment FROM duckdb_columns() WHERE column_name = 'customer_id' AND table_name = 'customer_360'").fetchone()[0],
}}))
"""
    out = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout)
    assert seen["version"] == "1.1.3"
    assert seen["rows"] == [["CUST-1", "12.50", ["a", "b"]]]
    assert seen["table_comment"] == "One row per customer." and seen["column_comment"] == "Customer id."


def test_dbt_descriptions_cover_models_seeds_and_python_sources():
    from dagster_project.defs.dbt.project import ensure_manifest

    found = dbt_descriptions(ensure_manifest())
    assert found[("marts", "customer_360")][1]["churn_probability"]
    assert found[("ml", "churn_scores")][0]  # a source written by Python
    assert ("reference", "rfm_segment_map") in found  # a seed


def test_serving_config_rejects_bad_values():
    with pytest.raises(ValueError, match="schemas"):
        ServingConfig.from_mapping({"schemas": []})
    with pytest.raises(ValueError, match="storage_version"):
        ServingConfig.from_mapping({"schemas": ["marts"], "storage_version": "1.1"})


def test_column_patterns_describe_columns_named_after_data(tmp_path):
    """`cat_share__*` in the YAML describes every category column; an exact entry wins over it."""
    warehouse = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA ml")
    con.execute('CREATE TABLE ml.customer_features AS SELECT 1.0 AS "cat_share__Оборудование", '
                '0.5 AS cat_share__special, 2.0 AS frequency')
    con.close()
    descriptions = {("ml", "customer_features"): ("Features.", {
        "cat_share__*": "Share of orders in the category named after the prefix.",
        "cat_share__special": "Own text.", "frequency": "Completed orders."})}
    serving = tmp_path / "serving.duckdb"
    publish(warehouse, serving, ServingConfig(schemas=("ml",), storage_version=None, comments=True), descriptions)
    con = duckdb.connect(str(serving), read_only=True)
    cols = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'customer_features'"
                            ).fetchall())
    assert cols == {"cat_share__Оборудование": "Share of orders in the category named after the prefix.",
                    "cat_share__special": "Own text.", "frequency": "Completed orders."}
