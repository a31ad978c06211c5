"""On a real run (the shared generated sample): every table asset's materialisation carries the
row count and the columns the warehouse holds, and the ML output checks report on real scores."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.asset_metadata import COLUMN_SCHEMA, ROW_COUNT

FILE_ASSETS = "serving"  # serving/* are files, not warehouse tables


@pytest.fixture(scope="module")
def materialisations(generated_run):
    events = generated_run.result.get_asset_materialization_events()
    return {e.asset_key.to_user_string(): e.step_materialization_data.materialization for e in events}


def test_every_table_asset_has_the_warehouse_row_count_and_columns(generated_run, materialisations):
    tables = {k: m for k, m in materialisations.items() if not k.startswith(f"{FILE_ASSETS}/")}
    assert len(tables) > 80  # raw, normalized, staging, reference, intermediate, core, marts, quality, ml
    with duckdb.connect(str(generated_run.warehouse), read_only=True) as con:
        wrong = {}
        for key, mat in tables.items():
            schema, table = key.split("/")
            count = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                "ORDER BY column_index", [schema, table]).fetchall()]
            meta = mat.metadata
            if ROW_COUNT not in meta or meta[ROW_COUNT].value != count:
                wrong[key] = ("row_count", meta.get(ROW_COUNT), count)
            elif COLUMN_SCHEMA not in meta or [c.name for c in meta[COLUMN_SCHEMA].value.columns] != columns:
                wrong[key] = ("columns", None, len(columns))
            assert "dg/row_count" not in meta, key
    assert wrong == {}


def test_dbt_columns_carry_their_yaml_description(materialisations):
    columns = materialisations["marts/customer_360"].metadata[COLUMN_SCHEMA].value.columns
    described = [c for c in columns if c.description]
    assert len(described) == len(columns)  # every dbt column is described (docs rule)


def test_ml_output_checks_ran_on_the_real_scores(generated_run):
    evaluations = {(e.asset_check_evaluation_data.asset_key.to_user_string(), e.asset_check_evaluation_data.check_name):
                   e.asset_check_evaluation_data for e in generated_run.result.all_events
                   if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    for table in ("churn_scores", "toxicity_scores", "health_scores", "customer_clusters"):
        assert evaluations[(f"ml/{table}", "score_range")].passed, table
        coverage = evaluations[(f"ml/{table}", "covers_every_customer")]
        assert coverage.passed and coverage.metadata["coverage"].value == 1.0, table
    for table in ("churn_scores", "toxicity_scores"):
        quality = evaluations[(f"ml/{table}", "model_quality")]
        kind = quality.metadata["model_kind"].value
        assert kind, table  # the method used is always named; pass or fail depends on the sample
        if quality.metadata["fallback_reason"].value != "none":
            assert not quality.passed and quality.severity.value == "WARN"
