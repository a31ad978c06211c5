"""The as-of date: one rule for the default, the dates of a backfill, the date of a step."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from dagster_project.as_of import dates_between, default_as_of, partition_date, yesterday

MOSCOW_MORNING = dt.datetime(2026, 12, 2, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))


def test_explicit_date_wins_over_everything(tmp_path):
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "meta.json").write_text(json.dumps({"end_date": "2026-11-15"}))
    assert default_as_of(dt.date(2025, 1, 31), tmp_path, "Europe/Moscow", MOSCOW_MORNING) == (dt.date(2025, 1, 31), "given")


def test_landing_folder_end_date_before_yesterday(tmp_path):
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "meta.json").write_text(json.dumps({"end_date": "2026-11-15"}))
    date, source = default_as_of(None, tmp_path, "Europe/Moscow", MOSCOW_MORNING)
    assert date == dt.date(2026, 11, 15) and "truth/meta.json" in source


def test_real_landing_folder_defaults_to_yesterday_in_the_pipeline_timezone(tmp_path):
    assert default_as_of(None, tmp_path, "Europe/Moscow", MOSCOW_MORNING)[0] == dt.date(2026, 12, 1)
    # 23:30 UTC on 1 December is already 2 December in Moscow: yesterday is 1 December there
    late_utc = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    assert yesterday("Europe/Moscow", late_utc) == dt.date(2026, 12, 1)
    assert yesterday("UTC", late_utc) == dt.date(2026, 11, 30)


def test_backfill_dates_every_day_week_month_always_end_on_the_last_day():
    assert dates_between(dt.date(2026, 1, 30), dt.date(2026, 2, 2)) == [
        dt.date(2026, 1, 30), dt.date(2026, 1, 31), dt.date(2026, 2, 1), dt.date(2026, 2, 2)]
    assert dates_between(dt.date(2026, 1, 1), dt.date(2026, 1, 20), "week") == [
        dt.date(2026, 1, 1), dt.date(2026, 1, 8), dt.date(2026, 1, 15), dt.date(2026, 1, 20)]
    months = dates_between(dt.date(2025, 12, 31), dt.date(2026, 11, 15), "month")
    assert months[:3] == [dt.date(2025, 12, 31), dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
    assert months[-2:] == [dt.date(2026, 10, 31), dt.date(2026, 11, 15)] and len(months) == 12
    assert dates_between(dt.date(2026, 5, 5), dt.date(2026, 5, 5), "month") == [dt.date(2026, 5, 5)]


@pytest.mark.parametrize("first,last,every", [("2026-02-01", "2026-01-01", "day"), ("2026-01-01", "2026-02-01", "year")])
def test_backfill_rejects_an_empty_range_or_unknown_step(first, last, every):
    with pytest.raises(ValueError):
        dates_between(dt.date.fromisoformat(first), dt.date.fromisoformat(last), every)


def test_partition_date_reads_the_asset_partition_or_the_run_tag():
    asset_ctx = SimpleNamespace(has_partition_key=True, partition_key="2026-11-15", run=SimpleNamespace(tags={}))
    check_ctx = SimpleNamespace(run=SimpleNamespace(tags={"dagster/partition": "2026-10-01"}))
    assert partition_date(asset_ctx) == dt.date(2026, 11, 15)
    assert partition_date(check_ctx) == dt.date(2026, 10, 1)
    with pytest.raises(ValueError, match="daily partition"):
        partition_date(SimpleNamespace(run=SimpleNamespace(tags={})))
