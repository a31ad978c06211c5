"""Run settings from the public environment variables (DESIGN.md §4).

Resolved at the orchestration boundary only: SQL models and ML code receive the as-of date as an
argument, never read the clock themselves.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

AS_OF_TAG = "clientpulse/as_of"
WAREHOUSE_POOL = "duckdb_warehouse"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    serving_path: Path
    as_of: dt.date | None

    @property
    def data_dir(self) -> Path:
        return self.warehouse_path.parent


def parse_as_of(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"CLIENTPULSE_AS_OF must be YYYY-MM-DD, got {value!r}") from exc


def load_settings() -> Settings:
    """Read the env variables each time, so tests and the CLI can point runs at temp dirs."""
    return Settings(
        landing_dir=Path(os.environ.get("CLIENTPULSE_LANDING_DIR", "data/landing")).resolve(),
        warehouse_path=Path(os.environ.get("CLIENTPULSE_WAREHOUSE", "data/warehouse.duckdb")).resolve(),
        serving_path=Path(os.environ.get("CLIENTPULSE_SERVING", "data/serving.duckdb")).resolve(),
        as_of=parse_as_of(os.environ.get("CLIENTPULSE_AS_OF")),
    )


def resolve_as_of(run_tags: dict[str, str] | None = None) -> dt.date:
    """The run's as-of date: run tag (schedule / CLI) > CLIENTPULSE_AS_OF > today's date.

    "Today" is read once here, at the boundary, and the CLI records it as a run tag so every step
    of one run sees the same date.
    """
    tag = (run_tags or {}).get(AS_OF_TAG)
    if tag:
        return parse_as_of(tag)  # type: ignore[return-value]
    env = load_settings().as_of
    return env or dt.date.today()
