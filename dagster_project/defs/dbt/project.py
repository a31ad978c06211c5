"""The dbt project as Dagster sees it, with the manifest kept fresh.

`prepare_if_dev()` only parses under `dg dev`; the CLI, tests and the UI all import this module,
so a missing or stale manifest is rebuilt here with `dbt parse` (a few seconds, only when a dbt
file changed).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from clientpulse_config.dbt_vars import analytics_vars_json

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Dagster asset groups follow the warehouse layers (docs/dagster_ui.md): a dbt model's group is its
# folder — models/staging → staging, models/intermediate → intermediate, models/marts/quality →
# quality, every other mart (customer_360, lists, managers, outcomes included) → marts. The layer
# *tags* of dbt_project.yml only select the three dbt steps; the serving group is the published files.
# Layer tags of dbt_project.yml (exactly one per model): they select the dbt steps.
LAYER_TAGS = ("staging", "intermediate", "marts", "quality", "serving")
FOLDER_GROUPS = {"staging": "staging", "intermediate": "intermediate"}
MART_SUBFOLDER_GROUPS = {"quality": "quality", "intermediate": "intermediate"}
SEED_GROUP = "staging"
# Owner of every asset (dagster_project/definitions.py applies it to the whole graph).
OWNERS = ("team:data-engineering",)


def _newest_source_mtime() -> float:
    paths = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        paths.extend((DBT_PROJECT_DIR / folder).rglob("*"))
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def _manifest_is_fresh(manifest: Path) -> bool:
    return manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime()


def ensure_manifest() -> Path:
    """Run `dbt parse` when target/manifest.json is missing or older than a dbt source file.

    Several processes (test workers, the UI and a CLI run) may import this at once: a file lock
    makes one of them parse while the others wait and then find the manifest fresh.
    """
    manifest = dbt_project.manifest_path
    if _manifest_is_fresh(manifest):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _manifest_is_fresh(manifest):
                _dbt_parse()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return manifest


def _dbt_parse() -> None:
    dbt_bin = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.setdefault("CLIENTPULSE_WAREHOUSE", str(DBT_PROJECT_DIR.parent / "data" / "warehouse.duckdb"))
    result = subprocess.run(
        [str(dbt_bin), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--vars", analytics_vars_json()],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")


class ClientpulseDbtTranslator(DagsterDbtTranslator):
    """Asset key = [schema, model] as in the warehouse, group = the model's layer folder, and a
    description on every dbt test so the UI never shows "No description provided"."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "model":
            return dg.AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])
        if resource_type == "seed":
            return dg.AssetKey(["reference", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_group(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return list(OWNERS)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=dbt_test_description(manifest["nodes"][unique_id]))


def layer_group(dbt_resource_props: Mapping[str, Any]) -> str:
    """The Dagster group of a dbt model or seed: its folder under models/ (FOLDER_GROUPS)."""
    if dbt_resource_props["resource_type"] == "seed":
        return SEED_GROUP
    fqn = list(dbt_resource_props.get("fqn") or [])[1:]  # [project, folder, ..., name]
    top = fqn[0] if len(fqn) > 1 else ""
    if top in FOLDER_GROUPS:
        return FOLDER_GROUPS[top]
    if top == "marts" and len(fqn) > 2 and fqn[1] in MART_SUBFOLDER_GROUPS:
        return MART_SUBFOLDER_GROUPS[fqn[1]]
    return "marts"


def _values(values: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def dbt_test_description(test: Mapping[str, Any]) -> str:
    """A dbt test's description: its own (`description:` or meta), else one built from the generic
    test and its arguments, else a singular test's leading SQL comment."""
    own = (test.get("description") or "").strip() or ((test.get("config") or {}).get("meta") or {}).get("description")
    if own:
        return str(own)
    severity = str((test.get("config") or {}).get("severity") or "error").upper()
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs") or {}
    column = kwargs.get("column_name") or test.get("column_name")
    name = meta.get("name")
    if name == "not_null":
        text = f"`{column}` is never NULL."
    elif name == "unique":
        text = f"`{column}` has no duplicate value."
    elif name == "accepted_values":
        text = f"`{column}` takes only the values {_values(list(kwargs.get('values') or []))} (or NULL)."
    elif name == "relationships":
        target = str(kwargs.get("to", "")).replace("ref(", "").strip("()'\"")
        text = f"Every `{column}` exists in {target}.{kwargs.get('field')}."
    elif name == "unique_combination":
        text = f"One row per ({', '.join(kwargs.get('columns') or [])})."
    elif name:
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k != "model")
        text = f"dbt test {name}({args})."
    else:
        comment = []
        for line in (test.get("raw_code") or "").splitlines():
            line = line.strip()
            if not line.startswith("--"):
                break
            comment.append(line.lstrip("-").strip())
        text = " ".join(comment) or f"Singular dbt test {test.get('original_file_path', test['name'])}: no row may come back."
    return f"{text} (dbt test, severity {severity})"
