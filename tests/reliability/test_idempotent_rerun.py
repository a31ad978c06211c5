"""Exact reruns (issue 16.3): the same landing folder and as-of date, run twice into two fresh
warehouses, give identical core / marts / quality / ml tables — every row of every table, except
the run-time columns listed below (when the run happened, which run, where a model file went).

A difference means a tie broken by chance (a window without a total order), a float sum whose
order changed, a model fitted without its seed, or the clock read inside a step."""

from __future__ import annotations

import duckdb
import pytest

from sample_data.generator import generate
from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline

SCHEMAS = ("core", "marts", "quality", "ml")
# columns that say when / in which run a row was written, not what the data says
RUN_TIME_COLUMNS = frozenset({
    "_ingested_at", "ingested_at", "run_id", "run_started_at", "computed_at", "created_at_run",
    "trained_at", "scored_at", "model_path", "model_file", "generated_at", "built_at", "elapsed_seconds",
    "seconds", "duration_seconds", "published_at",
})


def _tables(con) -> dict[tuple[str, str], list[str]]:
    rows = con.execute(
        "SELECT table_schema, table_name, list(column_name ORDER BY ordinal_position) "
        "FROM information_schema.columns WHERE table_schema IN ? GROUP BY ALL", [list(SCHEMAS)]).fetchall()
    return {(s, t): cols for s, t, cols in rows}


def _fingerprint(con, schema: str, table: str, columns: list[str]) -> tuple[int, str]:
    """(rows, md5 over the rows sorted by their text): independent of physical row order."""
    keep = [c for c in columns if c not in RUN_TIME_COLUMNS]
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in keep)
    return con.execute(
        f"SELECT count(*), coalesce(md5(string_agg(r, chr(10) ORDER BY r)), '') FROM "
        f"(SELECT CAST(ROW({cols}) AS VARCHAR) AS r FROM \"{schema}\".\"{table}\")").fetchone()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("rerun")
    landing = root / "landing"
    generate(150, 5, landing)
    runs = []
    for name in ("first", "second"):
        run = run_pipeline(root / name, landing, SAMPLE_AS_OF)
        assert run.result.success, failure_messages(run.result)
        runs.append(run)
    return runs


def test_two_runs_of_the_same_input_give_identical_tables(two_runs):
    first, second = (duckdb.connect(str(r.warehouse), read_only=True) for r in two_runs)
    tables = _tables(first)
    assert _tables(second).keys() == tables.keys()
    assert {("marts", "customer_360"), ("core", "customers"), ("ml", "churn_scores")} <= tables.keys()
    different = {}
    for (schema, table), cols in sorted(tables.items()):
        a, b = _fingerprint(first, schema, table, cols), _fingerprint(second, schema, table, cols)
        if a != b:
            different[f"{schema}.{table}"] = (a[0], b[0])
    first.close()
    assert not different, f"tables that differ between two identical runs (rows first, second): {different}"
    # the comparison can fail: a changed value changes the fingerprint
    cols = tables[("marts", "customer_360")]
    before = _fingerprint(second, "marts", "customer_360", cols)
    second.close()
    with duckdb.connect(str(two_runs[1].warehouse)) as con:
        con.execute("UPDATE marts.customer_360 SET monetary = monetary + 0.01 WHERE customer_id = "
                    "(SELECT min(customer_id) FROM marts.customer_360 WHERE monetary IS NOT NULL)")
        assert _fingerprint(con, "marts", "customer_360", cols) != before
