"""What the Dagster UI shows, read from the Definitions: groups by layer, owners, the serving
freshness policy, a description on every check (dbt tests included), singular dbt tests attached
to one model, the ML output checks (docs/dagster_ui.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clientpulse_config import load
from dagster_project.definitions import defs
from dagster_project.defs.dbt.project import OWNERS, dbt_project, dbt_test_description, layer_group

# warehouse schema (the first part of every asset key) → the Dagster group of its layer
SCHEMA_GROUP = {"raw": "ingest", "normalized": "normalize", "staging": "staging", "reference": "staging",
                "intermediate": "intermediate", "core": "identity", "marts": "marts", "quality": "quality",
                "ml": "ml", "serving": "serving"}
GROUPS = {"ingest", "normalize", "staging", "intermediate", "identity", "marts", "quality", "ml", "serving"}


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def _nodes(graph):
    return {key.to_user_string(): graph.get(key) for key in graph.materializable_asset_keys}


def test_groups_are_the_layers_of_the_warehouse(graph):
    nodes = _nodes(graph)
    assert {n.group_name for n in nodes.values()} == GROUPS
    wrong = {k: n.group_name for k, n in nodes.items() if n.group_name != SCHEMA_GROUP[k.split("/")[0]]}
    assert wrong == {}
    assert nodes["marts/customer_360"].group_name == "marts"  # a mart, not the published file
    assert nodes["intermediate/int_customer_orders"].group_name == "intermediate"


def test_every_asset_has_an_owner(graph):
    assert OWNERS == ("team:data-engineering",)
    unowned = [k for k, n in _nodes(graph).items() if list(n.owners) != list(OWNERS)]
    assert unowned == []


def test_serving_assets_have_the_daily_freshness_policy_and_no_other(graph):
    cfg = load("pipeline")["freshness"]
    nodes = _nodes(graph)
    fresh = {k for k, n in nodes.items() if n.freshness_policy is not None}
    assert fresh == {k for k, n in nodes.items() if n.group_name == "serving"} and fresh
    policy = nodes["serving/published_database"].freshness_policy
    assert policy.fail_window.to_timedelta() == dt.timedelta(hours=cfg["fail_after_hours"])
    assert policy.warn_window.to_timedelta() == dt.timedelta(hours=cfg["warn_after_hours"])
    # a day between scheduled runs plus slack: a missed 06:00 run turns the asset stale the next day
    assert dt.timedelta(days=1) < policy.warn_window.to_timedelta() < policy.fail_window.to_timedelta()


def test_every_check_has_a_description(graph):
    undescribed = [str(k) for k in graph.asset_check_keys if not (graph.get_check_spec(k).description or "").strip()]
    assert undescribed == []


def test_every_dbt_test_is_a_check_on_one_model(graph):
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    check_names = {k.name for k in graph.asset_check_keys}
    missing = [t["name"] for t in tests if t["name"] not in check_names]
    assert missing == []  # a singular test over several models names one (meta.dagster.ref)
    by_name = {k.name: k.asset_key.to_user_string() for k in graph.asset_check_keys}
    assert by_name["assert_quality_reconciles_with_staging"] == "quality/quality_coverage"
    assert by_name["assert_risk_value_matrix_reconciles"] == "marts/mart_risk_value_matrix"
    assert by_name["assert_single_alarm_row"] == "marts/mart_rfcm_alarm"


def test_ml_outputs_have_range_coverage_and_quality_checks(graph):
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for table in ("churn_scores", "toxicity_scores", "health_scores", "customer_clusters"):
        assert {(f"ml/{table}", "score_range"), (f"ml/{table}", "covers_every_customer")} <= checks
    assert {("ml/churn_scores", "model_quality"), ("ml/toxicity_scores", "model_quality")} <= checks
    assert ("ml/health_scores", "model_quality") not in checks


def test_test_descriptions_say_what_the_test_asserts():
    not_null = {"name": "not_null_x_id", "description": "", "config": {"severity": "ERROR", "meta": {}},
                "test_metadata": {"name": "not_null", "kwargs": {"column_name": "customer_id"}}}
    assert dbt_test_description(not_null) == "`customer_id` is never NULL. (dbt test, severity ERROR)"
    values = {**not_null, "test_metadata": {"name": "accepted_values",
                                             "kwargs": {"column_name": "band", "values": ["green", "red"]}}}
    assert dbt_test_description(values).startswith("`band` takes only the values green, red")
    combo = {**not_null, "config": {"severity": "warn"},
             "test_metadata": {"name": "unique_combination", "kwargs": {"columns": ["as_of", "customer_id"]}}}
    assert dbt_test_description(combo) == "One row per (as_of, customer_id). (dbt test, severity WARN)"
    singular = {"name": "assert_x", "description": "", "config": {"severity": "ERROR"},
                "raw_code": "-- No customer twice.\n-- Ever.\n{# meta #}\nselect 1"}
    assert dbt_test_description(singular) == "No customer twice. Ever. (dbt test, severity ERROR)"
    own = {**not_null, "description": "Written in the YAML."}
    assert dbt_test_description(own) == "Written in the YAML."


@pytest.mark.parametrize("fqn, group", [
    (["clientpulse", "staging", "crm", "stg_crm_contacts"], "staging"),
    (["clientpulse", "intermediate", "int_customer_orders"], "intermediate"),
    (["clientpulse", "marts", "quality", "quality_coverage"], "quality"),
    (["clientpulse", "marts", "customer_360", "customer_360"], "marts"),
    (["clientpulse", "marts", "lists", "mart_list_goodbye"], "marts"),
])
def test_a_models_group_is_its_folder(fqn, group):
    assert layer_group({"resource_type": "model", "fqn": fqn}) == group
    assert layer_group({"resource_type": "seed", "fqn": ["clientpulse", "x"]}) == "staging"
