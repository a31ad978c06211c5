"""The daily run of the whole graph: each day's run materialises yesterday's as-of partition."""

import dagster as dg

from clientpulse_config import load

_SCHEDULE = load("pipeline")["schedule"]

daily_refresh_job = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Everything, from landing files to the published BI database, as of one date (the partition).",
)

# The partition's timezone is the schedule's: at 06:00 local time yesterday's data is complete.
daily_refresh_schedule = dg.build_schedule_from_partitioned_job(
    daily_refresh_job,
    name="daily_refresh_schedule",
    hour_of_day=int(_SCHEDULE["hour_of_day"]),
    minute_of_hour=int(_SCHEDULE["minute_of_hour"]),
    description="Every morning: the whole graph as of yesterday (the newest complete daily partition).",
)
