"""The volume guard: a file far bigger than its source's earlier files is held (status `held`,
reason, no rows in raw) until confirmed; an XLSX zip bomb is measured without being inflated
into memory (issue 16, ingestion)."""

from __future__ import annotations

import tracemalloc

import duckdb

from clientpulse_config import load
from data_quality.landing import discover, ingest_landing, load_landing_config
from data_quality.landing.volume import Guard, confirm, measure
from tests.support.hostile import xlsx_zip_bomb
from tests.support.landing import ok, q, write


def _contacts(n: int, start: int = 0) -> str:
    return "contact_id,full_name,phone\n" + "".join(
        f"{i},Клиент Номер{i},+7916{i:07d}\n" for i in range(start, start + n))


def _status(con, path):
    return q(con, "SELECT status, landed_rows, raw_rows, rejected_rows, message FROM raw.file_registry "
                  "WHERE path = ?", [path])[0]


def test_a_file_far_beyond_its_history_is_held_then_confirmed(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts.csv", _contacts(1000))
    ingest_landing(con, tmp_path, cfg)  # yesterday: the history
    write(tmp_path, "crm/contacts_dump.csv", _contacts(150_000, start=10_000))
    rep = ingest_landing(con, tmp_path, cfg)
    held = {f.path: f for f in rep.files}["crm/contacts_dump.csv"]
    assert held.status == "held"
    status, landed, raw, rejected, message = _status(con, "crm/contacts_dump.csv")
    assert (status, landed, raw, rejected) == ("held", 0, 0, 0)
    assert "150,000 rows = 150 x the median 1,000" in message and "confirm/crm/contacts_dump.csv" in message
    assert q(con, "SELECT count(*) FROM raw.crm_contacts") == [(1000,)]
    assert any("held, not ingested" in w for w in rep.warnings)
    ok(con)
    # still held on the next run (it is looked at again, not skipped as unchanged)
    assert {f.path: f.status for f in ingest_landing(con, tmp_path, cfg).files}["crm/contacts_dump.csv"] == "held"
    # a marker for another version does not confirm this one
    write(tmp_path, "confirm/crm/contacts_dump.csv", "0" * 64)
    assert _status(con, "crm/contacts_dump.csv")[0] == "held"
    ingest_landing(con, tmp_path, cfg)
    assert _status(con, "crm/contacts_dump.csv")[0] == "held"
    marker = confirm(tmp_path, "crm/contacts_dump.csv")
    assert marker == tmp_path / "confirm/crm/contacts_dump.csv"
    ingest_landing(con, tmp_path, cfg)
    assert _status(con, "crm/contacts_dump.csv")[:3] == ("loaded", 150_000, 150_000)
    assert q(con, "SELECT count(*) FROM raw.crm_contacts") == [(151_000,)]
    ok(con)


def test_the_same_file_growing_by_orders_of_magnitude_is_held_and_its_old_rows_leave(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts.csv", _contacts(500))
    ingest_landing(con, tmp_path, cfg)
    write(tmp_path, "crm/contacts.csv", _contacts(120_000))
    ingest_landing(con, tmp_path, cfg)
    assert _status(con, "crm/contacts.csv")[:3] == ("held", 0, 0)
    assert q(con, "SELECT count(*) FROM raw.crm_contacts") == [(0,)]
    ok(con)


def test_growth_within_the_ratio_or_below_the_floor_is_ingested(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts.csv", _contacts(200))
    ingest_landing(con, tmp_path, cfg)
    write(tmp_path, "crm/contacts_b.csv", _contacts(3000, start=1000))  # 15 x, and below min_rows
    write(tmp_path, "crm/contacts_c.csv", _contacts(90_000, start=5000))  # 450 x, below min_rows
    ingest_landing(con, tmp_path, cfg)
    assert [r[0] for r in q(con, "SELECT status FROM raw.file_registry ORDER BY path")] == ["loaded"] * 3


def test_first_files_are_held_only_with_a_configured_ceiling(tmp_path, con):
    write(tmp_path, "crm/contacts.csv", _contacts(2000))
    doc = load("sources")
    ingest_landing(con, tmp_path, load_landing_config(doc, mapping_dirs=[]))
    assert _status(con, "crm/contacts.csv")[0] == "loaded"  # shipped: first_file_max_rows null
    doc["reading"]["volume_guard"]["first_file_max_rows"] = 1000
    con2 = duckdb.connect()
    ingest_landing(con2, tmp_path, load_landing_config(doc, mapping_dirs=[]))
    status, *_, message = _status(con2, "crm/contacts.csv")
    assert status == "held" and "2,000 rows > first_file_max_rows 1,000" in message
    doc["reading"]["volume_guard"]["enabled"] = False
    assert not Guard.from_options(load_landing_config(doc, mapping_dirs=[]).options).enabled


def test_an_xlsx_zip_bomb_is_held_without_being_inflated_into_memory(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts.csv", _contacts(300))
    ingest_landing(con, tmp_path, cfg)
    bomb = tmp_path / "crm" / "contacts_bomb.xlsx"
    xlsx_zip_bomb(bomb, 1_000_000)
    f = next(f for f in discover(tmp_path, cfg) if f.relpath == "crm/contacts_bomb.xlsx")
    tracemalloc.start()
    vol = measure(f)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert vol.rows == 1_000_000 and vol.bytes > 5 * f.size  # 1,000,001 rows with the header
    assert peak < 16 * 1024 * 1024  # streamed in 1 MB pieces
    rep = ingest_landing(con, tmp_path, cfg)
    assert {x.path: x.status for x in rep.files}["crm/contacts_bomb.xlsx"] == "held"
    assert "1,000,000 rows" in _status(con, "crm/contacts_bomb.xlsx")[-1]
    assert q(con, "SELECT count(*) FROM raw.crm_contacts") == [(300,)]
    ok(con)


def test_single_messages_are_not_the_history_of_an_archive(tmp_path, con, cfg):
    msg = "From: a{0}@b.ru\nTo: c@d.ru\nSubject: s\nMessage-ID: <{0}@x>\n\nbody\n"
    for i in range(3):
        write(tmp_path, f"mail/m{i}.eml", msg.format(i))
    ingest_landing(con, tmp_path, cfg)
    write(tmp_path, "mail/messages.csv", "message_id,sent_at,from_address,body\n"
          + "".join(f"x{i},2024-03-01,a{i}@b.ru,hello\n" for i in range(120_000)))
    ingest_landing(con, tmp_path, cfg)
    assert _status(con, "mail/messages.csv")[:3] == ("loaded", 120_000, 120_000)
