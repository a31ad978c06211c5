"""The dbt steps' materialisations carry the table's row count and columns, read from the
warehouse after the dbt process has ended (dagster_project/defs/dbt/assets.py `with_table_metadata`)."""

from __future__ import annotations

import json

import dagster as dg
import duckdb

from dagster_project.asset_metadata import COLUMN_SCHEMA, ROW_COUNT
from dagster_project.defs.dbt.assets import MANIFEST, with_table_metadata
from dagster_project.resources import Warehouse


def test_model_outputs_get_row_count_and_described_columns_others_pass_through(tmp_path):
    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"]
    model = next(n for n in nodes.values() if n["resource_type"] == "model" and n["name"] == "stg_orders")
    described = {c: v["description"] for c, v in model["columns"].items() if v.get("description")}
    first, second = list(described)[:2]
    file = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(file)) as con:
        con.execute(f'CREATE SCHEMA {model["schema"]}')
        con.execute(f'CREATE TABLE {model["schema"]}.{model["alias"]} AS SELECT * FROM (VALUES '
                    f"('o1', 1.5), ('o2', 2.0), ('o3', NULL)) t({first}, {second})")
    events = [
        dg.Output(None, output_name="staging_stg_orders", metadata={"unique_id": model["unique_id"]}),
        dg.AssetCheckResult(asset_key=dg.AssetKey(["staging", "stg_orders"]), check_name="x", passed=True),
        dg.Output(None, output_name="gone", metadata={"unique_id": "model.clientpulse.not_built"}),
    ]
    out = list(with_table_metadata(iter(events), Warehouse(path=str(file))))
    assert [type(e) for e in out] == [dg.Output, dg.AssetCheckResult, dg.Output]  # order kept
    meta = out[0].metadata
    assert meta[ROW_COUNT].value == 3
    columns = meta[COLUMN_SCHEMA].value.columns
    assert [c.name for c in columns] == [first, second]
    assert columns[0].description == described[first] and columns[1].type == "DECIMAL(2,1)"
    assert meta["unique_id"].value == model["unique_id"]  # dagster-dbt's own metadata stays
    assert ROW_COUNT not in out[2].metadata  # a model the warehouse does not hold: nothing invented
