"""Frames of the three tables the data-filling standard checks (staging contacts, staging
orders, golden customers), clean or with the breakages a blocking check must catch, and the
as-of date they are checked on."""

from __future__ import annotations

import datetime as dt

import pandas as pd

AS_OF = dt.date(2026, 11, 15)


def contacts(broken: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "_source_file": ["crm/contacts.csv"] * 6,
            "first_name": ["Иван", "Ольга", None, "Анна", "Олег", "Юлия"],
            "last_name": ["Иванов", "Петрова", None, "Сидорова", "Орлов", "Юдина"],
            "full_name_clean": ["Иванов Иван", "Петрова Ольга", None, "Сидорова Анна", "Орлов Олег", "Юдина Юлия"],
            # the messy input the generator also has: placeholder, junk e-mail, junk phone, 01.01.1900
            "is_placeholder_name": [False, False, True, False, False, False],
            "phone_e164": ["+79164821735", "+74954821736", None, None, "+79164821737", None],
            "phone_kind": ["mobile", "landline", "junk", "empty", "mobile", "empty"],
            "email": ["ivan@mail.ru", None, "1@mail.ru", "anna@yandex.ru", None, "info@firm.ru"],
            "email_status": ["valid", "empty", "junk", "valid", "empty", "role"],
            "birth_date": pd.to_datetime(["1980-01-02", None, "1900-01-01", None, "1990-05-06", None]),
            "created_at": pd.to_datetime(["2025-01-10 12:00"] * 6),
            "manager": ["Смирнова"] * 6,
        }
    )
    if broken:
        df.loc[1, "contact_id"] = None  # lost key
        df.loc[3, "phone_e164"] = "89164821735"  # not E.164: the normaliser is broken
        df.loc[4, "phone_kind"] = "cell"  # a kind nobody downstream knows
    return df


def orders(broken: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "contact_id": ["c1", "c2", "c9"],
            "order_date": pd.to_datetime(["2026-01-01", "2026-10-31", "2026-11-01"]),
            "amount": [100.0, 0.0, 50.0],
        }
    )
    if broken:
        df.loc[2, "order_id"] = None
    return df


def customers(broken: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "customer_id": ["CUST-1", "CUST-2", "CUST-3"],
            "phone_e164": ["+79164821735", None, "+74954821736"],
            "email": ["ivan@mail.ru", "anna@yandex.ru", None],
            "has_valid_phone": [True, False, True],
            "has_valid_email": [True, True, False],
        }
    )
    if broken:
        df.loc[2, "customer_id"] = "CUST-1"  # duplicate id after dedupe: would double-count marts
    return df


FRAMES = {"stg_crm_contacts": contacts, "stg_orders": orders, "core_customers": customers}
