"""Data Docs keep every run: after two runs the site lists both, each with its own page."""

from __future__ import annotations

import datetime as dt
import re

from data_quality.standard import run_standard
from data_quality.standard.tables import write_data_docs
from tests.support.standard import AS_OF, orders


def test_two_runs_show_in_the_history_newest_first(tmp_path):
    clean = run_standard("stg_orders", orders(), AS_OF)
    broken = run_standard("stg_orders", orders(broken=True), AS_OF + dt.timedelta(days=1))
    assert clean.success and not broken.success  # the two runs differ in result

    write_data_docs(clean, tmp_path, run_id="run-aaaa-1111")
    write_data_docs(broken, tmp_path, run_id="run-bbbb-2222")

    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    history = index[index.index("id='history'"):]
    assert "2 validations in 2 run(s)" in history
    rows = re.findall(r"<tr class='(\w+)'><td>[^<]*</td><td>([\d-]+)</td><td><a href='([^']+)'>([^<]+)</a>", history)
    assert [(css, as_of, run) for css, as_of, _, run in rows] == [
        ("error", (AS_OF + dt.timedelta(days=1)).isoformat(), "run-bbbb"),  # newest first, FAILED
        ("ok", AS_OF.isoformat(), "run-aaaa"),
    ]
    for _, _, page, _ in rows:  # each run keeps its own page
        assert (tmp_path / page).is_file()
    failed = [r.rule for r in broken.failed()]
    assert failed and all(rule in history for rule in failed)
    # the latest report of the table is still the one at the top of the page
    assert "FAILED" in index[: index.index("id='history'")]


def test_a_rerun_of_the_same_date_is_a_second_entry(tmp_path):
    report = run_standard("stg_orders", orders(), AS_OF)
    write_data_docs(report, tmp_path, run_id="first-run")
    write_data_docs(report, tmp_path, run_id="second-run")
    runs = sorted(p.name for p in (tmp_path / "history" / "stg_orders").glob("*.json"))
    assert runs == [f"{AS_OF.isoformat()}__first-run.json", f"{AS_OF.isoformat()}__second-run.json"]
    assert "2 validations in 2 run(s)" in (tmp_path / "index.html").read_text(encoding="utf-8")
