"""A day of new data for incremental-run tests and benchmarks: the rows of a generated landing folder's
last day are cut out of the plain CSV files (contacts, orders, messages, calls, events) into new files
`<name>_<day>.csv`, kept aside until `land` moves them in — the way a daily export lands beside the
earlier ones. Record ids stay those of the full sample, so truth/ still scores both runs.
`split_last_days` cuts a week (or any number of days) into one folder per day, landed one at a time."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd

#: plain CSVs a day is cut from: file -> its date column (tickets, Bitrix, XLSX and mail files stay whole)
DAILY_FILES = {"crm/contacts.csv": "created_at", "crm/orders.csv": "order_date", "mail/messages.csv": "sent_at",
               "phone/calls.csv": "started_at", "marketing/events.csv": "occurred_at"}


def split_day(landing: Path, aside: Path, day: dt.date) -> dict[str, int]:
    """Move the rows dated on ``day`` into `aside/<folder>/<stem>_<day>.csv`; returns rows moved per file."""
    moved = {}
    for rel, column in DAILY_FILES.items():
        path = landing / rel
        if not path.is_file():
            continue
        with open(path, encoding="utf-8", newline="") as fh:
            delimiter = csv.Sniffer().sniff(fh.readline(), delimiters=",;").delimiter
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=delimiter)
        dates = pd.to_datetime(frame[column].str.slice(0, 10), format="mixed", dayfirst=True, errors="coerce").dt.date
        last = (dates == day).to_numpy()
        moved[rel] = int(last.sum())
        target = aside / Path(rel).parent / f"{Path(rel).stem}_{day.isoformat()}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        frame[last].to_csv(target, index=False, sep=delimiter, quoting=csv.QUOTE_ALL)
        frame[~last].to_csv(path, index=False, sep=delimiter, quoting=csv.QUOTE_ALL)
    return moved


def _end_date(landing: Path) -> dt.date:
    return dt.date.fromisoformat(json.loads((landing / "truth" / "meta.json").read_text())["end_date"])


def split_last_day(landing: Path, aside: Path) -> tuple[dt.date, dict[str, int]]:
    """Move the rows dated on the landing folder's last day (truth/meta.json end_date) into
    `aside/<folder>/<stem>_<day>.csv`; returns (day, rows moved per file)."""
    day = _end_date(landing)
    return day, split_day(landing, aside, day)


def split_last_days(landing: Path, aside: Path, days: int) -> list[tuple[dt.date, Path, dict[str, int]]]:
    """A week (or ``days``) of daily exports: the rows of each of the landing folder's last ``days``
    days go to `aside/<day>/`, to be landed one day at a time; returns (day, its folder, rows moved
    per file), oldest day first."""
    end = _end_date(landing)
    out = []
    for back in range(days):
        day = end - dt.timedelta(days=back)
        out.append((day, aside / day.isoformat(), split_day(landing, aside / day.isoformat(), day)))
    return out[::-1]


def land(aside: Path, landing: Path) -> list[Path]:
    """Move the files kept aside into the landing folder (the day's export arrives)."""
    out = []
    for f in sorted(aside.rglob("*.csv")):
        target = landing / f.relative_to(aside)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(f), target)
        out.append(target)
    return out
