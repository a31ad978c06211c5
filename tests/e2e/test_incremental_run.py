"""A daily run on an existing base: a day of new data lands beside the earlier files
(sample_data.increment), only the new files are ingested, every new record finds its customer and
the customer ids of the base stay what they were."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from ml.identity.evaluate import evaluate_tables
from sample_data.increment import land, split_last_day
from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline

CUSTOMERS = 250


def _files_changed(result) -> tuple[int, int]:
    """(files, files changed) over the raw tables of the ingestion step."""
    files = changed = 0
    for event in result.get_asset_materialization_events():
        md = event.materialization.metadata
        if "files_changed" in md and "files" in md:
            files += int(md["files"].value)
            changed += int(md["files_changed"].value)
    return files, changed


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from sample_data import generate

    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    generate(customers=CUSTOMERS, seed=5, out_dir=landing, end_date=SAMPLE_AS_OF)
    day, moved = split_last_day(landing, root / "aside")
    base = run_pipeline(root, landing, (day - dt.timedelta(days=1)).isoformat())
    assert base.result.success, failure_messages(base.result)
    con = duckdb.connect(str(base.warehouse), read_only=True)
    before = con.execute("SELECT source, source_record_id, customer_id FROM core.customer_identity").df()
    con.close()
    new_files = land(root / "aside", landing)
    daily = run_pipeline(root, landing, day.isoformat())
    assert daily.result.success, failure_messages(daily.result)
    return {"base": base, "daily": daily, "before": before, "moved": moved, "new_files": new_files}


def test_only_the_new_files_are_ingested(runs):
    files0, _ = _files_changed(runs["base"].result)
    files1, changed1 = _files_changed(runs["daily"].result)
    assert files1 == files0 + len(runs["new_files"])
    assert changed1 == len(runs["new_files"])  # every earlier file skipped as unchanged


def test_new_records_land_and_ids_stay(runs):
    con = duckdb.connect(str(runs["daily"].warehouse), read_only=True)
    try:
        con.register("before", runs["before"])
        same, total = con.execute("""
            SELECT count(*) FILTER (WHERE b.customer_id = c.customer_id), count(*)
            FROM before b JOIN core.customer_identity c USING (source, source_record_id)""").fetchall()[0]
        new = con.execute("SELECT count(*) FROM core.customer_identity").fetchall()[0][0] - total
        inputs = con.execute("SELECT count(*) FROM intermediate.int_identity_records").fetchall()[0][0]
        f1 = evaluate_tables(con, "core.customer_identity", runs["daily"].landing / "truth" / "record_map.csv")
        statuses = {r[0] for r in con.execute("SELECT DISTINCT review_status FROM core.identity_review_pairs").fetchall()}
    finally:
        con.close()
    assert total == len(runs["before"])  # nothing of the base was lost
    # 250 customers: one merge of a new record's two customers moves a few records (measured 3867 / 3871);
    # bench_e2e --incremental measures the 99.9 % target on 100k (99.946 %)
    assert same / total >= 0.998
    assert new > 0 and total + new == inputs  # every new record has exactly one customer
    assert f1["pairwise_f1"] >= 0.97
    assert statuses <= {"queued", "decided_by_model", "reviewed"}
