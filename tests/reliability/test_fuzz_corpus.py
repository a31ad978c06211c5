"""Fuzz corpus (issue 16.6): two dozen hostile landing files next to a small valid sample, one
pipeline run over all of them. The run finishes, every file is accounted for (landed = raw +
rejected, each reject with a reason; a held file with its reason and no rows), and the marts are
built from the valid records.

Yesterday's run ingested the valid sample (that is the volume guard's history); today the
hostile files land and the whole graph runs once. The guard's byte floor is raised in a config
folder so the 50 MB line is read (and rejected by the field limit), not held; the million-row
XLSX is held by its row count."""

from __future__ import annotations

import duckdb
import pytest

from data_quality.landing import ingest_landing, load_landing_config, reconcile
from sample_data.generator import generate
from tests.support.hostile import xlsx_zip_bomb
from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline

HOSTILE: dict[str, bytes] = {}


def _add(rel: str, data: bytes | str) -> None:
    HOSTILE[rel] = data if isinstance(data, bytes) else data.encode("utf-8")


_add("crm/contacts_broken_quotes.csv", 'contact_id,full_name,phone\nq1,"Иванов Иван,+79163852741\n'
                                       'q2,Петров Пётр,+79163852742\nq3,"Сидоров ""Сид"" Сидор",+79163852743\n')
_add("crm/contacts_nul.csv", b"contact_id,full_name\nn1,Ann\x00Lee\nn2,Bob Stone\n")
_add("crm/contacts_5000_columns.csv", ",".join(["contact_id", "full_name"] + [f"col{i}" for i in range(4998)])
     + "\n" + ",".join(["w1", "Wide Row"] + ["x"] * 4998) + "\n" + ",".join(["w2", "Short Row"]) + "\n")
_add("support/tickets_50mb_line.csv", b"ticket_id,text\nlong1," + b"a" * (50 * 1024 * 1024) + b"\n")
_add("crm/contacts_unicode_digits.csv", "contact_id,full_name,phone\nu1,Анна Фуллвидт,+７ ９１６ ３８５-２７-４１\n"
                                        "u2,Карим Араби,٨٩١٦٣٨٥٢٧٤٢\nu3,Фарид Перс,۸۹۱۶۳۸۵۲۷۴۳\n")
_add("crm/contacts_idn.csv", "contact_id,full_name,email\ni1,Иван Почтов,иван@почта.рф\n"
                             "i2,Иван Гомоглиф,iv\u0430n@mail.ru\ni3,Ann Punycode,ann@xn--80a1acny.xn--p1ai\n")
_add("crm/orders_extreme.csv", "order_id;contact_id;order_date;amount\nx1;u1;0001-01-01;100\nx2;u1;9999-12-31;200\n"
                               "x3;u2;2024-03-01;1e308\nx4;u2;2024-03-02;NaN\nx5;u3;2024-03-03;1 234,56\n"
                               "x6;u3;2024-03-04;inf\nx7;i1;2024-03-05;1e309\nx8;i1;2024-03-06;-0\n")
_add("crm/contacts_sql_headers.csv", 'contact_id,"full_name""; DROP TABLE raw.crm_contacts;--",\'; --,"a,b"\n'
                                     "s1,Robert');DROP TABLE students;--,x,y\n")
_add("crm/'; DROP TABLE raw.orders;--.csv", "order_id,contact_id,order_date,amount\nd1,s1,2024-04-01,10\n")
_add("crm/contacts..backup..csv", "contact_id,full_name\ndd1,Dot Dot\n")
_add("crm/contacts_stray_bytes.csv", "contact_id,full_name\nb1,Борис Байтов\n".encode() + b"b2,Bad \xff\xfe Byte\n")
_add("crm/contacts_cp1251_x98.csv", "contact_id;full_name\nc1;Ирина Однобайтова\n".encode("cp1251") + b"c2;x\x98y\n")
_add("crm/contacts_bom_crlf.csv", "\ufeffcontact_id,full_name\r\nbom1,Вера Бомова\r\n")
_add("phone/calls_empty.csv", b"")
_add("phone/calls_wrong_fields.csv", "call_id,started_at,phone\nk1,2024-03-01 10:00,+79163852744,extra,fields\n"
                                     "k2,2024-03-01 11:00,+79163852745\n")
