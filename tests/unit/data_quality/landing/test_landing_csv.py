"""CSV ingestion and the bad-input corpus (generated here, in tmp dirs)."""

from __future__ import annotations

import json

import duckdb
import pytest

from data_quality.landing import ingest_landing
from data_quality.landing.textio import detect_delimiter, detect_encoding
from tests.support.landing import ok, q, write


@pytest.fixture()
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def rejects(con, file):
    return q(con, "SELECT line, reason, raw_text FROM raw.rejected_rows WHERE file = ? ORDER BY line", [file])


# --------------------------------------------------------------------------------------------
# sniffing
# --------------------------------------------------------------------------------------------

RU = "ID;Имя;Фамилия;Город\n1;Пётр;Иванов;Москва\n2;анна;сидорова;казань\n"


@pytest.mark.parametrize("enc,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                          ("cp1251", "cp1251"), ("koi8_r", "koi8_r")])
def test_detect_encoding(tmp_path, enc, expected):
    p = write(tmp_path, "f.csv", RU * 3, enc)
    assert detect_encoding(p) == expected


@pytest.mark.parametrize("sample,delim", [("a,b,c\n1,2,3\n", ","), ("a;b;c\n1;2,5;3\n", ";"),
                                          ("a\tb\tc\n", "\t"), ('"x;y",b,c\n', ","), ("id\n1\n", ",")])
def test_detect_delimiter(sample, delim):
    assert detect_delimiter(sample) == delim


# --------------------------------------------------------------------------------------------
# good files
# --------------------------------------------------------------------------------------------


def test_bitrix_cp1251_semicolon_headers_and_leading_zeros(tmp_path, con):
    header = ("ID;Имя;Фамилия;Отчество;Мобильный телефон;Рабочий e-mail;Дата рождения;Город;Адрес;Индекс;"
              "Компания;Дата создания;Ответственный;Комментарий;Источник")
    body = ("00042;Иван;Петров;Сергеевич;8 (912) 345-67-89;IVAN@Mail.ru;01.03.1980;Москва;ул. Ленина, 1;"
            "010203;ООО Ромашка;20240301;Смирнова;\"звонить\nпосле 18\";сайт\r\n")
    write(tmp_path, "land/crm/contacts_bitrix.csv", header + "\r\n" + body, "cp1251")
    rep = ingest_landing(con, tmp_path / "land")
    (f,) = rep.files
    assert (f.status, f.encoding, f.delimiter, f.raw_rows) == ("loaded", "cp1251", ";", 1)
    r = q(con, "SELECT contact_id, first_name, last_name, middle_name, phone, email, birth_date, city, "
                  "address, postcode, company, created_at, manager, comment, _extra, _line, _source_file "
                  "FROM raw.crm_contacts")[0]
    assert r[:14] == ("00042", "Иван", "Петров", "Сергеевич", "8 (912) 345-67-89", "IVAN@Mail.ru", "01.03.1980",
                      "Москва", "ул. Ленина, 1", "010203", "ООО Ромашка", "20240301", "Смирнова",
                      "звонить\nпосле 18")
    assert json.loads(r[14]) == {"Источник": "сайт"}
    assert r[15:] == (2, "crm/contacts_bitrix.csv")
    ok(con)


def test_amocrm_english_headers_partial_columns_tab(tmp_path, con):
    write(tmp_path, "land/crm/contacts_amo.csv",
          "Contact ID\tFull name\tWork phone\tWork email\tTags\n7\tAnna Smith\t+79031112233\ta@b.ru\tvip\n")
    ingest_landing(con, tmp_path / "land")
    r = q(con, "SELECT contact_id, full_name, phone, email, city, _extra FROM raw.crm_contacts")[0]
    assert r[:5] == ("7", "Anna Smith", "+79031112233", "a@b.ru", None)
    assert json.loads(r[5]) == {"Tags": "vip"}


def test_header_matching_is_case_space_punctuation_insensitive(tmp_path, con):
    write(tmp_path, "land/crm/contacts.csv", "  id ;ФИО;РАБОЧИЙ   E-MAIL;телефон (мобильный);дата_рождения\n"
                                             "1;Ёлкин Пётр;x@y.ru;8912;1990-01-01\n")
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT contact_id, full_name, email, phone, birth_date FROM raw.crm_contacts") == [
        ("1", "Ёлкин Пётр", "x@y.ru", "8912", "1990-01-01")]


def test_two_phone_columns_first_synonym_wins_other_kept_in_extra(tmp_path, con):
    write(tmp_path, "land/crm/contacts.csv", "ID,Рабочий телефон,Телефон\n1,111,222\n")
    ingest_landing(con, tmp_path / "land")
    phone, extra = q(con, "SELECT phone, _extra FROM raw.crm_contacts")[0]
    assert phone == "222" and json.loads(extra) == {"Рабочий телефон": "111"}


