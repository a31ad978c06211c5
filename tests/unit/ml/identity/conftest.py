"""Fixtures of the identity tests: an in-memory DuckDB connection on one thread (the splink
training and the golden records are then reproducible)."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("SET threads = 1")
    yield c
    c.close()