_add("marketing/events_binary.csv", bytes(range(256)) * 64)
_add("crm/contacts_truncated.xlsx", b"")  # filled below: a real workbook cut in half
_add("crm/contacts_zip_bomb.xlsx", b"")  # filled below: 1,000,001 rows
_add("mail/malformed_mime.eml", b"From: a@b.ru\nTo: c@d.ru\nSubject: att\nMessage-ID: <mime@x>\nMIME-Version: 1.0\n"
                                b"Content-Type: multipart/mixed; boundary=\"XYZ\"\n\n--ABC\nContent-Type: text/plain\n\n"
                                b"hello\n--ABC\nContent-Type: application/octet-stream\n\n" + b"QUFB" * 1_000_000
                                + b"\n--ABC--\n")
_add("mail/raw_utf8_from.eml", "From: Иван Петров <ivan.petrov@mail.ru>\nTo: sales@clientpulse-demo.ru\n"
                               "Subject: Вопрос\nMessage-ID: <utf8@x>\nDate: Mon, 4 Mar 2024 10:00:00 +0300\n\nТекст\n")
_add("mail/huge_header.eml", b"From: a@b.ru\nTo: c@d.ru\nMessage-ID: <huge@x>\nSubject: "
                             + b"x" * (26 * 1024 * 1024) + b"\n\nbody\n")
_add("mail/broken.mbox", b"Xrom nobody\ngarbage before the first message\n\n"
                         b"From a@b Mon Mar  4 10:00:00 2024\nFrom: m1@b.ru\nTo: c@d.ru\nMessage-ID: <m1@x>\n\nb1\n\n"
                         b"From \xff\xfe broken separator\nnot a header at all\n\n"
                         b"From a@b Mon Mar  4 11:00:00 2024\nFrom: m2@b.ru\nTo: c@d.ru\nMessage-ID: <m2@x>\n\nb2\n")
_add("mail/not_an_email.eml", "just some text\nwith no headers\n")
NON_UTF8_NAME = b"crm/contacts_\xff\xfe_name.csv"


def _xlsx_bytes(rows: int) -> bytes:
    import io

    import openpyxl

    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["contact_id", "full_name"])
    for i in range(rows):
        ws.append([f"t{i}", f"Клиент {i}"])
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    landing = root / "landing"
    generate(120, 3, landing)
    run_root = root / "run"
    run_root.mkdir()
    # yesterday: the valid sample alone
    with duckdb.connect(str(run_root / "warehouse.duckdb")) as con:
        ingest_landing(con, landing, load_landing_config(mapping_dirs=[]))
    valid = {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()
             and p.relative_to(landing).parts[0] != "truth"}
    # today: the hostile files
    for rel, data in HOSTILE.items():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_bytes(data)
    (landing / "crm/contacts_truncated.xlsx").write_bytes(_xlsx_bytes(300)[:3000])
    xlsx_zip_bomb(landing / "crm/contacts_zip_bomb.xlsx", 1_000_000)
    import os

    (landing / os.fsdecode(NON_UTF8_NAME)).write_bytes(b"contact_id,full_name\nnn1,Name Bytes\n")
    config_dir = root / "config"
    config_dir.mkdir()
    (config_dir / "sources.yaml").write_text("reading:\n  volume_guard:\n    min_bytes: 200000000\n",
                                             encoding="utf-8")
    run = run_pipeline(run_root, landing, SAMPLE_AS_OF, config_dir=config_dir)
    return run, valid


