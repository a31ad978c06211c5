"""sample_data.increment: a landing folder's last days cut into one folder per day, landed back."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pandas as pd

from sample_data.increment import land, split_last_days


def _landing(tmp_path):
    landing = tmp_path / "landing"
    (landing / "truth").mkdir(parents=True)
    (landing / "truth" / "meta.json").write_text(json.dumps({"end_date": "2026-11-15"}))
    (landing / "crm").mkdir()
    # day-first and ISO dates, as the generator writes them in different exports
    pd.DataFrame({"order_id": ["1", "2", "3", "4", "5"],
                  "order_date": ["2026-11-12", "13.11.2026", "2026-11-14 10:00", "2026-11-15", "2026-11-15"]}
                 ).to_csv(landing / "crm" / "orders.csv", index=False, quoting=csv.QUOTE_ALL)
    return landing


def test_each_day_goes_to_its_own_folder_oldest_first(tmp_path):
    landing = _landing(tmp_path)
    days = split_last_days(landing, tmp_path / "aside", 3)
    assert [d for d, _, _ in days] == [dt.date(2026, 11, 13), dt.date(2026, 11, 14), dt.date(2026, 11, 15)]
    assert [m["crm/orders.csv"] for _, _, m in days] == [1, 1, 2]
    for day, folder, _ in days:
        part = pd.read_csv(folder / "crm" / f"orders_{day.isoformat()}.csv", dtype=str)
        assert pd.to_datetime(part["order_date"].str.slice(0, 10), format="mixed", dayfirst=True).dt.date.eq(day).all()
    assert pd.read_csv(landing / "crm" / "orders.csv", dtype=str)["order_id"].tolist() == ["1"]


def test_landing_the_days_restores_every_row(tmp_path):
    landing = _landing(tmp_path)
    for _, folder, _ in split_last_days(landing, tmp_path / "aside", 3):
        land(folder, landing)
    rows = pd.concat([pd.read_csv(f, dtype=str) for f in sorted((landing / "crm").glob("orders*.csv"))])
    assert sorted(rows["order_id"]) == ["1", "2", "3", "4", "5"]
    assert len(list((landing / "crm").glob("orders_*.csv"))) == 3
