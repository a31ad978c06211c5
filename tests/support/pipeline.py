"""Running the daily job in a test: its environment, the run itself and its failures.

`pipeline_env` points every environment variable of the contract at a temporary folder,
`run_pipeline` materialises the daily job (dbt included) for one as-of partition,
`failure_messages` collects the step failures of a result for an assertion message, and
`SAMPLE_AS_OF` is the last day of the generated sample.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sample_data.generator import DEFAULT_END_DATE

SAMPLE_AS_OF = DEFAULT_END_DATE  # the as-of date of a generated sample: its last day
ENV_KEYS = ("CLIENTPULSE_LANDING_DIR", "CLIENTPULSE_WAREHOUSE", "CLIENTPULSE_SERVING", "CLIENTPULSE_AS_OF", "DAGSTER_HOME")


@contextmanager
def pipeline_env(root: Path, landing: Path, as_of: str | None):
    """Point every env variable of the contract at a temp dir for the duration of a run."""
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    os.environ["CLIENTPULSE_LANDING_DIR"] = str(landing)
    os.environ["CLIENTPULSE_WAREHOUSE"] = str(root / "warehouse.duckdb")
    os.environ["CLIENTPULSE_SERVING"] = str(root / "serving.duckdb")
    if as_of:
        os.environ["CLIENTPULSE_AS_OF"] = as_of
    else:
        os.environ.pop("CLIENTPULSE_AS_OF", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class PipelineRun:
    root: Path
    landing: Path
    warehouse: Path
    serving: Path
    as_of: str
    result: object


def run_pipeline(root: Path, landing: Path, as_of: str, config_dir: Path | None = None,
                 instance=None, settings: dict | None = None) -> PipelineRun:
    """Materialise the daily job (all assets, dbt included) for the ``as_of`` partition, with
    resources pointing at ``root`` (warehouse, serving file) and ``landing``."""
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.resources import resources_for

    def execute(dagster_instance):
        return defs.resolve_job_def("daily_refresh").execute_in_process(
            instance=dagster_instance, partition_key=as_of, raise_on_error=False,
            resources=resources_for(root, landing, config_dir, **(settings or {})),
        )

    if instance is not None:
        result = execute(instance)
    else:
        with dg.DagsterInstance.ephemeral() as ephemeral:
            result = execute(ephemeral)
    return PipelineRun(root, landing, root / "warehouse.duckdb", root / "serving.duckdb", as_of, result)


def failure_messages(result) -> str:
    lines = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            lines.append(f"{event.step_key}: {event.step_failure_data.error.to_string()}")
    return "\n".join(lines)

