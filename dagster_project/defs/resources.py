"""Resources of the code location: the warehouse, the run settings and dbt."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.resources import resources_from_env


@dg.definitions
def resources() -> dg.Definitions:
    # The dbt next to this interpreter: `make`, the CLI and the UI need no activated venv.
    dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))
    return dg.Definitions(resources={**resources_from_env(), "dbt": dbt})
