"""Splink on Spark (identity.backend: spark) resolves a generated sample to the same customers as
the DuckDB backend: the same partition of records, exactly (u sampling is seeded on both)."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from bench.bench_identity import generate
from ml.identity import resolve_identities

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")


def _partition(backend: str, records) -> tuple[set[frozenset[str]], dict]:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.register("_g", records)
    con.execute("CREATE TABLE records AS SELECT * FROM _g")
    res = resolve_identities(con, "records", config={"backend": backend}, as_of=date(2024, 12, 31))
    out: dict[str, set[str]] = {}
    for cid, key in con.execute(f"SELECT customer_id, source || ':' || source_record_id FROM {res.identity}").fetchall():
        out.setdefault(cid, set()).add(key)
    return {frozenset(v) for v in out.values()}, res.stats


def test_spark_backend_gives_the_same_customers_as_duckdb():
    records = generate(1600, seed=7).drop(columns=["pid"])  # about 420 persons
    on_duckdb, s_duck = _partition("duckdb", records)
    on_spark, s_spark = _partition("spark", records)
    assert s_spark["splink_backend"] == "spark" and s_duck["splink_backend"] == "duckdb"
    # Splink really ran and trained on both, on the same pairs
    assert s_spark["splink_method"] == s_duck["splink_method"] == "splink"
    assert s_spark["splink_em_blocks"] == s_duck["splink_em_blocks"] and s_spark["splink_em_blocks"]
    assert s_spark["splink_pairs_scored"] == s_duck["splink_pairs_scored"] > 0
    assert sum(len(c) for c in on_spark) == len(records)
    assert on_spark == on_duckdb, (len(on_spark - on_duckdb), len(on_duckdb - on_spark))
