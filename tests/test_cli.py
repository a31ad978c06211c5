"""The `clientpulse` console script: readable errors and non-zero exits."""

from __future__ import annotations

from dagster_project.cli import main
from tests.support.pipeline import pipeline_env


def test_run_without_landing_folder_says_so(tmp_path, capsys):
    with pipeline_env(tmp_path, tmp_path / "missing", None):
        assert main(["run", "--as-of", "2026-01-31"]) == 2
    assert "landing folder" in capsys.readouterr().err


def test_bad_as_of_is_a_readable_error(tmp_path, capsys):
    (tmp_path / "landing").mkdir()
    with pipeline_env(tmp_path, tmp_path / "landing", None):
        assert main(["run", "--as-of", "31.01.2026"]) == 1
    assert "--as-of must be YYYY-MM-DD" in capsys.readouterr().err


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


def test_generate_writes_a_landing_folder_with_truth(tmp_path, capsys):
    assert main(["generate", "--customers", "50", "--seed", "3", "--out", str(tmp_path / "landing")]) == 0
    assert (tmp_path / "landing" / "truth" / "record_map.csv").is_file()
    assert (tmp_path / "landing" / "crm" / "contacts.csv").is_file()
    assert "generated 50 customers" in capsys.readouterr().out
