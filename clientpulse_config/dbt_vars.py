"""The dbt vars: ``config/analytics.yaml`` (user's copy merged over it) plus the as-of date.

One function for every dbt command: the pipeline's builds, ``dbt parse`` (make install and the
manifest refresh) and hand-run commands, ``dbt parse --vars "$(python -m clientpulse_config.dbt_vars)"``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from .loader import load


def analytics_vars(as_of: dt.date | str | None = None, config_dir: Path | None = None) -> dict[str, Any]:
    """Every analytics var; ``as_of`` is added when given (else dbt_project.yml's parse-time date).
    Dates (an unquoted YAML date) become ISO text, as dbt's JSON ``--vars`` needs."""
    out = load("analytics", config_dir=config_dir)
    if as_of is not None:
        out["as_of"] = as_of
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in out.items()}


def analytics_vars_json(as_of: dt.date | str | None = None, config_dir: Path | None = None) -> str:
    """``analytics_vars`` as the JSON text dbt's ``--vars`` takes (dates as ISO text)."""
    return json.dumps(analytics_vars(as_of, config_dir), ensure_ascii=False)


if __name__ == "__main__":
    print(analytics_vars_json(sys.argv[1] if len(sys.argv) > 1 else None))