def test_all_tables_exist_with_full_columns_even_without_files(tmp_path, con):
    (tmp_path / "land").mkdir()
    ingest_landing(con, tmp_path / "land")
    from data_quality.landing import CANONICAL_COLUMNS
    for table, cols in CANONICAL_COLUMNS.items():
        got = [r[0] for r in q(con, "SELECT column_name FROM information_schema.columns WHERE "
                                       "table_schema='raw' AND table_name=? ORDER BY ordinal_position", [table])]
        assert got == [*cols, "_extra", "_source_file", "_line", "_ingested_at", "_row_hash", "_more_contacts"]
    for t in ("rejected_rows", "file_registry"):
        assert q(con, f"SELECT count(*) FROM raw.{t}") == [(0,)]


def test_fast_path_line_numbers_and_hash_match_slow_path(tmp_path):
    text = "order_id,contact_id,amount\n" + "".join(f"{i:05d},c{i % 7},{i},\n".replace(",\n", "\n")
                                                   for i in range(1, 301))
    write(tmp_path, "a/crm/orders.csv", text)
    # same data plus one multi-line record at the end -> python path
    write(tmp_path, "b/crm/orders.csv", text + '99999,c1,"1\n2"\n')
    out = {}
    for d in ("a", "b"):
        c = duckdb.connect()
        rep = ingest_landing(c, tmp_path / d)
        out[d] = (rep.files[0].reader,
                  q(c, "SELECT order_id, _line, _row_hash FROM raw.crm_orders WHERE order_id < '99999' "
                          "ORDER BY _line"))
        ok(c)
    assert out["a"][0] == "csv:duckdb" and out["b"][0] == "csv:python"
    assert out["a"][1] == out["b"][1]
    assert out["a"][1][0][:2] == ("00001", 2) and out["a"][1][-1][:2] == ("00300", 301)


# --------------------------------------------------------------------------------------------
# the bad-input corpus
# --------------------------------------------------------------------------------------------


def test_broken_quotes_reject_only_the_broken_line(tmp_path, con):
    write(tmp_path, "land/crm/orders.csv",
          'order_id,contact_id,amount\n1,a,10\n2,"b,20\n3,c,30\n4,"d\nd",40\n')
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT order_id, _line FROM raw.crm_orders ORDER BY _line") == [("1", 2), ("3", 4), ("4", 5)]
    assert rejects(con, "crm/orders.csv") == [(3, "broken_quotes", '2,"b,20')]
    ok(con)


def test_broken_quote_on_last_line(tmp_path, con):
    write(tmp_path, "land/crm/orders.csv", 'order_id,contact_id\no1,A\no10,"broken,row\n')
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT order_id FROM raw.crm_orders") == [("o1",)]
    assert [r[:2] for r in rejects(con, "crm/orders.csv")] == [(3, "broken_quotes")]
    ok(con)


def test_empty_file_and_whitespace_file_rejected_whole(tmp_path, con):
    write(tmp_path, "land/crm/contacts.csv", b"")
    write(tmp_path, "land/crm/contacts_2.csv", b"\r\n  \n")
    rep = ingest_landing(con, tmp_path / "land")
    assert {f.status for f in rep.files} == {"rejected"}
    got = q(con, "SELECT file, line, split_part(reason, ':', 1) FROM raw.rejected_rows ORDER BY file")
    assert got == [("crm/contacts.csv", 0, "empty_file"), ("crm/contacts_2.csv", 0, "empty_file")]
    assert any("whole file rejected" in w for w in rep.warnings)
    ok(con)


def test_header_only_file_is_empty_not_an_error(tmp_path, con):
    write(tmp_path, "land/phone/calls.csv", "call_id,started_at,phone\n")
    rep = ingest_landing(con, tmp_path / "land")
    assert rep.files[0].status == "empty" and rep.files[0].landed_rows == 0
    assert q(con, "SELECT count(*) FROM raw.rejected_rows") == [(0,)]
    ok(con)


def test_garbage_bytes_with_csv_name_rejected_and_run_continues(tmp_path, con):
    import random

    rnd = random.Random(1)
    write(tmp_path, "land/crm/contacts_garbage.csv", bytes(rnd.randrange(256) for _ in range(5000)))
    write(tmp_path, "land/crm/contacts_zip.csv", b"PK\x03\x04" + b"\x00" * 100)
    write(tmp_path, "land/crm/contacts.csv", "contact_id,full_name\n1,Ann\n")
    rep = ingest_landing(con, tmp_path / "land")
    st = {f.path: f.status for f in rep.files}
    assert st == {"crm/contacts.csv": "loaded", "crm/contacts_garbage.csv": "rejected",
                  "crm/contacts_zip.csv": "rejected"}
    assert q(con, "SELECT count(*) FROM raw.crm_contacts") == [(1,)]
    reasons = dict(q(con, "SELECT file, split_part(reason, ':', 1) FROM raw.rejected_rows"))
    assert reasons == {"crm/contacts_garbage.csv": "binary_content", "crm/contacts_zip.csv": "unknown_format"}
    ok(con)