def _registry(con) -> dict[str, tuple]:
    rows = con.execute("SELECT path, status, landed_rows, raw_rows, rejected_rows, message FROM raw.file_registry"
                       ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_the_run_finishes_and_the_marts_are_built(fuzz_run):
    run, _ = fuzz_run
    assert run.result.success, failure_messages(run.result)
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        customers = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0]
        buyers = con.execute("SELECT count(*) FROM marts.mart_customer_rfm WHERE frequency > 0").fetchone()[0]
        assert customers >= 120 and buyers > 0
        monetary = con.execute("SELECT count(*) FROM marts.customer_360 WHERE NOT isfinite(monetary)").fetchone()[0]
        assert monetary == 0


def test_every_hostile_file_is_accounted_for(fuzz_run):
    run, valid = fuzz_run
    assert len(HOSTILE) + 1 >= 20
    with duckdb.connect(str(run.warehouse)) as con:            # reconcile creates missing raw tables
        reg = _registry(con)
        assert not [r for r in reconcile(con) if not r["ok"]]
        no_reason = con.execute("SELECT count(*) FROM raw.rejected_rows WHERE coalesce(reason, '') = ''").fetchone()[0]
        assert no_reason == 0
        rejected_by_file = dict(con.execute("SELECT file, count(*) FROM raw.rejected_rows GROUP BY 1").fetchall())
    expected = set(HOSTILE) | {NON_UTF8_NAME.decode("utf-8", "replace")}
    assert expected <= reg.keys(), expected - reg.keys()
    assert valid <= reg.keys()
    for path in expected:
        status, landed, raw, rejected, message = reg[path]
        if status == "held":
            assert (landed, raw, rejected) == (0, 0, 0) and message.startswith("volume_guard:"), path
        else:
            assert landed == raw + rejected and rejected == rejected_by_file.get(path, 0), path
            assert landed > 0, path
            if status == "rejected":  # a whole-file rejection says why in the registry too
                assert (message or "").strip(), path


# kinds whose fate is knowable: (status, first word of the registry message) — a whole-file
# rejection carries the same reason in raw.rejected_rows (docs/operations.md)
WHOLE_FILE = {
    "crm/contacts_truncated.xlsx": ("rejected", "unreadable_xlsx"),
    "phone/calls_empty.csv": ("rejected", "empty_file"),
    "marketing/events_binary.csv": ("rejected", "binary_content"),
    "crm/contacts_zip_bomb.xlsx": ("held", "volume_guard"),
}


def test_each_knowable_kind_gets_its_own_reason(fuzz_run):
    run, _ = fuzz_run
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        reg = _registry(con)
        file_reasons = dict(con.execute("SELECT file, split_part(reason, ':', 1) FROM raw.rejected_rows "
                                        "WHERE line = 0 OR line IS NULL").fetchall())
    for path, (status, reason) in WHOLE_FILE.items():
        got_status, *_, message = reg[path]
        assert (got_status, message.split(":")[0]) == (status, reason), (path, got_status, message)
        if status == "rejected":
            assert file_reasons.get(path) == reason, (path, file_reasons.get(path))


# row-level and repaired kinds: (status, {reject reason: rows}, a word of the registry message or None)
ROW_LEVEL = {
    "crm/contacts_broken_quotes.csv": ("loaded_with_rejects", {"broken_quotes": 1}, None),
    "crm/contacts_nul.csv": ("loaded_with_rejects", {"nul_bytes": 1}, None),
    "crm/contacts_5000_columns.csv": ("loaded_with_rejects", {"wrong_field_count": 1}, None),
    "phone/calls_wrong_fields.csv": ("loaded_with_rejects", {"wrong_field_count": 1}, None),
    "support/tickets_50mb_line.csv": ("loaded_with_rejects", {"field_too_large": 1}, None),
    "mail/broken.mbox": ("loaded_with_rejects", {"mbox_preamble": 1, "unparseable_message": 1}, None),
    "mail/not_an_email.eml": ("rejected", {"not_an_email": 1}, "not_an_email"),
    "crm/contacts_stray_bytes.csv": ("loaded", {}, "repaired 2 undecodable"),
    "crm/contacts_cp1251_x98.csv": ("loaded", {}, "repaired 1 undecodable"),
    "mail/huge_header.eml": ("loaded", {}, "truncated (subject"),
    "mail/malformed_mime.eml": ("loaded", {}, "truncated (body"),
    "crm/contacts_sql_headers.csv": ("loaded", {}, None),
    "crm/'; DROP TABLE raw.orders;--.csv": ("loaded", {}, "routed by name_hint to crm_orders"),
}


