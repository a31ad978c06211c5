"""CRM import files: the amoCRM / Bitrix24 column sets, encodings, delimiters, flags and filters."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_quality.crm_export import (
    GOLDEN_FIELDS,
    MULTI_FIELD,
    export_crm_files,
    load_export_config,
    prepare_customers,
)


def golden() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["CUST-000001", "CUST-000002", "CUST-000003"],
            "full_name": ["Иванов Иван Петрович", None, "Ёлкина Мария"],
            "first_name": ["Иван", None, "Мария"],
            "last_name": ["Иванов", None, "Ёлкина"],
            "middle_name": ["Петрович", None, None],
            "phone_e164": ["+79124071533", None, "+79031112233"],
            "email": ["ivan.ivanov@mail.ru", None, "m@yandex.ru"],
            "birth_date": [dt.date(1985, 4, 12), None, dt.date(1990, 2, 1)],
            "city": ["Москва", None, "Казань"],
            "address": [None, None, None],
            "postcode": [None, None, None],
            "company": [None, None, "ООО «Ромашка» ✓"],  # ✓ is not in cp1251
            "manager": ["Смирнова", None, "Орлов"],
            "sources": [np.array(["crm_contact", "order"]), np.array(["event"]), np.array(["crm_contact"])],
            "record_count": [3, 1, 1],
            "completeness_score": [92.0, 0.0, 71.5],
            "is_reachable": [True, False, True],
            "dq_flags": [np.array([], dtype=object), np.array(["name_missing", "no_contact_channel"]), None],
            "missing_fields": [np.array(["company"]), np.array(["name", "phone"]), np.array([])],
            "name_valid": [True, False, True],
        }
    )


def _read(path, encoding, delimiter):
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_shipped_config_targets_and_fields():
    cfg = load_export_config()
    assert set(cfg["targets"]) == {"amocrm", "bitrix24"}
    for target in cfg["targets"].values():
        fields = set(target["columns"].values())
        multi = {f for f in fields if MULTI_FIELD.fullmatch(f)}
        assert fields - multi <= set(GOLDEN_FIELDS)
        # golden contact fields + the customer id + the CRM id + every phone / e-mail + tags in every file
        assert {"customer_id", "crm_id", "first_name", "last_name", "phone_1", "phone_2", "email_1", "email_2",
                "city", "company", "manager", "birth_date", "tags"} <= fields  # fmt: skip
    assert cfg["targets"]["amocrm"]["encoding"] == "utf-8-sig"
    assert cfg["targets"]["bitrix24"]["encoding"] == "cp1251"


def test_export_writes_both_column_sets(tmp_path):
    frame = golden()
    frame.loc[1, "email"] = "x@mail.ru"  # something to write: the row is not left out
    run = export_crm_files(frame, tmp_path)
    results = {r.target: r for r in run.results}
    cfg = load_export_config()
    amo = _read(results["amocrm"].path, "utf-8-sig", ",")
    assert amo[0] == list(cfg["targets"]["amocrm"]["columns"])
    assert len(amo) == 4 and results["amocrm"].rows == 3 and run.left_out == 0
    row = dict(zip(amo[0], amo[1]))
    assert row["Внешний ID"] == "CUST-000001"
    assert row["Рабочий телефон"] == "+79124071533"
    assert row["День рождения"] == "12.04.1985"
    assert row["Статус данных"] == "ok" and row["Теги"] == ""
    flagged = dict(zip(amo[0], amo[2]))
    assert flagged["Теги"] == "Данные: name_missing,Данные: no_contact_channel"  # no seed labels given
    assert flagged["Статус данных"] == "review: name_missing, no_contact_channel"
    assert results["amocrm"].path.read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM: Excel opens UTF-8 correctly

    bitrix = _read(results["bitrix24"].path, "cp1251", ";")  # fmt: skip
    assert bitrix[0] == list(cfg["targets"]["bitrix24"]["columns"])
    b = dict(zip(bitrix[0], bitrix[3]))
    assert b["Фамилия"] == "Ёлкина" and b["Дата рождения"] == "01.02.1990"
    assert b["Компания"] == "ООО «Ромашка» ?"  # not representable in cp1251 → replaced and counted
    assert results["bitrix24"].unencodable_cells == 1
    assert results["amocrm"].unencodable_cells == 0
    assert not list(tmp_path.glob("*.tmp"))  # written aside and moved into place


def test_filters_and_custom_column_set(tmp_path):
    cfg = {
        "include_unreachable": False,
        "include_without_name": False,
        "targets": {"mine": {"file": "x.csv", "encoding": "utf-8", "delimiter": "\t",
                             "columns": {"id": "customer_id", "ok": "is_reachable", "score": "completeness_score"}}},
    }  # fmt: skip
    run = export_crm_files(golden(), tmp_path, cfg)
    rows = _read(run.results[0].path, "utf-8", "\t")
    assert rows == [["id", "ok", "score"], ["CUST-000001", "1", "92"], ["CUST-000003", "1", "72"]]
    assert len(prepare_customers(golden(), {})) == 3
    assert run.left_out == 1 and run.filtered == 0  # CUST-000002: no name, phone or e-mail


def test_config_errors_are_readable():
    with pytest.raises(ValueError, match="unknown fields"):
        load_export_config({"targets": {"t": {"file": "a.csv", "columns": {"A": "shoe_size"}}}})
    with pytest.raises(LookupError):
        load_export_config({"targets": {"t": {"file": "a.csv", "encoding": "klingon", "columns": {"A": "email"}}}})
