"""Spreadsheet-safe cell values for every CSV / XLSX the project writes (OWASP CSV injection).

A spreadsheet treats a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (``=HYPERLINK(...)``, ``-2+3+cmd|' /C calc'!A0``; OWASP lists these, ASVS
1.2.10 adds NUL; a leading line feed is treated alike here). Landed names, companies, cities,
managers and comments are untrusted, so every text cell is neutralised the way OWASP recommends:
a single quote is put in front (the CSV writer then quotes the field when needed).
Two kinds of values are left alone because they are not text a spreadsheet would evaluate:

- numbers (``int`` / ``float`` / ``Decimal``, not ``bool``) of numeric columns: ``-1500`` stays a
  number (it is written by us from a typed column, never landed text);
- a phone in strict E.164 (``+`` and 7-15 digits, nothing else) in a column declared as a phone:
  CRM importers parse ``+79161234567``; in XLSX it is written as a string cell, so it stays text.
  ``+SUM(1+1)`` or ``+7 916 ...=1`` is no E.164 phone and is neutralised like any other text.

The full-width forms (``＝ ＋ － ＠``) are neutralised too: some spreadsheets fold them to ASCII.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import re
from typing import Any

import numpy as np
import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
QUOTE = "'"


def is_number(value: Any) -> bool:
    """A real number (a bool is no amount; NaN is a missing value, not a number)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal)):
        return False
    return not math.isnan(float(value))


def is_e164(value: Any) -> bool:
    return isinstance(value, str) and E164.fullmatch(value) is not None


def neutralise(text: str) -> str:
    """``text`` with a leading single quote when a spreadsheet would read it as a formula."""
    return QUOTE + text if text.startswith(FORMULA_TRIGGERS) else text


def needs_quote(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def is_missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA (a list or array is a value, not missing)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN / NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas.NA, arrays
        return type(value).__name__ == "NAType"


def safe_text(value: Any, *, phone: bool = False) -> str:
    """Any value as a CSV-safe string: numbers as written, E.164 phones of a phone column as is."""
    if is_missing(value):
        return ""
    if is_number(value):
        return str(value)
    text = value if isinstance(value, str) else str(value)
    if phone and is_e164(text):
        return text
    return neutralise(text)


def safe_text_column(values: pd.Series, *, phone: bool = False) -> pd.Series:
    """``safe_text`` of every cell of a column, at column speed: only the cells whose text starts
    like a formula (few, but every E.164 phone) go through ``safe_text`` one by one."""
    raw = values.to_numpy(dtype=object)
    missing = pd.isna(values).to_numpy(dtype=bool)
    text = values.map(str).to_numpy(dtype=object)
    text[missing] = ""
    triggered = np.fromiter((t.startswith(FORMULA_TRIGGERS) for t in text), dtype=bool, count=len(text))
    for i in np.flatnonzero(triggered):
        text[i] = safe_text(raw[i], phone=phone)
    return pd.Series(text, index=values.index, dtype=object)


def neutralise_column(text: pd.Series, *, phone: bool = False) -> pd.Series:
    """``neutralise`` of a column of strings; a strict E.164 phone of a phone column is kept."""
    triggered = np.fromiter((isinstance(t, str) and t.startswith(FORMULA_TRIGGERS) and not (phone and is_e164(t))
                             for t in text), dtype=bool, count=len(text))  # fmt: skip
    return pd.Series([QUOTE + t if q else t for t, q in zip(text, triggered)], index=text.index, dtype=object)


def safe_row(values: list[Any], phone_columns: frozenset[int] | set[int] = frozenset()) -> list[str]:
    """One CSV row made safe; ``phone_columns`` are the positions of typed phone columns."""
    return [safe_text(v, phone=i in phone_columns) for i, v in enumerate(values)]


def xlsx_value(value: Any, *, phone: bool = False) -> tuple[Any, str]:
    """The value to put into an XLSX cell and its kind: ``number``, ``date``, ``datetime``, ``text``,
    ``blank``. Text is neutralised (a phone in E.164 of a phone column is kept, written as text);
    the caller writes ``text`` as a string cell, never as a formula."""
    if is_missing(value):
        return None, "blank"
    if is_number(value):
        return (int(value) if isinstance(value, numbers.Integral) else float(value)), "number"
    if isinstance(value, dt.datetime):
        return value, "datetime"
    if isinstance(value, dt.date):
        return value, "date"
    text = str(value)
    if text == "":
        return None, "blank"
    if phone and is_e164(text):
        return text, "text"
    return neutralise(text), "text"