def test_each_row_level_kind_gets_its_own_reason(fuzz_run):
    run, _ = fuzz_run
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        reg = _registry(con)
        reasons = {}
        for file, reason, n in con.execute("SELECT file, split_part(reason, ':', 1), count(*) FROM raw.rejected_rows "
                                           "GROUP BY 1, 2").fetchall():
            reasons.setdefault(file, {})[reason] = n
    for path, (status, rejects, message) in ROW_LEVEL.items():
        got_status, *_, got_message = reg[path]
        assert got_status == status and reasons.get(path, {}) == rejects, (path, got_status, reasons.get(path))
        if message:
            assert message in (got_message or ""), (path, got_message)
    name = NON_UTF8_NAME.decode("utf-8", "replace")
    assert reg[name][0] == "loaded" and "not UTF-8" in reg[name][-1]


def test_hostile_values_are_repaired_or_refused_downstream(fuzz_run):
    """The mbox keeps both messages around its broken separator; repaired bytes are U+FFFD, never
    surrogates; unicode digits make E.164 phones; a homoglyph e-mail is refused with its reason, an
    all-Cyrillic IDN address is kept; SQL in a header or a file name is data; the raw tables survive."""
    run, _ = fuzz_run
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        def one(sql, *params):
            return con.execute(sql, list(params)).fetchall()

        mbox = {r[0] for r in one("SELECT from_address FROM raw.mail_messages WHERE _source_file = 'mail/broken.mbox'")}
        assert {"m1@b.ru", "m2@b.ru"} <= mbox
        names = dict(one("SELECT contact_id, full_name FROM raw.crm_contacts WHERE _source_file IN "
                         "('crm/contacts_stray_bytes.csv', 'crm/contacts_cp1251_x98.csv')"))
        assert names["b2"] == "Bad \ufffd\ufffd Byte" and names["c2"] == "x\ufffdy" and names["c1"] == "Ирина Однобайтова"
        phones = dict(one("SELECT raw, e164 FROM normalized.phone_lookup WHERE raw IN (?, ?, ?)",
                          "+７ ９１６ ３８５-２７-４１", "٨٩١٦٣٨٥٢٧٤٢", "۸۹۱۶۳۸۵۲۷۴۳"))
        assert sorted(phones.values()) == ["+79163852741", "+79163852742", "+79163852743"]
        emails = {r[0]: r[1:] for r in one("SELECT raw, is_valid, reason FROM normalized.email_lookup WHERE raw IN "
                                           "(?, ?)", "иван@почта.рф", "iv\u0430n@mail.ru")}
        assert emails["иван@почта.рф"][0] and emails["iv\u0430n@mail.ru"] == (False, "mixed_scripts")
        assert one("SELECT order_id FROM raw.crm_orders WHERE _source_file = ?",
                   "crm/'; DROP TABLE raw.orders;--.csv") == [("d1",)]
        assert one("SELECT count(*) FROM raw.crm_orders")[0][0] > 1
        extra = one("SELECT _extra FROM raw.crm_contacts WHERE contact_id = 's1'")
        assert len(extra) == 1 and "DROP TABLE students" in extra[0][0]
