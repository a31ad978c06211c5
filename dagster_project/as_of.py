"""The as-of date of a run: one rule for the default, and the date of a partitioned run.

A run is always "as of" one day: every table is built from what was known by the end of that
day. In Dagster that day is the run's daily partition; the CLI, the schedule and a UI backfill
only differ in how they pick the partition.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

PARTITION_TAG = "dagster/partition"


def sample_end_date(landing_dir: Path) -> dt.date | None:
    """A generated sample (or a public dataset written by `clientpulse datasets`) records its
    last day in truth/meta.json: as of today, an old sample would call everyone dead."""
    meta = Path(landing_dir) / "truth" / "meta.json"
    if not meta.is_file():
        return None
    end = json.loads(meta.read_text(encoding="utf-8")).get("end_date")
    return dt.date.fromisoformat(end) if end else None


def yesterday(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """The last complete day in the pipeline's timezone: the newest daily partition."""
    now = now or dt.datetime.now(ZoneInfo(timezone))
    return now.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def default_as_of(
    explicit: dt.date | None, landing_dir: Path, timezone: str, now: dt.datetime | None = None
) -> tuple[dt.date, str]:
    """The one rule: an explicit date (``--as-of`` or CLIENTPULSE_AS_OF) > the landing folder's own
    end date > yesterday. Returns the date and where it came from, for the console."""
    if explicit:
        return explicit, "given"
    end = sample_end_date(landing_dir)
    if end:
        return end, "the landing folder's last day (truth/meta.json)"
    return yesterday(timezone, now), "yesterday, the last complete day"


def dates_between(first: dt.date, last: dt.date, every: str = "day") -> list[dt.date]:
    """As-of dates of a backfill: ``first``, then every day / week / month, and always ``last``."""
    if last < first:
        raise ValueError(f"backfill range is empty: {first} is after {last}")
    if every not in ("day", "week", "month"):
        raise ValueError(f"--every must be day, week or month, got {every!r}")
    dates, step = [], 0
    while True:
        if every == "month":
            month = first.month - 1 + step
            year, month = first.year + month // 12, month % 12 + 1
            day = min(first.day, _days_in_month(year, month))
            current = dt.date(year, month, day)
        else:
            current = first + dt.timedelta(days=step * (7 if every == "week" else 1))
        if current > last:
            break
        dates.append(current)
        step += 1
    if dates[-1] != last:
        dates.append(last)
    return dates


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def partition_date(context) -> dt.date:
    """The as-of date of a step: its partition key (assets) or the run's partition tag (checks)."""
    key = context.partition_key if getattr(context, "has_partition_key", False) else None
    key = key or context.run.tags.get(PARTITION_TAG)
    if not key:
        raise ValueError("this step needs an as-of date: run it for a daily partition "
                         "(`clientpulse run --as-of YYYY-MM-DD`, or pick a partition in the UI)")
    return dt.date.fromisoformat(key)
