"""Fixtures of the landing tests: an in-memory ingest connection and the shipped landing config
without user mappings (a test module may define its own `con`, e.g. on a file)."""

from __future__ import annotations

import duckdb
import pytest

from data_quality.landing import load_landing_config


@pytest.fixture()
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture()
def cfg():
    return load_landing_config(mapping_dirs=[])
