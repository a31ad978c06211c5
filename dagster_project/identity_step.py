"""The identity step on an open warehouse connection: last run's crosswalk and aliases, the
reviewers' decisions and the order values in, `ml.identity.resolve_identities` on
`intermediate.int_identity_records`, `core.*` out.

One function for the identity asset and for the tests that replay daily runs without the Dagster
graph (tests/reliability/test_id_stability_week.py), so both resolve exactly alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dagster_project.warehouse import ensure_schema, table_exists

RECORDS_TABLE = "intermediate.int_identity_records"
PREVIOUS_IDENTITY = "core.customer_identity"
# the Splink model, rows and pairs kept for the next run's incremental scoring: not for BI
IDENTITY_STATE_SCHEMA = "identity_state"


@dataclass
class IdentityStep:
    result: Any  # ml.identity.IdentityResult
    previous_records: int  # records of the previous crosswalk (0 on the first run)


def read_decisions(config: dict[str, Any], data_dir: Path) -> pd.DataFrame | None:
    """Reviewed pairs (must_link / cannot_link): config `decisions.path`, relative to the data folder."""
    path = Path((config.get("decisions") or {}).get("path") or "identity_decisions.csv")
    path = path if path.is_absolute() else data_dir / path
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def resolve_on_warehouse(con: duckdb.DuckDBPyConnection, config: dict[str, Any], as_of: date,
                         decisions: pd.DataFrame | None = None) -> IdentityStep:
    """Resolve this run's records against the previous run's `core.customer_identity` and
    `core.customer_aliases` (ids are kept, merged or split by ml.identity.stable_ids)."""
    from ml.identity import resolve_identities

    ensure_schema(con, "core")
    # the previous crosswalk stays in DuckDB (a table name, not a frame: 15M rows at 1M customers)
    previous = PREVIOUS_IDENTITY if table_exists(con, "core", "customer_identity") else None
    previous_records = con.execute(f"SELECT count(*) FROM {previous}").fetchall()[0][0] if previous else 0
    previous_aliases = (
        con.execute("SELECT * FROM core.customer_aliases").df() if table_exists(con, "core", "customer_aliases") else None
    )
    result = resolve_identities(
        con,
        RECORDS_TABLE,
        config=config,
        previous_identity=previous,
        decisions=decisions,
        as_of=as_of,
        write_to_schema="core",
        previous_aliases=previous_aliases,
        # completed orders rank the review queue by the value at stake
        record_values=(
            "SELECT 'order' AS source, order_id AS source_record_id, amount AS value "
            "FROM staging.stg_orders WHERE status_class = 'completed'"
            if table_exists(con, "staging", "stg_orders") else None),
        state_schema=IDENTITY_STATE_SCHEMA,
    )
    return IdentityStep(result, previous_records)