def test_wrong_delimiter_rows_rejected_with_field_count(tmp_path, con):
    write(tmp_path, "land/support/tickets.csv",
          "ticket_id;created_at;text\nt1;2024-01-01;ok\nt2,2024-01-02,comma row\nt3;2024-01-03;x;extra\n")
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT ticket_id FROM raw.support_tickets") == [("t1",)]
    got = rejects(con, "support/tickets.csv")
    assert [(line, reason.split(":")[0]) for line, reason, _ in got] == [(3, "wrong_field_count"),
                                                                         (4, "wrong_field_count")]
    assert got[0][2] == "t2,2024-01-02,comma row"
    ok(con)


def test_whole_file_in_unexpected_delimiter_is_missing_id_column(tmp_path, con):
    write(tmp_path, "land/crm/orders.csv", "order_id|amount\n1|10\n2|20\n")
    rep = ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT line, reason FROM raw.rejected_rows ORDER BY line") == [
        (2, "missing_id_column"), (3, "missing_id_column")]
    assert "missing_id_column" in rep.files[0].message
    ok(con)


def test_missing_id_column_rejects_every_record_with_its_text(tmp_path, con):
    # contacts derive no ids (surrogate_id: none); event logs do (test_landing_surrogate.py in this folder)
    write(tmp_path, "land/crm/contacts.csv", "full_name,email,city\nИван,a@b.ru,Москва\n")
    rep = ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT count(*) FROM raw.crm_contacts") == [(0,)]
    assert rejects(con, "crm/contacts.csv") == [(2, "missing_id_column", "Иван,a@b.ru,Москва")]
    assert any("rejected" in w for w in rep.warnings)
    ok(con)


def test_empty_and_duplicate_ids(tmp_path, con):
    write(tmp_path, "land/crm/contacts.csv",
          "contact_id,full_name\n1,First\n,No id\n  ,Blank id\n1,Second\n2,Other\n1,Third\n")
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT contact_id, full_name FROM raw.crm_contacts ORDER BY _line") == [
        ("1", "First"), ("2", "Other")]
    assert rejects(con, "crm/contacts.csv") == [
        (3, "empty_id", ",No id"), (4, "empty_id", "  ,Blank id"), (5, "duplicate_id", "1,Second"),
        (7, "duplicate_id", "1,Third")]
    ok(con)


def test_order_line_items_share_an_id_and_only_exact_repeats_are_rejected(tmp_path, con):
    write(tmp_path, "land/crm/orders.csv",
          "order_id,contact_id,amount,category\n"
          "A1,c1,100,tools\nA1,c1,50,food\nA1,c1,100,tools\nA2,c2,10,food\n")
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT order_id, amount FROM raw.crm_orders ORDER BY _line") == [
        ("A1", "100"), ("A1", "50"), ("A2", "10")]
    assert rejects(con, "crm/orders.csv") == [(4, "duplicate_row", "A1,c1,100,tools")]
    ok(con)


def test_future_impossible_dates_and_negative_amounts_are_not_rejected(tmp_path, con):
    write(tmp_path, "land/crm/orders.csv",
          "order_id;contact_id;order_date;amount;discount\n"
          "1;a;2099-01-01;-500,00;-5\n2;a;31.02.2024;0;\n3;a;45123;1 000,50;\n4;a;not a date;abc;\n")
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT order_id, order_date, amount FROM raw.crm_orders ORDER BY _line") == [
        ("1", "2099-01-01", "-500,00"), ("2", "31.02.2024", "0"), ("3", "45123", "1 000,50"),
        ("4", "not a date", "abc")]
    assert q(con, "SELECT count(*) FROM raw.rejected_rows") == [(0,)]
    ok(con)


def test_unknown_format_in_source_folder_and_other_folders_ignored(tmp_path, con):
    write(tmp_path, "land/crm/contacts.xls", b"\xd0\xcf\x11\xe0old excel")
    write(tmp_path, "land/truth/persons.csv", "a,b\n1,2\n")
    write(tmp_path, "land/crm/.hidden.csv", "x\n")
    rep = ingest_landing(con, tmp_path / "land")
    assert [(f.path, f.status) for f in rep.files] == [("crm/contacts.xls", "rejected")]
    assert q(con, "SELECT source, line, split_part(reason, ':', 1) FROM raw.rejected_rows") == [
        ("crm_contacts", 0, "unknown_format")]
    ok(con)


def test_nul_bytes_inside_otherwise_good_csv(tmp_path, con):
    write(tmp_path, "land/crm/contacts.csv", b"contact_id,full_name\n1,Ann\n2,B\x00b\n3,Cid\n")
    ingest_landing(con, tmp_path / "land")
    assert q(con, "SELECT contact_id FROM raw.crm_contacts ORDER BY 1") == [("1",), ("3",)]
    assert [r[:2] for r in rejects(con, "crm/contacts.csv")] == [(3, "nul_bytes")]
    ok(con)
