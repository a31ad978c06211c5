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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from clientpulse_config.dbt_vars import analytics_vars_json

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Layer tag of a dbt model (dbt_project.yml, exactly one per model) → Dagster asset group: the layers
# of docs/architecture.md.
LAYER_TAGS = ("staging", "intermediate", "marts", "quality", "serving")


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
    """Asset key = [schema, model] as in the warehouse, group = the model's layer tag."""

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
        if dbt_resource_props["resource_type"] == "seed":
            return "staging"
        tags = dbt_resource_props.get("tags") or []
        return next((tag for tag in LAYER_TAGS if tag in tags), "marts")
