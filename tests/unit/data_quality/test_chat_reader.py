"""Chat exports (chat/): Telegram Desktop JSON, WhatsApp text, CSV — every message lands in
raw.chat_messages or in raw.rejected_rows with a reason, direction from the company accounts."""

from __future__ import annotations

import json

import duckdb
import pytest

from data_quality.landing import ingest_landing
from data_quality.landing.chat_reader import CompanyAccounts, parse_whatsapp, telegram_text
from tests.support.landing import ok, q, write

ACCOUNTS = CompanyAccounts({"company_usernames": ["clientpulse_demo", "user999"],
                            "company_phones": ["+7 800 555-35-35"], "company_names": ["ClientPulse Demo"]})


@pytest.fixture()
def con():
    c = duckdb.connect(":memory:")
    yield c
    c.close()


def _raw(con, cols="message_id, chat_id, sent_at, direction, author, author_id, phone, username, email, text"):
    return q(con, f"SELECT {cols} FROM raw.chat_messages ORDER BY _source_file, _line")


def _rejects(con):
    return q(con, "SELECT file, line, split_part(reason, ':', 1) FROM raw.rejected_rows ORDER BY file, line")


TELEGRAM = {
    "name": "Иван Петров", "type": "personal_chat", "id": 4242,
    "messages": [
        {"id": 1, "type": "service", "date": "2024-03-12T10:00:00", "actor": "Иван Петров",
         "action": "phone_call", "text": ""},
        {"id": 2, "type": "message", "date": "2024-03-12T14:05:33", "from": "Иван Петров",
         "from_id": "user123456", "text": ["Посмотрите ", {"type": "link", "text": "https://x.ru/a"},
                                           " — ", {"type": "bold", "text": "срочно"}]},
        {"id": 3, "type": "message", "date": "2024-03-12T14:20:00", "from": "ClientPulse Demo",
         "from_id": "user999", "text": "Добрый день! Уже смотрим."},
        {"id": 4, "type": "message", "date": "2024-03-12T15:00:00", "from": "Иван Петров",
         "from_id": "user123456", "photo": "photos/photo_1.jpg", "text": ""},
        {"id": 5, "type": "message", "from": "Иван Петров", "text": "без даты"},
    ],
}


def test_telegram_text_as_list_joins_pieces():
    assert telegram_text(TELEGRAM["messages"][1]["text"]) == "Посмотрите https://x.ru/a — срочно"
    assert telegram_text("просто") == "просто"
    assert telegram_text(None) == ""


def test_telegram_export_lands_with_reasons(tmp_path, con):
    write(tmp_path, "chat/result.json", json.dumps(TELEGRAM, ensure_ascii=False))
    cfg_chat = {"company_usernames": ["clientpulse_demo", "user999"], "company_phones": [],
                "company_names": ["ClientPulse Demo"], "whatsapp_slash_dates": "auto"}
    from data_quality.landing.spec import load_landing_config

    base = load_landing_config()
    cfg = type(base)(sources=base.sources, company_domains=base.company_domains, options=base.options,
                     mapping_files=base.mapping_files, mail=base.mail, chat=cfg_chat)
    report = ingest_landing(con, tmp_path, cfg=cfg)
    ok(con)
    rows = _raw(con)
    assert [r[0] for r in rows] == ["4242:2", "4242:3", "4242:4"]
    assert rows[0][2] == "2024-03-12 14:05:33" and rows[0][3] == "inbound" and rows[0][5] == "user123456"
    assert rows[0][9] == "Посмотрите https://x.ru/a — срочно"
    assert rows[1][3] == "outbound"                       # the company's from_id
    assert rows[2][9] is None                             # media only: lands, no text
    media = q(con, "SELECT json_extract_string(_extra, '$.media') FROM raw.chat_messages WHERE message_id = '4242:4'")
    assert media == [("photo",)]
    assert _rejects(con) == [("chat/result.json", 1, "system_message"), ("chat/result.json", 5, "bad_message")]
    f = report.files[0]
    assert (f.table, f.landed_rows, f.raw_rows, f.rejected_rows) == ("chat_messages", 5, 3, 2)


def test_telegram_full_export_and_garbage(tmp_path, con):
    full = {"about": "x", "contacts": {"list": [{"user_id": 7, "first_name": "B", "phone_number": "+79161234567"}]},
            "chats": {"list": [TELEGRAM, {"name": "B", "id": 7, "messages": [
                {"id": 1, "type": "message", "date": "2024-04-01T09:00:00", "from": "B", "from_id": "user7",
                 "text": "hi"}]}]}}
    write(tmp_path, "chat/result.json", json.dumps(full, ensure_ascii=False))
    write(tmp_path, "chat/broken.json", "{not json")
    ingest_landing(con, tmp_path)
    ok(con)
    assert q(con, "SELECT count(*) FROM raw.chat_messages WHERE _source_file = 'chat/result.json'") == [(4,)]
    # the address book gives user7's phone; user123456 is not in it
    assert q(con, "SELECT author_id, phone FROM raw.chat_messages WHERE phone IS NOT NULL") == [("user7", "+79161234567")]
    assert q(con, "SELECT split_part(reason, ':', 1) FROM raw.rejected_rows WHERE file = 'chat/broken.json'") == [("not_json",)]


