"""The as-of date as a daily partition: one partition is one day the customer base is judged on."""

import dagster as dg

from clientpulse_config import load

_AS_OF = load("pipeline")["as_of"]

as_of_partitions = dg.DailyPartitionsDefinition(
    start_date=str(_AS_OF["first_partition"]), timezone=_AS_OF["timezone"]
)

# One as-of date per run: every step reads its date from the partition key, never a range.
one_date_per_run = dg.BackfillPolicy.multi_run(1)
