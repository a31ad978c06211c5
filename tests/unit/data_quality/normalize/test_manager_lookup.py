"""Manager spellings collapse to one manager per surname key (quality_by_manager groups on it)."""

from __future__ import annotations

import pandas as pd

from clientpulse_config import load
from data_quality.normalize.lookups import manager_lookup


def test_spellings_of_one_manager_share_the_most_used_full_name():
    spellings = pd.DataFrame(
        {
            "raw": ["kozlov", "Козлов Андрей", "Андрей Козлов", "Смирнова О.", "Смирнова Ольга", "smirnova", "Ёлкин"],
            "n": [50, 413, 45, 50, 457, 45, 3],
        }
    )
    out = manager_lookup(spellings, load("normalization")).set_index("raw")["manager"].to_dict()
    assert out == {
        "kozlov": "Козлов Андрей",
        "Козлов Андрей": "Козлов Андрей",
        "Андрей Козлов": "Козлов Андрей",
        "Смирнова О.": "Смирнова Ольга",
        "Смирнова Ольга": "Смирнова Ольга",
        "smirnova": "Смирнова Ольга",
        "Ёлкин": "Ёлкин",
    }


def test_no_managers_gives_an_empty_lookup():
    out = manager_lookup(pd.DataFrame({"raw": pd.Series(dtype=str), "n": pd.Series(dtype=int)}), {})
    assert list(out.columns) == ["raw", "manager_key", "manager"] and out.empty
