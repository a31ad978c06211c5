"""Hostile landing files never stop ingestion and never pass undecodable text on: bad bytes are
repaired to U+FFFD (counted in the registry), odd file names land under a repaired name, mail
with raw UTF-8 headers, a mismatched MIME boundary, a broken mbox or a huge header lands capped
(issue 16, item 3)."""

from __future__ import annotations

import json

import pytest

from data_quality.landing import ingest_landing, load_landing_config
from data_quality.landing.textio import detect_encoding, repair_text, unescape_bytes
from tests.support.landing import ok, q, write


def _message(con, path):
    return q(con, "SELECT coalesce(message, '') FROM raw.file_registry WHERE path = ?", [path])[0][0]


def test_repair_helpers_replace_surrogates_and_decode_escaped_utf8():
    assert repair_text("a\udcffb\ud800") == ("a\ufffdb\ufffd", 2)
    assert repair_text("plain") == ("plain", 0)
    # a raw UTF-8 name the e-mail parser / os.scandir surrogate-escaped, plus one bad byte
    escaped = ("Иван".encode() + b"\xff").decode("utf-8", "surrogateescape")
    assert unescape_bytes(escaped) == ("Иван\ufffd", 1)


def test_utf8_csv_with_stray_bytes_is_read_as_utf8_and_repaired(tmp_path, con, cfg):
    data = ("contact_id,full_name,phone\n1,Иван Петров,+79161234567\n".encode()
            + b"2,Bad \xff\xfe name,+79161234568\n" + "3,Анна Смирнова,+79161234569\n".encode())
    write(tmp_path, "crm/contacts.csv", data)
    rep = ingest_landing(con, tmp_path, cfg)
    (f,) = rep.files
    assert (f.status, f.landed_rows, f.raw_rows, f.encoding) == ("loaded", 3, 3, "utf-8")
    names = [r[0] for r in q(con, "SELECT full_name FROM raw.crm_contacts ORDER BY _line")]
    assert names == ["Иван Петров", "Bad \ufffd\ufffd name", "Анна Смирнова"]
    assert "repaired 2 undecodable byte sequences" in _message(con, "crm/contacts.csv")
    ok(con)


def test_cp1251_with_an_undefined_byte_stays_cp1251(tmp_path, con, cfg):
    # 0x98 is undefined in CP1251: one such byte used to send the file to KOI8-R (mojibake)
    # or reject it whole as encoding_error
    data = "contact_id,full_name\n1,Иван Петров\n2,Мария\n".encode("cp1251") + b"3,bad\x98\n"
    path = write(tmp_path, "crm/contacts.csv", data)
    assert detect_encoding(path) == "cp1251"
    rep = ingest_landing(con, tmp_path, cfg)
    assert rep.files[0].raw_rows == 3
    assert [r[0] for r in q(con, "SELECT full_name FROM raw.crm_contacts ORDER BY _line")] == \
        ["Иван Петров", "Мария", "bad\ufffd"]
    ok(con)


def test_a_real_cp1251_file_is_not_taken_for_broken_utf8(tmp_path, con, cfg):
    text = "contact_id;full_name;city\n" + "".join(f"{i};Пётр Иванович Сидоров;Екатеринбург\n" for i in range(50))
    path = write(tmp_path, "crm/contacts.csv", text.encode("cp1251"))
    assert detect_encoding(path) == "cp1251"


@pytest.mark.parametrize("name", [b"contacts_\xff\xfe.csv", b"contacts_'; DROP TABLE raw.orders;--.csv",
                                  b"contacts..evil.csv", b"contacts_\"q\" ;.csv"])
def test_hostile_file_names_land_under_their_name(tmp_path, con, cfg, name):
    (tmp_path / "crm").mkdir()
    (tmp_path / "crm").joinpath(name.decode("utf-8", "surrogateescape")).write_bytes(
        b"contact_id,full_name\n1,Ann\n")
    write(tmp_path, "crm/orders.csv", "order_id,contact_id,order_date,amount\no1,1,2024-03-01,10\n")
    rep = ingest_landing(con, tmp_path, cfg)
    by_path = {f.path: f for f in rep.files}
    want = "crm/" + name.decode("utf-8", "replace")
    assert by_path[want].status == "loaded" and by_path[want].raw_rows == 1
    assert q(con, "SELECT _source_file FROM raw.crm_contacts") == [(want,)]
    assert q(con, "SELECT count(*) FROM raw.crm_orders") == [(1,)]  # nothing was dropped
    if b"\xff" in name:
        assert "2 bytes that are not UTF-8" in _message(con, want)
    ok(con)
    # the second run finds it unchanged under the same (repaired) name
    assert [f.status for f in ingest_landing(con, tmp_path, cfg).files] == ["unchanged", "unchanged"]


def _extra(con, line=1):
    return json.loads(q(con, "SELECT _extra FROM raw.mail_messages WHERE _line = ?", [line])[0][0])