ANDROID = """\ufeffпреамбула без даты
12.03.2024, 14:05 - Сообщения и звонки защищены сквозным шифрованием.
12.03.2024, 14:05 - Иван Петров: Здравствуйте!
Заказ не пришёл,
где он?
12.03.2024, 14:35 - ClientPulse Demo: Добрый день, проверяем.
13.03.2024, 09:00 - Иван Петров: <Без медиафайлов>
31.02.2024, 10:00 - Иван Петров: такого дня нет
13.03.2024, 09:01 - +7 912 345-67-89: я с другого номера
"""


def test_whatsapp_android_multiline_system_media_bad_lines():
    rows, lines, _, rejects = parse_whatsapp(ANDROID, "WhatsApp Chat with Иван", ACCOUNTS)
    assert lines == [3, 6, 7, 9]
    texts = [r[9] for r in rows]
    assert texts[0] == "Здравствуйте!\nЗаказ не пришёл,\nгде он?"
    assert [r[2] for r in rows] == ["2024-03-12 14:05:00", "2024-03-12 14:35:00", "2024-03-13 09:00:00",
                                    "2024-03-13 09:01:00"]
    assert [r[3] for r in rows] == ["inbound", "outbound", "inbound", "inbound"]
    assert texts[2] is None and rows[2][-3] == "Без медиафайлов"
    assert rows[3][6] == "+7 912 345-67-89"               # an author that is a phone fills phone
    assert [(r.line, r.reason.split(":")[0]) for r in rejects] == [(1, "bad_line"), (2, "system_message"),
                                                                  (8, "bad_date")]
    assert len({r[0] for r in rows}) == 4 and all(r[1] == "WhatsApp Chat with Иван" for r in rows)


def test_whatsapp_ios_12_hour_month_first_and_repeats():
    text = ("[3/12/24, 2:05:33 PM] Ivan: order?\n"
            "[3/12/24, 2:05:33 PM] Ivan: order?\n"
            "[3/13/24, 9:00:00 AM] ‎ClientPulse Demo: on its way\n"
            "‎[3/14/24, 12:10:00 AM] Ivan: ‎image omitted\n")
    rows, lines, _, rejects = parse_whatsapp(text, "chat", ACCOUNTS)
    assert not rejects
    assert [r[2] for r in rows] == ["2024-03-12 14:05:33", "2024-03-12 14:05:33", "2024-03-13 09:00:00",
                                    "2024-03-14 00:10:00"]
    assert rows[0][0] != rows[1][0] and rows[1][0].endswith(":2")   # a repeat is its own message
    assert rows[2][3] == "outbound" and rows[3][9] is None


def test_whatsapp_slash_day_first_proved_by_file():
    text = "[13/03/2024, 14:05:33] Ivan: a\n[01/04/2024, 10:00:00] Ivan: b\n"
    rows, *_ = parse_whatsapp(text, "c", ACCOUNTS)
    assert [r[2][:10] for r in rows] == ["2024-03-13", "2024-04-01"]
    rows, *_ = parse_whatsapp("[01/04/2024, 10:00:00] Ivan: b\n", "c", ACCOUNTS, "month_first")
    assert rows[0][2][:10] == "2024-01-04"


def test_whatsapp_file_lands_and_reconciles(tmp_path, con):
    write(tmp_path, "chat/WhatsApp Chat with Иван.txt", ANDROID)
    write(tmp_path, "chat/notes.txt", "просто заметки\nбез сообщений\n")
    ingest_landing(con, tmp_path)
    ok(con)
    assert q(con, "SELECT count(*) FROM raw.chat_messages") == [(4,)]
    assert ("chat/notes.txt", 0, "not_a_chat_export") in _rejects(con)


def test_chat_csv_direction_from_company_accounts(tmp_path, con):
    write(tmp_path, "chat/chats.csv",
          "chat_id,sent_at,direction,author,phone,username,email,text\n"
          "c1,2024-03-12 10:00,,Иван,,ivan_p,,Где заказ?\n"
          "c1,2024-03-12 10:30,,Поддержка,,@ClientPulse_Demo,,Уже едет\n"
          "c1,2024-03-12 10:40,outbound,Анна,,,,Трек-номер в письме\n"
          "c2,2024-03-12 11:00,,Пётр,8 (800) 555-35-35,,,с нашей линии\n"
          "c2,2024-03-12 11:05\n")
    ingest_landing(con, tmp_path)
    ok(con)
    rows = _raw(con, "direction, username, text, message_id")
    assert [r[0] for r in rows] == ["inbound", "outbound", "outbound", "outbound"]
    assert all(r[3].startswith("h:") for r in rows)        # ids derived from the content
    assert [r[2] for r in _rejects(con)] == ["wrong_field_count"]
