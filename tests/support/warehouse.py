"""Reading a DuckDB file (warehouse or published copy) in a test."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def query_df(path: Path, sql: str) -> pd.DataFrame:
    """The result of ``sql`` on the DuckDB file ``path``, opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()
