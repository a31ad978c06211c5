"""Every ``CLIENTPULSE_*`` environment variable, read here and nowhere else.

The orchestration layer turns these into Dagster resources; domain code receives paths and
values as arguments. ``VARIABLES`` is the table the README lists (a test keeps the two in step).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SHIPPED_CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable("CLIENTPULSE_LANDING_DIR", "data/landing", "landing folder, one sub-folder per source"),
    Variable("CLIENTPULSE_WAREHOUSE", "data/warehouse.duckdb", "the warehouse (one writer: the pipeline)"),
    Variable("CLIENTPULSE_SERVING", "data/serving.duckdb",
             "the published copy BI tools read; replaced atomically after each run"),
    Variable("CLIENTPULSE_AS_OF", None, "as-of date of a one-off `clientpulse run` (YYYY-MM-DD)"),
    Variable("CLIENTPULSE_CONFIG_DIR", None,
             "your own copies of the YAML configs; each file is merged over the shipped one in `config/`"),
    Variable("CLIENTPULSE_LOG_LEVEL", "INFO", "level of Dagster's event log in the run log file of `clientpulse run` and `backfill`"),
    Variable("CLIENTPULSE_ALERT_WEBHOOK", None, "post alerts to this Slack-compatible or Telegram webhook"),
    Variable("CLIENTPULSE_ALERT_KIND", "slack", "`slack` or `telegram`: the webhook's message format"),
    Variable("CLIENTPULSE_ALERT_CHAT_ID", None, "Telegram chat id for the Bot API"),
    Variable("CLIENTPULSE_LLM_API_KEY", None, "key of the optional outside model (off by default)"),
    Variable("CLIENTPULSE_DATASET_CACHE", "data/cache/wheels",
             "where `make datasets` keeps the public dataset wheels and `clientpulse datasets` reads them"),
)
_BY_NAME = {v.name: v for v in VARIABLES}


def read(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value, its default when unset or blank; an unknown name is a bug."""
    variable = _BY_NAME[name]
    value = (os.environ if environ is None else environ).get(name)
    return value.strip() if value and value.strip() else variable.default


def is_set(name: str, environ: Mapping[str, str] | None = None) -> bool:
    _BY_NAME[name]
    value = (os.environ if environ is None else environ).get(name)
    return bool(value and value.strip())


def parse_date(value: str | None, name: str = "CLIENTPULSE_AS_OF") -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be YYYY-MM-DD, got {value!r}") from exc


@dataclass(frozen=True)
class Environment:
    """The process environment as typed values (paths resolved against the working directory)."""

    landing_dir: Path
    warehouse_path: Path
    serving_path: Path
    as_of: dt.date | None
    config_dir: Path | None
    log_level: str
    alert_webhook: str | None
    alert_kind: str
    alert_chat_id: str | None
    llm_api_key: str | None
    dataset_cache: Path


def from_env(environ: Mapping[str, str] | None = None) -> Environment:
    def get(name: str) -> str | None:
        return read(name, environ)

    config_dir = get("CLIENTPULSE_CONFIG_DIR")
    return Environment(
        landing_dir=Path(get("CLIENTPULSE_LANDING_DIR")).resolve(),
        warehouse_path=Path(get("CLIENTPULSE_WAREHOUSE")).resolve(),
        serving_path=Path(get("CLIENTPULSE_SERVING")).resolve(),
        as_of=parse_date(get("CLIENTPULSE_AS_OF")),
        config_dir=Path(config_dir).resolve() if config_dir else None,
        log_level=(get("CLIENTPULSE_LOG_LEVEL") or "INFO").upper(),
        alert_webhook=get("CLIENTPULSE_ALERT_WEBHOOK"),
        alert_kind=get("CLIENTPULSE_ALERT_KIND") or "slack",
        alert_chat_id=get("CLIENTPULSE_ALERT_CHAT_ID"),
        llm_api_key=get("CLIENTPULSE_LLM_API_KEY"),
        dataset_cache=Path(get("CLIENTPULSE_DATASET_CACHE")).resolve(),
    )
