"""The daily run of the whole graph, as of the scheduled day."""


import datetime

import dagster as dg

from dagster_project.settings import AS_OF_TAG

daily_refresh_job = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Everything, from landing files to the published BI database, as of one date.",
)


@dg.schedule(job=daily_refresh_job, cron_schedule="0 6 * * *", execution_timezone="Europe/Moscow")
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """06:00 Moscow: yesterday's data is complete, so the as-of date is the previous day."""
    as_of = context.scheduled_execution_time.date() - datetime.timedelta(days=1)
    return dg.RunRequest(run_key=as_of.isoformat(), tags={AS_OF_TAG: as_of.isoformat()})
