"""The as-of date as a daily partition: one partition is one day the customer base is judged on."""

import dagster as dg

from clientpulse_config import load
from dagster_project.resources import WAREHOUSE_POOL

_AS_OF = load("pipeline")["as_of"]

as_of_partitions = dg.DailyPartitionsDefinition(
    start_date=str(_AS_OF["first_partition"]), timezone=_AS_OF["timezone"]
)

# One as-of date per run: every step reads its date from the partition key, never a range.
one_date_per_run = dg.BackfillPolicy.multi_run(1)

# What every as-of step declares: the warehouse pool, the daily partition, one date per run.
AS_OF_STEP = {"pool": WAREHOUSE_POOL, "partitions_def": as_of_partitions, "backfill_policy": one_date_per_run}
