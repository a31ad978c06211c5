"""The `clientpulse` console script: readable errors and non-zero exits (a run that starts and
fails in a step: tests/e2e/test_cli_run.py)."""

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


def test_generate_writes_a_landing_folder_with_truth(tmp_path, capsys):
    assert main(["generate", "--customers", "50", "--seed", "3", "--out", str(tmp_path / "landing")]) == 0
    assert (tmp_path / "landing" / "truth" / "record_map.csv").is_file()
    assert (tmp_path / "landing" / "crm" / "contacts.csv").is_file()
    assert "generated 50 customers" in capsys.readouterr().out
