"""The code location loads and the asset graph has the contract's shape (docs/architecture.md)."""

from __future__ import annotations

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.resources import WAREHOUSE_POOL

CONTRACT_ASSETS = {
    "raw/crm_contacts": "ingest",
    "raw/rejected_rows": "ingest",
    "normalized/phone_lookup": "normalize",
    "staging/stg_orders": "staging",
    "intermediate/int_identity_records": "intermediate",
    "intermediate/int_customer_orders": "intermediate",
    "core/customer_identity": "identity",
    "core/customers": "identity",
    "marts/mart_customer_rfm": "marts",
    "quality/quality_coverage": "quality",
    "ml/churn_scores": "ml",
    "ml/alerts": "ml",
    "marts/customer_360": "marts",  # a mart; the serving group is the published files
    "serving/published_database": "serving",
    "serving/crm_import_file": "serving",
}


def test_graph_has_the_contract_assets_in_their_groups():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    for key, group in CONTRACT_ASSETS.items():
        assert groups.get(key) == group, key


def test_every_asset_is_described_and_warehouse_steps_share_one_pool():
    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
    job = defs.resolve_job_def("daily_refresh")
    for node in job.graph.node_defs:
        assert node.pool == WAREHOUSE_POOL, f"{node.name} is not in the {WAREHOUSE_POOL} pool"


def test_daily_schedule_runs_as_of_the_previous_day():
    import datetime as dt

    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 11, 23, 6, 0))
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-11-22"


def test_every_step_after_normalisation_is_an_as_of_partition():
    from dagster_project.defs.partitions import as_of_partitions

    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        landing_side = node.group_name in ("ingest", "normalize")
        assert (node.partitions_def is None) == landing_side, key.to_user_string()
        if not landing_side:
            assert node.partitions_def == as_of_partitions, key.to_user_string()
            assert node.backfill_policy.max_partitions_per_run == 1, key.to_user_string()


def test_resources_are_declared_once_for_every_step():
    assert set(defs.resources) == {"warehouse", "settings", "dbt"}
