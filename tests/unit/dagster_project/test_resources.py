"""Resources: built from the environment in one place, injected by tests, config checked at start."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from clientpulse_config import ConfigError, env
from dagster_project.resources import PipelineSettings, Warehouse, resources_from_env, resources_of

ROOT = Path(__file__).resolve().parents[3]


def test_every_clientpulse_variable_is_read_only_in_clientpulse_config_env():
    readers = []
    for path in ROOT.glob("**/*.py"):
        if any(part in {".venv", "tests", "bench"} for part in path.relative_to(ROOT).parts):
            continue
        text = path.read_text(encoding="utf-8")
        reads = r"(environ\.get\(|getenv\(|EnvVar\()\s*[\"']CLIENTPULSE_|environ\[[\"']CLIENTPULSE_\w+[\"']\](?!\s*=)"
        if re.search(reads, text):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == [], f"CLIENTPULSE_* read outside clientpulse_config/env.py: {readers}"


def test_readme_lists_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [v.name for v in env.VARIABLES if f"`{v.name}`" not in readme]
    assert missing == []


def test_environment_defaults_and_overrides(tmp_path):
    defaults = env.from_env({})
    assert defaults.warehouse_path == Path("data/warehouse.duckdb").resolve()
    assert defaults.config_dir is None and defaults.alert_kind == "slack" and defaults.as_of is None
    given = env.from_env({"CLIENTPULSE_WAREHOUSE": str(tmp_path / "w.duckdb"), "CLIENTPULSE_AS_OF": "2026-11-15",
                          "CLIENTPULSE_CONFIG_DIR": str(tmp_path), "CLIENTPULSE_LOG_LEVEL": "debug"})
    assert given.warehouse_path == tmp_path / "w.duckdb" and given.config_dir == tmp_path
    assert given.as_of.isoformat() == "2026-11-15" and given.log_level == "DEBUG"
    with pytest.raises(ValueError, match="CLIENTPULSE_AS_OF must be YYYY-MM-DD"):
        env.from_env({"CLIENTPULSE_AS_OF": "15.11.2026"})


def test_set_variables_become_env_vars_so_the_ui_shows_their_source(monkeypatch, tmp_path):
    monkeypatch.setenv("CLIENTPULSE_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("CLIENTPULSE_CONFIG_DIR", raising=False)
    resources = resources_from_env()
    assert isinstance(resources["warehouse"].path, dg.EnvVar)
    assert resources["settings"].config_dir is None
    plain = resources_of(env.from_env())
    assert plain["warehouse"].file == tmp_path / "w.duckdb"


def test_a_bad_config_fails_the_run_before_any_step_work(tmp_path):
    (tmp_path / "identity.yaml").write_text("splink:\n  match_threshhold: 0.9\n", encoding="utf-8")
    ran = []

    @dg.asset
    def step(settings: PipelineSettings, warehouse: Warehouse) -> None:
        ran.append(True)

    resources = {"settings": PipelineSettings(landing_dir=str(tmp_path), serving_path=str(tmp_path / "s.duckdb"),
                                              config_dir=str(tmp_path)),
                 "warehouse": Warehouse(path=str(tmp_path / "w.duckdb"))}
    with pytest.raises(Exception) as failure:
        dg.materialize([step], resources=resources)
    cause = failure.value if isinstance(failure.value, ConfigError) else failure.value.__cause__
    assert isinstance(cause, ConfigError)
    assert "identity.yaml: splink.match_threshhold: unknown key" in str(cause)
    assert ran == []


def test_the_warehouse_connection_caps_duckdb_memory_from_the_pipeline_config(tmp_path, monkeypatch):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "pipeline.yaml").write_text("warehouse:\n  memory_limit: 1GB\n", encoding="utf-8")
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
    with warehouse.connect() as con:  # the shipped value
        shipped = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    monkeypatch.setenv("CLIENTPULSE_CONFIG_DIR", str(tmp_path / "cfg"))
    with warehouse.connect() as con:  # the user's copy wins
        mine = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert shipped == "4.6 GiB" and mine == "953.6 MiB"