def test_eml_with_raw_utf8_and_bad_bytes_in_headers(tmp_path, con, cfg):
    write(tmp_path, "mail/a.eml", "From: Иван Петров <ivan@mail.ru>\nTo: sales@shop.ru\nSubject: Привет\n"
                                  "Date: Mon, 4 Mar 2024 10:00:00 +0300\nMessage-ID: <a1@x>\n\nТело\n".encode())
    write(tmp_path, "mail/b.eml", b"From: Iv\xff\xfean <ivan@mail.ru>\nTo: sales@shop.ru\nSubject: \xc0\xc1 hi\n"
                                  b"Message-ID: <a2@x>\n\nbody \xff text\n")
    rep = ingest_landing(con, tmp_path, cfg)
    assert [(f.status, f.raw_rows) for f in rep.files] == [("loaded", 1), ("loaded", 1)]
    rows = q(con, "SELECT _source_file, from_address, subject, json_extract_string(_extra, '$.from_name') "
                  "FROM raw.mail_messages ORDER BY 1")
    assert rows[0] == ("mail/a.eml", "ivan@mail.ru", "Привет", "Иван Петров")
    assert rows[1][1] == "ivan@mail.ru" and rows[1][3] == "Iv\ufffd\ufffdan"
    assert "\ufffd" in rows[1][2]
    ok(con)


def test_mismatched_mime_boundary_does_not_make_a_10_mb_body(tmp_path, con, cfg):
    attachment = b"QUFB" * (10 * 1024 * 1024 // 4)
    write(tmp_path, "mail/att.eml", b"From: a@b.ru\nTo: c@d.ru\nSubject: att\nMessage-ID: <a3@x>\nMIME-Version: 1.0\n"
                                    b"Content-Type: multipart/mixed; boundary=\"XYZ\"\n\n--ABC\nContent-Type: text/plain"
                                    b"\n\nhello\n--ABC\nContent-Type: application/octet-stream\n\n" + attachment +
                                    b"\n--ABC--\n")
    ingest_landing(con, tmp_path, cfg)
    limit = cfg.mail["max_body_chars"]
    (body_len,), = q(con, "SELECT length(body) FROM raw.mail_messages")
    assert 0 < body_len <= limit
    assert _extra(con)["truncated"].startswith("body: ") and f"-> {limit} chars" in _extra(con)["truncated"]
    assert "truncated (body:" in _message(con, "mail/att.eml")
    ok(con)


def test_a_26_mb_header_is_capped_everywhere(tmp_path, con, cfg):
    write(tmp_path, "mail/huge.eml", b"From: a@b.ru\nTo: c@d.ru\nSubject: " + b"x" * (26 * 1024 * 1024)
          + b"\nMessage-ID: <a4@x>\n\nbody\n")
    ingest_landing(con, tmp_path, cfg)
    (subject_len,), = q(con, "SELECT length(subject) FROM raw.mail_messages")
    assert subject_len == cfg.mail["max_header_chars"]
    assert len(_message(con, "mail/huge.eml")) < 5000
    ok(con)


def test_mbox_with_a_bad_first_line_keeps_its_messages(tmp_path, con, cfg):
    msg = "From a@b Mon Mar  4 10:00:00 2024\nFrom: {0}@b.ru\nTo: c@d.ru\nSubject: s\nMessage-ID: <{0}@x>\n\nbody\n\n"
    write(tmp_path, "mail/box.mbox", b"Xrom garbage \xff line\n" + "".join(msg.format(f"m{i}") for i in range(3)).encode())
    # a 'From ' line with no message behind it: that one record is rejected, the others land
    write(tmp_path, "mail/box2.mbox", b"From junk \xff\nnot a header\n\n" + msg.format("k1").encode())
    rep = ingest_landing(con, tmp_path, cfg)
    got = {f.path: (f.landed_rows, f.raw_rows, f.rejected_rows) for f in rep.files}
    assert got == {"mail/box.mbox": (4, 3, 1), "mail/box2.mbox": (2, 1, 1)}
    rejects = q(con, "SELECT file, line, split_part(reason, ':', 1) FROM raw.rejected_rows ORDER BY 1")
    assert rejects == [("mail/box.mbox", 0, "mbox_preamble"), ("mail/box2.mbox", 1, "unparseable_message")]
    ok(con)


def test_a_file_without_any_from_line_is_still_rejected_whole(tmp_path, con, cfg):
    write(tmp_path, "mail/box.mbox", b"just text\nno messages\n")
    (f,) = ingest_landing(con, tmp_path, cfg).files
    assert f.status == "rejected" and f.message.startswith("not_an_mbox")
    ok(con)


def test_a_field_beyond_the_size_limit_rejects_its_record_only(tmp_path, con):
    from clientpulse_config import load

    doc = load("sources")
    doc["reading"]["field_size_limit"] = 1000
    write(tmp_path, "support/tickets.csv", "ticket_id,text\nt1,short\nt2," + "x" * 5000 + "\nt3,fine\n")
    (f,) = ingest_landing(con, tmp_path, load_landing_config(doc, mapping_dirs=[])).files
    assert (f.landed_rows, f.raw_rows, f.rejected_rows) == (3, 2, 1)
    (line, reason, raw_len), = q(con, "SELECT line, reason, length(raw_text) FROM raw.rejected_rows")
    assert line == 3 and reason.startswith("field_too_large: 5000 chars") and raw_len == 5003
    ok(con)
