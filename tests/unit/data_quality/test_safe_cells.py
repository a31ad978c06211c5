"""Spreadsheet-safe cells (OWASP CSV injection): hostile text neutralised, phones and numbers kept."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from data_quality.safe_cells import is_e164, safe_row, safe_text, xlsx_value

HOSTILE = ['=HYPERLINK("http://x","click")', "+SUM(1+1)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)",
           "\tЗАО Ромашка", "\rМосква", "＝1+1", "\x00=1+1"]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_a_leading_quote(text):
    assert safe_text(text) == "'" + text
    assert safe_text(text, phone=True) == "'" + text  # a phone column does not let a formula through
    value, kind = xlsx_value(text)
    assert (value, kind) == ("'" + text, "text")


def test_e164_phone_stays_a_phone_only_in_a_phone_column():
    assert safe_text("+79161234567", phone=True) == "+79161234567"
    assert xlsx_value("+79161234567", phone=True) == ("+79161234567", "text")  # text cell, not a number
    assert safe_text("+79161234567") == "'+79161234567"  # in a name / comment column it is text
    for fake in ("+SUM(1+1)", "+7916123456=1", "+7 916 123-45-67", "+0123456789", "+7916"):
        assert not is_e164(fake)
        assert safe_text(fake, phone=True) == "'" + fake


def test_numbers_stay_numbers_and_text_that_looks_like_one_does_not():
    assert safe_text(-1500) == "-1500"
    assert safe_text(-1500.5) == "-1500.5"
    assert safe_text(np.int64(-3)) == "-3"
    assert safe_text(decimal.Decimal("-2.50")) == "-2.50"
    assert xlsx_value(-1500) == (-1500, "number")
    assert xlsx_value(np.float64(-2.5)) == (-2.5, "number")
    assert safe_text("-1500") == "'-1500"  # landed text in a text column
    assert safe_text(True) == "True"  # a bool is no amount, and harmless


def test_plain_values_untouched_and_missing_is_blank():
    assert safe_text("Иванов Иван") == "Иванов Иван"
    assert safe_text("ivan@mail.ru") == "ivan@mail.ru"
    assert safe_text("a=b") == "a=b"  # only the first character matters
    for missing in (None, np.nan, pd.NA, pd.NaT, float("nan")):
        assert safe_text(missing) == ""
        assert xlsx_value(missing) == (None, "blank")
    assert xlsx_value(dt.date(2026, 11, 15)) == (dt.date(2026, 11, 15), "date")
    assert xlsx_value(pd.Timestamp("2026-11-15 10:30"))[1] == "datetime"


def test_safe_row_marks_only_the_phone_columns():
    assert safe_row(["+79161234567", "+79161234567", -7, "=1"], {0}) == ["+79161234567", "'+79161234567", "-7", "'=1"]
