"""The data-filling standard: passes on clean frames, fails with the right rules on broken ones."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from data_quality.standard import build_data_docs, run_standard

AS_OF = dt.date(2026, 11, 1)


def contacts_clean() -> pd.DataFrame:
    n = 10
    return pd.DataFrame(
        {
            "contact_id": [f"c{i}" for i in range(n)],
            "first_name": ["Иван", "Ольга", "Пётр", "Анна", "Олег", "Юлия", "Илья", "Мария", "Катя", "Саша"],
            "last_name": ["Иванов"] * n,
            "full_name_clean": ["Иванов Иван"] * n,
            "is_placeholder_name": [False] * n,
            "phone_e164": [
                "+79164821735",
                "+74954821736",
                None,
                "+77014821735",
                "+4930901820",
                None,
                "+79164821737",
                "+79164821738",
                None,
                "+79164821739",
            ],
            "phone_kind": [
                "mobile",
                "landline",
                "junk",
                "mobile",
                "landline",
                None,
                "mobile",
                "mobile",
                "toll_free",
                "mobile",
            ],
            "email": [
                "a.b@gmail.com",
                None,
                "olga@mail.ru",
                None,
                "x@yandex.ru",
                "y@bk.ru",
                None,
                None,
                "k@list.ru",
                None,
            ],
            "email_status": [
                "valid",
                "empty",
                "typo_fixed",
                "empty",
                "valid",
                "role",
                "empty",
                "invalid_syntax",
                "valid",
                "empty",
            ],
            "birth_date": pd.to_datetime(
                [
                    "1980-01-02",
                    None,
                    "1990-05-06",
                    "1975-12-31",
                    None,
                    "2000-02-29",
                    "1969-07-20",
                    None,
                    "1985-03-03",
                    "1999-09-09",
                ]
            ).date,
            "created_at": pd.to_datetime([f"2025-0{1 + i % 9}-10 12:00" for i in range(n)]),
            "manager": ["m1"] * n,
            "_source_file": ["a.csv"] * 5 + ["b.csv"] * 5,
        }
    )


def contacts_broken() -> pd.DataFrame:
    df = contacts_clean()
    df.loc[1, "contact_id"] = "c0"  # duplicate id (2 rows)
    df.loc[2, "contact_id"] = None  # missing id
    df.loc[3, "phone_e164"] = "89164821735"  # not E.164
    df.loc[4, "phone_kind"] = "cell"  # not allowed
    df.loc[5, "email"] = "1@"  # bad format
    df["birth_date"] = df["birth_date"].astype(object)
    df.loc[6, "birth_date"] = dt.date(2030, 1, 1)  # future
    df.loc[7, "birth_date"] = dt.date(1850, 1, 1)  # implausible
    df.loc[8, "created_at"] = pd.Timestamp("2026-11-02 00:00")  # after as_of
    df.loc[5:9, "first_name"] = [None, "", "  ", None, None]  # source b.csv: 0 % names
    df.loc[0:3, "is_placeholder_name"] = True  # 40 % placeholders
    df = df.drop(columns=["manager"])  # missing column
    return df


def test_clean_contacts_pass_every_rule():
    rep = run_standard("stg_crm_contacts", contacts_clean(), AS_OF)
    assert rep.all_passed, [(r.rule, r.unexpected_count, r.reason, r.observed_value) for r in rep.failed()]
    assert rep.success
    meta = rep.to_metadata()
    json.dumps(meta)  # serialisable for Dagster
    assert (
        meta["rules"]["contact_point_coverage"]["expectation_type"]
        == "expect_column_proportion_of_non_null_values_to_be_between"
    )


def test_broken_contacts_fail_with_the_right_rules_and_counts():
    rep = run_standard("stg_crm_contacts", contacts_broken(), AS_OF)
    assert not rep.success
    got = {r.rule: (r.severity, r.unexpected_count, r.failing_ids) for r in rep.failed()}
    assert got == {
        "contact_id_not_null": ("error", 1, [None]),
        "contact_id_unique": ("warn", 2, ["c0", "c0"]),
        "phone_e164_format": ("error", 1, ["c3"]),
        "phone_kind_allowed": ("error", 1, ["c4"]),
        "email_format": ("error", 1, ["c5"]),
        "birth_date_not_future": ("warn", 1, ["c6"]),
        "birth_date_plausible": ("warn", 1, ["c7"]),
        "created_at_not_future": ("warn", 1, ["c8"]),
        "first_name_filled": ("warn", 5, ["c5", "c6", "c7", "c8", "c9"]),
        "first_name_filled_per_source": ("warn", 5, ["b.csv"]),
        "manager_filled": ("warn", 0, []),
        "name_not_placeholder": ("warn", 4, ["c0", "c0", None, "c3"]),
    }
    assert rep.result("manager_filled").reason == "column_missing: manager"
    assert rep.result("first_name_filled").observed_value == pytest.approx(0.5)
    assert rep.result("first_name_filled_per_source").observed_value == {"a.csv": 1.0, "b.csv": 0.0}
    assert rep.result("email_format").expectation_type == "expect_column_values_to_match_regex"
    meta = rep.to_metadata()
    assert set(meta["rules_failed_error"]) == {
        "contact_id_not_null", "phone_e164_format", "phone_kind_allowed",
        "email_format",
    }  # fmt: skip


def test_orders_and_customers():
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4"],
            "contact_id": ["c1", "c2", None, "c4"],
            "order_date": pd.to_datetime(["2026-01-01", "2026-10-31", "2026-11-01", "2026-12-01"]),
            "amount": [100.0, 0.0, -5.0, None],
        }
    )
    rep = run_standard("stg_orders", orders, AS_OF)
    got = {r.rule: (r.unexpected_count, r.failing_ids) for r in rep.failed()}
    assert got == {
        "order_contact_id_not_null": (1, ["o3"]),
        "order_date_not_future": (1, ["o4"]),
        "amount_not_null": (1, ["o4"]),
        "amount_non_negative": (1, ["o3"]),
    }
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "phone_e164": ["+79164821735", None, None, None, None],
            "email": [None, "a@mail.ru", None, None, None],
            "has_valid_phone": [True, False, False, False, False],
            "has_valid_email": [False, True, False, None, False],
        }
    )
    rep = run_standard("core_customers", customers, AS_OF)
    cov = rep.result("valid_contact_coverage")
    assert (cov.success, cov.unexpected_count, cov.observed_value, cov.failing_ids) == (
        False,
        3,
        0.4,
        [3, 4, 5],
    )
    assert rep.success  # coverage is a warning


def test_explicit_config_and_unknown_table():
    cfg = {"tables": {"t": {"id_column": "id", "rules": [
        {"name": "rows", "type": "row_count", "min": 3},
        {"name": "id_unique", "type": "unique", "column": "id"},
    ]}}}  # fmt: skip
    rep = run_standard("t", pd.DataFrame({"id": [1, 1]}), AS_OF, config=cfg)
    assert [(r.rule, r.success) for r in rep.results] == [("rows", False), ("id_unique", False)]
    with pytest.raises(KeyError):
        run_standard("nope", pd.DataFrame(), AS_OF, config=cfg)


def test_build_data_docs(tmp_path):
    reps = [run_standard("stg_crm_contacts", contacts_broken(), AS_OF)]
    index = build_data_docs(reps, tmp_path / "docs")
    text = index.read_text(encoding="utf-8")
    assert index.name == "index.html" and "contact_id_unique" in text and "FAILED" in text
