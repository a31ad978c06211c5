"""`clientpulse run` / `summary` end by pointing at the daily report, only when it was written."""

import duckdb

from dagster_project.cli import print_summary


def test_summary_names_the_report_only_when_it_exists(tmp_path, capsys):
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    print_summary(database)
    assert "daily report" not in capsys.readouterr().out
    report = tmp_path / "report" / "index.html"
    report.parent.mkdir()
    report.write_text("<html></html>", encoding="utf-8")
    print_summary(database)
    assert f"daily report: {report}" in capsys.readouterr().out
