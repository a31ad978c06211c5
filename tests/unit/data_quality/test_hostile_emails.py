"""Homoglyph e-mails (issue 16, item 3): letters of two scripts in one local part or domain label
(a Cyrillic «а» in ``ivаn@mail.ru``) are invalid, never a matching key; real IDN addresses stay
valid."""

from __future__ import annotations

import pandas as pd
import pytest

from data_quality.normalize.emails import normalize_emails


def _one(raw: str) -> dict:
    return normalize_emails(pd.Series([raw])).iloc[0].to_dict()


@pytest.mark.parametrize("raw", ["iv\u0430n@mail.ru", "ivan@m\u0430il.ru", "\u0440aypal@paypal.com",
                                 "ivan@g\u043email.com", "ann@y\u03b1ndex.ru"])
def test_mixed_scripts_are_invalid(raw):
    row = _one(raw)
    assert (row["is_valid"], row["status"], row["reason"], row["email_key"]) == \
        (False, "invalid_syntax", "mixed_scripts", None)


@pytest.mark.parametrize("raw, key", [("иван@почта.рф", "иван@почта.рф"), ("пётр@mail.ru", "пётр@mail.ru"),
                                      ("Ivan.Petrov@Mail.ru", "ivan.petrov@mail.ru")])
def test_single_script_parts_stay_valid(raw, key):
    row = _one(raw)
    assert row["is_valid"] and row["email_key"] == key and row["reason"] != "mixed_scripts"
