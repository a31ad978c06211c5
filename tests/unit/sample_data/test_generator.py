"""Tests of the synthetic data generator (sample_data): structure, determinism and truth."""
from __future__ import annotations

import email
import hashlib
import json
import mailbox
from email import policy
from pathlib import Path

import pandas as pd
import pytest

from sample_data import generate
from sample_data.generator import BITRIX_HEADER
from sample_data.persons import BEHAVIOURS

CSV_SOURCES = {  # file: (source, id column, encoding, delimiter)
    "crm/contacts.csv": ("crm_contact", "contact_id", "utf-8", ","),
    "crm/contacts_bitrix.csv": ("crm_contact", "ID", "cp1251", ";"),
    "crm/orders.csv": ("order", "order_id", "utf-8", ","),
    "mail/messages.csv": ("mail", "message_id", "utf-8", ","),
    "phone/calls.csv": ("call", "call_id", "utf-8", ";"),
    "support/tickets.csv": ("ticket", "ticket_id", "cp1251", ";"),
    "marketing/events.csv": ("event", "event_id", "utf-8", ","),
}
DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d", "%d.%m.%Y", "%Y%m%d"]


def read(path: Path, encoding: str = "utf-8", sep: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=sep)


def parse_dates(s: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for f in DATE_FORMATS:
        out = out.fillna(pd.to_datetime(s, format=f, errors="coerce"))
    return out


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(2000, seed=11, out_dir=out)
    return out


@pytest.fixture(scope="module")
def record_map(data: Path) -> pd.DataFrame:
    return read(data / "truth/record_map.csv")


def mail_file_ids(root: Path) -> list[str]:
    ids = []
    for p in sorted((root / "mail").glob("*.eml")):
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        assert msg.get_body(preferencelist=("plain",)).get_content().strip()
        ids.append(msg["Message-ID"])
    for msg in mailbox.mbox(str(root / "mail/archive.mbox")):
        parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
        assert parsed.get_body(preferencelist=("plain",)).get_content().strip()
        ids.append(parsed["Message-ID"])
    return ids


def test_same_seed_identical_files_different_seed_differs(tmp_path: Path) -> None:
    generate(300, seed=5, out_dir=tmp_path / "a")
    generate(300, seed=5, out_dir=tmp_path / "b")
    generate(300, seed=6, out_dir=tmp_path / "c")
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b
    # WhatsApp exports are named after the person in the chat, so their names follow the seed
    assert {k for k in a if not k.startswith("chat/")} == {k for k in c if not k.startswith("chat/")}
    assert all(a[k] != c[k] for k in a if k.endswith(".csv"))


def test_summary_and_meta(data: Path) -> None:
    meta = json.loads((data / "truth/meta.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 11 and meta["customers"] == 2000 and meta["end_date"] == "2026-11-15"
    for file, (_, _, enc, sep) in CSV_SOURCES.items():
        assert meta["row_counts"][file] == len(read(data / file, enc, sep))


def test_every_record_mapped_exactly_once(data: Path, record_map: pd.DataFrame) -> None:
    landed: list[tuple[str, str]] = []
    for file, (source, col, enc, sep) in CSV_SOURCES.items():
        landed += [(source, i) for i in read(data / file, enc, sep)[col]]
    from openpyxl import load_workbook
    ws = load_workbook(data / "crm/orders_archive.xlsx", read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "order_id" and 0 < len(rows) - 1 <= 2000
    landed += [("order", str(r[0])) for r in rows[1:]]
    landed += [("mail", i) for i in mail_file_ids(data)]
    landed_df = pd.DataFrame(landed, columns=["source", "source_record_id"])
    assert not landed_df.duplicated().any()
    assert not record_map[["source", "source_record_id"]].duplicated().any()
    # chat messages are mapped too (tests/unit/data_quality/test_chat_reader.py and the chat e2e read them)
    tabular = record_map[record_map["source"] != "chat"]
    mapped = set(map(tuple, tabular[["source", "source_record_id"]].to_numpy()))
    assert mapped == set(landed)
    assert set(record_map["source"]) == {"crm_contact", "order", "mail", "call", "ticket", "event", "chat"}


def test_archive_orders_not_in_orders_csv(data: Path) -> None:
    from openpyxl import load_workbook
    ws = load_workbook(data / "crm/orders_archive.xlsx", read_only=True).active
    archive = {str(r[0]) for r in list(ws.iter_rows(values_only=True))[1:]}
    assert not archive & set(read(data / "crm/orders.csv")["order_id"])


def test_persons_referenced_exist_and_types_present(data: Path, record_map: pd.DataFrame) -> None:
    persons = read(data / "truth/persons.csv")
    assert persons["person_id"].is_unique and len(persons) == 2000
    assert set(record_map["person_id"]) <= set(persons["person_id"])
    assert set(persons["behaviour_type"]) == set(BEHAVIOURS)


def test_cp1251_semicolon_files_decode(data: Path) -> None:
    raw = (data / "crm/contacts_bitrix.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("cp1251").splitlines()[0] == ";".join(BITRIX_HEADER)
    tickets = read(data / "support/tickets.csv", "cp1251", ";")
    assert tickets["handling_minutes"].str.contains(",").all()
    assert set(tickets["category"]) <= {"billing", "price", "technical", "delivery", "quality", "refund",
                                        "question", "complaint"}


def test_orders_deleted_contacts_and_leading_zero_ids(data: Path, record_map: pd.DataFrame) -> None:
    contacts = read(data / "crm/contacts.csv")
    orders = read(data / "crm/orders.csv")
    assert (~orders["contact_id"].isin(contacts["contact_id"])).any()  # orders of deleted contacts
    assert contacts["contact_id"].str.startswith("0").any()
    assert contacts["contact_id"].is_unique


def test_churned_persons_have_no_completed_orders_after_churn(data: Path, record_map: pd.DataFrame) -> None:
    persons = read(data / "truth/persons.csv")
    orders = read(data / "crm/orders.csv").merge(
        record_map[record_map["source"] == "order"], left_on="order_id", right_on="source_record_id")
    orders["day"] = parse_dates(orders["order_date"])
    assert orders["day"].notna().all()
    churned = persons[persons["churn_date"] != ""].assign(churn=lambda d: pd.to_datetime(d["churn_date"]))
    assert (churned["behaviour_type"] == "silent_churner").sum() > 50
    joined = orders.merge(churned[["person_id", "churn"]], on="person_id")
    late = joined[(joined["status"] == "completed") & (joined["day"].dt.normalize() >= joined["churn"])]
    assert late.empty


def test_mail_files_are_mime_with_mixed_charsets(data: Path) -> None:
    raw = b"".join(p.read_bytes() for p in (data / "mail").glob("*.eml")) + (data / "mail/archive.mbox").read_bytes()
    assert b"koi8-r" in raw.lower() and b"windows-1251" in raw.lower()
    assert b"quoted-printable" in raw and b"base64" in raw
    assert len(mail_file_ids(data)) <= 200


def test_realism_markers_present(data: Path) -> None:
    contacts = read(data / "crm/contacts.csv")
    names = pd.concat([contacts["full_name"], contacts["first_name"]])
    assert names.isin(["Клиент", "Покупатель", "Без имени", "test"]).any()
    assert contacts["comment"].str.contains(r"\d{3}").any()   # phones buried in the comment
    assert contacts["email"].str.contains("@").any()
    body = read(data / "mail/messages.csv")["body"]
    assert body.str.contains("Битрикс|Мегаплан|HubSpot").any()
    assert body.str.contains("выгруз|export", case=False).any()
