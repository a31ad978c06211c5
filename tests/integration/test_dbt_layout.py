"""The dbt layout and the Dagster steps agree: layers are tags, every model is built by one step."""

from __future__ import annotations

import json

from dagster_project.defs.dbt import assets
from dagster_project.defs.dbt.project import LAYER_TAGS

STEPS = {
    "dbt_staging": assets.dbt_staging_models,
    "dbt_marts": assets.dbt_mart_models,
    "dbt_serving": assets.dbt_serving_models,
}
IDENTITY_STEP_TAGS = {"pre_identity", "post_identity"}


def _manifest() -> dict:
    return json.loads(assets.MANIFEST.read_text())


def _ancestors(manifest: dict, unique_id: str) -> set[str]:
    seen: set[str] = set()
    todo = [unique_id]
    while todo:
        node = manifest["nodes"].get(todo.pop()) or {}
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_every_model_and_seed_is_built_by_exactly_one_step():
    manifest = _manifest()
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        key = assets.TRANSLATOR.get_asset_key(node)
        steps = [name for name, definition in STEPS.items() if key in definition.keys]
        assert len(steps) == 1, f"{node['unique_id']} is in the steps {steps}"


def test_every_model_has_one_layer_tag_and_intermediate_models_say_when_they_run():
    manifest = _manifest()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        layers = [tag for tag in node["tags"] if tag in LAYER_TAGS]
        assert len(layers) == 1, f"{node['unique_id']} has the layer tags {layers}"
        if layers == ["intermediate"]:
            assert node["schema"] == "intermediate", node["unique_id"]
            steps = IDENTITY_STEP_TAGS & set(node["tags"])
            reads_identity = any(a.startswith("source.clientpulse.core.") for a in _ancestors(manifest, node["unique_id"]))
            assert steps == ({"post_identity"} if reads_identity else {"pre_identity"}), node["unique_id"]


def test_pipeline_manifest_has_no_unit_tests():
    """Unit tests are enabled only with --vars run_unit_tests: the steps' `dbt build` runs none."""
    manifest = _manifest()
    assert manifest.get("unit_tests", {}) == {}
    assert any(uid.startswith("unit_test.") for uid in manifest.get("disabled", {}))
