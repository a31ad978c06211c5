"""extract_contacts: phones and e-mails buried in free text."""

from __future__ import annotations

import pandas as pd

from data_quality.normalize.extract import extract_contacts


def test_extracts_phones_and_emails_with_positions():
    texts = pd.Series(
        [
            "звонить на 8 916 482-17-35, спросить Ольгу",
            "почта olga.ivanova@mail.ru или +7(495)482-17-36",
            "заказ 123456789012 ИНН 7701234567",
            None,
            "моб 9164821735; email: Petr@Gmail.com.",
            "тел. 8-800-555-35-35",
        ],
        index=[10, 11, 12, 13, 14, 15],
    )
    out = extract_contacts(texts)
    got = list(
        out[["row", "kind", "raw", "position", "value", "is_valid"]].itertuples(index=False, name=None)
    )
    assert got == [
        (10, "phone", "8 916 482-17-35", 11, "+79164821735", True),
        (11, "email", "olga.ivanova@mail.ru", 6, "olga.ivanova@mail.ru", True),
        (11, "phone", "+7(495)482-17-36", 31, "+74954821736", True),
        (14, "phone", "9164821735", 4, "+79164821735", True),
        (14, "email", "Petr@Gmail.com", 23, "petr@gmail.com", True),
        (15, "phone", "8-800-555-35-35", 5, None, False),
    ]


def test_no_matches_gives_empty_frame_with_columns():
    out = extract_contacts(pd.Series(["просто текст", None]))
    assert out.empty and list(out.columns) == ["row", "kind", "raw", "position", "value", "is_valid"]


def test_phone_digits_inside_email_are_not_a_phone():
    out = extract_contacts(pd.Series(["89164821735@mail.ru"]))
    assert out["kind"].tolist() == ["email"]
