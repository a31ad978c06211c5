"""The CRM file imports cleanly: CRM ids, the survivor rule, every phone and e-mail, normalised
managers, Russian tags, contacts with nothing to write left out, hostile cells neutralised."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from clientpulse_config import load
from data_quality.crm_export import export_crm_files, survivors

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "full_name": ['=HYPERLINK("http://x","click")', "Петров Пётр", None, "Сидорова Анна"],
            "first_name": ["+SUM(1+1)", "Пётр", None, "Анна"],
            "last_name": ["Иванов", "Петров", None, "Сидорова"],
            "middle_name": [None, None, None, None],
            "phone_e164": ["+79161234567", None, None, "+79035550011"],
            "email": ["ivan@mail.ru", "petr@yandex.ru", None, None],
            "birth_date": [None, None, None, None],
            "city": ["-2+3+cmd|' /C calc'!A0", "Казань", None, "\rМосква"],
            "address": [None] * 4,
            "postcode": [None] * 4,
            "company": ["@SUM(A1:A2)", "\tООО Ромашка", None, None],
            "manager_raw": ["  смирнова ", "Смирнова Ольга", "Орлов", None],
            "manager": ["Смирнова Ольга", "Смирнова Ольга", "Орлов Игорь", None],
            "sources": [np.array(["crm_contact"])] * 4,
            "record_count": [2, 1, 1, 1],
            "completeness_score": [80.0, 60.0, 0.0, 50.0],
            "is_reachable": [True, True, False, True],
            "dq_flags": [np.array([]), np.array(["phone_missing"]), np.array(["name_missing"]), np.array([])],
            "missing_fields": [np.array([])] * 4,
            "name_valid": [True, True, False, True],
            "segment": ["Лояльные", None, None, "Новички"],
            "risk_stage": ["at_risk", "active", None, "churned"],
            "action_level": [4, 1, None, 5],
            "action_level_ru": ["Высокий риск", "Безопасная зона", None, "Критично"],
        }
    )


RECORDS = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C1", "C2", "C4", "C4"],
        "crm_id": ["10", "9", "300", "77", "501", "42"],
        "created_at": [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-01"), pd.Timestamp("2023-01-05"), None,
                       None, None],
    }
)  # fmt: skip
CONTACTS = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C1", "C1", "C1", "C1", "C2"],
        "kind": ["phone", "phone", "phone", "phone", "email", "email", "phone"],
        "value": ["+79161234567", "+74957341826", "+79990001122", "+79261112233", "ivan@mail.ru", "i.ivanov@corp.ru",
                  "+79036182741"],
        "n": [3, 2, 1, 1, 2, 1, 1],
    }
)  # fmt: skip
LABELS = {"phone_missing": "Телефон не заполнен", "name_missing": "Имя не заполнено"}


def _rows(path, encoding, delimiter):
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_survivor_is_the_oldest_crm_record_then_the_smaller_id():
    first, merges = survivors(RECORDS)
    assert dict(zip(first.customer_id, first.crm_id)) == {"C1": "300", "C2": "77", "C4": "42"}
    assert sorted(map(tuple, merges.to_numpy().tolist())) == [("C1", "300", "10"), ("C1", "300", "9"),
                                                              ("C4", "42", "501")]  # fmt: skip
    # same creation date: 9 before 10 (numbers, not text)
    first, _ = survivors(RECORDS[RECORDS.crm_id != "300"])
    assert first.set_index("customer_id").crm_id["C1"] == "9"


def test_amocrm_file_keys_contacts_phones_managers_tags(tmp_path):
    cfg = load("crm_export")
    run = export_crm_files(customers(), tmp_path, cfg, RECORDS, CONTACTS, LABELS)
    amo = {r["Внешний ID"]: r for r in _rows(tmp_path / "amocrm_contacts.csv", "utf-8-sig", ",")}
    # C3 has no name, phone or e-mail: left out and counted
    assert set(amo) == {"C1", "C2", "C4"} and run.left_out == 1 and run.customers == 4
    # keyed by the CRM's own id of the surviving record; a customer without one has an empty ID
    assert [amo[c]["ID"] for c in ("C1", "C2", "C4")] == ["300", "77", "42"]
    assert run.with_crm_id == 3 and run.merged_records == 3
    c1 = amo["C1"]
    # golden phone first, then by how often seen; the fourth goes into the last phone column
    assert (c1["Рабочий телефон"], c1["Мобильный телефон"]) == ("+79161234567", "+74957341826")
    assert c1["Другой телефон"] == "+79261112233, +79990001122"
    assert run.results[0].overflow_values == 1
    assert (c1["Рабочий email"], c1["Личный email"], c1["Другой email"]) == ("ivan@mail.ru", "i.ivanov@corp.ru", "")
    assert amo["C2"]["Рабочий телефон"] == "+79036182741" and amo["C2"]["Рабочий email"] == "petr@yandex.ru"
    # one spelling per manager: distinct managers in the file = distinct normalised managers
    managers = {r["Ответственный"] for r in amo.values()} - {""}
    assert managers == {"Смирнова Ольга"} and run.managers == 1 and run.managers_raw == 3
    assert c1["Теги"].split(",") == ["Сегмент: Лояльные", "Риск: под угрозой", "Уровень 4: Высокий риск"]
    assert amo["C2"]["Теги"].split(",") == ["Риск: нет", "Уровень 1: Безопасная зона", "Данные: Телефон не заполнен"]


def test_hostile_cells_are_neutralised_phones_and_scores_are_not(tmp_path):
    run = export_crm_files(customers(), tmp_path, load("crm_export"), RECORDS, CONTACTS, LABELS)
    for result in run.results:
        rows = _rows(result.path, result.encoding, result.delimiter)
        for row in rows:
            for header, cell in row.items():
                if cell.startswith(TRIGGERS):
                    assert "телефон" in header.lower(), (header, cell)
                    assert all(p.strip()[1:].isdigit() for p in cell.split(",")), cell
        by_id = {r.get("Внешний ID") or r.get("Внешний код"): r for r in rows}
        assert by_id["C1"]["Фамилия"] == "Иванов"
        assert by_id["C1"]["Имя"] == "'+SUM(1+1)"
        assert by_id["C1"]["Компания"] == "'@SUM(A1:A2)"
        assert by_id["C2"]["Компания"] == "'\tООО Ромашка"
        assert by_id["C2"]["Заполненность профиля"] == "60"
        city = "Город" if "Город" in by_id["C1"] else "Адрес (город)"
        assert by_id["C1"][city] == "'-2+3+cmd|' /C calc'!A0" and by_id["C4"][city] == "'\rМосква"
    amo = {r["Внешний ID"]: r for r in _rows(tmp_path / "amocrm_contacts.csv", "utf-8-sig", ",")}
    assert amo["C1"]["Полное имя"] == '\'=HYPERLINK("http://x","click")'


def test_merge_list_names_survivor_and_rule(tmp_path):
    run = export_crm_files(customers(), tmp_path, load("crm_export"), RECORDS, CONTACTS, LABELS)
    rows = _rows(run.merge_list, "utf-8-sig", ";")
    assert sorted((r["ID клиента"], r["ID сохраняемого контакта"], r["ID объединяемого контакта"]) for r in rows) == [
        ("C1", "300", "10"), ("C1", "300", "9"), ("C4", "42", "501")]  # fmt: skip
    assert all("первым" in r["Правило"] for r in rows)
    assert {r["Телефон"] for r in rows} == {"+79161234567", "+79035550011"}
    assert {r["ФИО"] for r in rows if r["ID клиента"] == "C1"} == {'\'=HYPERLINK("http://x","click")'}


def test_without_crm_records_or_contacts_the_file_still_has_the_golden_values(tmp_path):
    run = export_crm_files(customers(), tmp_path, load("crm_export"))
    amo = {r["Внешний ID"]: r for r in _rows(tmp_path / "amocrm_contacts.csv", "utf-8-sig", ",")}
    assert amo["C1"]["ID"] == "" and amo["C1"]["Рабочий телефон"] == "+79161234567"
    assert amo["C1"]["Рабочий email"] == "ivan@mail.ru" and run.merged_records == 0 and run.left_out == 1


def test_each_crm_gets_ids_of_its_own_export_files(tmp_path):
    cfg = load("crm_export")
    cfg["targets"]["amocrm"]["id_files"] = ["crm/amo*"]
    cfg["targets"]["bitrix24"]["id_files"] = ["crm/CONTACT_*"]
    records = pd.DataFrame({
        "customer_id": ["C1", "C1", "C2"],
        "crm_id": ["5001", "B17", "B18"],
        "source_file": ["crm/amo_contacts.csv", "crm/CONTACT_20240501.csv", "crm/CONTACT_20240501.csv"],
        "created_at": [None, None, None],
    })  # fmt: skip
    run = export_crm_files(customers(), tmp_path, cfg, records, CONTACTS, LABELS)
    amo = {r["Внешний ID"]: r["ID"] for r in _rows(tmp_path / "amocrm_contacts.csv", "utf-8-sig", ",")}
    bitrix = {r["Внешний код"]: r["ID"] for r in _rows(tmp_path / "bitrix24_contacts.csv", "cp1251", ";")}
    assert amo == {"C1": "5001", "C2": "", "C4": ""}
    assert bitrix == {"C1": "B17", "C2": "B18", "C4": ""}
    assert [r.with_crm_id for r in run.results] == [1, 2] and run.merged_records == 0  # one record per CRM each
