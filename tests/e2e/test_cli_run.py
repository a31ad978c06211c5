"""`clientpulse run` starts the daily job and, when a step fails, exits non-zero naming the step."""

from __future__ import annotations

from dagster_project.cli import main
from tests.support.pipeline import pipeline_env


def test_failing_step_exits_non_zero_and_names_the_step(tmp_path, capsys, monkeypatch):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "contacts.csv").write_text("contact_id,full_name\n1,Иван Петров\n", encoding="utf-8")
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the warehouse folder should be", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    with pipeline_env(tmp_path, landing, "2026-01-31"):
        monkeypatch.setenv("CLIENTPULSE_WAREHOUSE", str(blocker / "warehouse.duckdb"))
        assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "as of 2026-01-31: FAILED" in err and "step ingest_landing" in err
