"""End to end: the Dagster ingestion assets, the reconciliation check and the sensor."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.ingest import asset_checks, assets, ingest_job, jobs, landing_folder_sensor, sensors


def write(root: Path, rel: str, text: str | bytes, encoding: str = "utf-8") -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))


@pytest.fixture()
def env(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    wh = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CLIENTPULSE_LANDING_DIR", str(landing))
    monkeypatch.setenv("CLIENTPULSE_WAREHOUSE", str(wh))
    write(landing, "crm/contacts.csv", "contact_id,full_name,phone\n001,Иван,8912\n002,Анна,\n002,Дубль,\n")
    write(landing, "crm/contacts_bitrix.csv",
          "ID;Имя;Фамилия;Мобильный телефон;Рабочий e-mail;Дата создания\n77;Пётр;Сидоров;+7903;p@x.ru;01.02.2024\n",
          "cp1251")
    write(landing, "crm/orders.csv", "order_id,contact_id,order_date,amount\no1,001,2024-01-01,100\n")
    write(landing, "mail/messages.csv", "message_id,sent_at,from_address,to_address,subject,body\n"
                                        "m1,2024-01-01,a@client.ru,sales@clientpulse-demo.ru,Hi,Hello\n")
    write(landing, "mail/one.eml", "Message-ID: <x1@client.ru>\nFrom: A <a@client.ru>\nTo: s@clientpulse-demo.ru\n"
                                   "Date: Mon, 01 Jan 2024 10:00:00 +0300\nSubject: test\n\nBody\n")
    write(landing, "phone/calls.csv", "call_id,started_at,phone\nc1,2024-01-01 10:00,+7912\n")
    write(landing, "support/tickets.csv", b"\x00\x01\x02garbage" * 50)
    write(landing, "truth/persons.csv", "x\n1\n")
    return landing, wh


_instance = dg.DagsterInstance.ephemeral()


def _materialize():
    return dg.materialize([*assets, *asset_checks], raise_on_error=True, instance=_instance)


def test_materialize_ingest_assets_and_check(env):
    _landing, wh = env
    res = _materialize()
    assert res.success
    keys = {m.asset_key.to_user_string() for m in res.get_asset_materialization_events() for m in
            [m.event_specific_data.materialization]}
    assert keys == {"raw/crm_contacts", "raw/crm_orders", "raw/mail_messages", "raw/phone_calls",
                    "raw/support_tickets", "raw/marketing_events", "raw/rejected_rows", "raw/file_registry"}
    checks = res.get_asset_check_evaluations()
    assert [c.passed for c in checks] == [True]
    mats = {e.event_specific_data.materialization.asset_key.path[-1]: e.event_specific_data.materialization
            for e in res.get_asset_materialization_events()}
    assert mats["crm_contacts"].metadata["dagster/row_count"].value == 3
    assert mats["crm_contacts"].metadata["rejected_rows"].value == 1
    assert "001" in mats["crm_contacts"].metadata["preview"].value
    assert mats["rejected_rows"].metadata["rejected_files"].value == 1
    logs = [r.user_message for r in _instance.all_logs(res.run_id)]
    assert any("whole file rejected" in m and "support/tickets.csv" in m for m in logs), \
        "a rejected file must be logged as a warning"
    with duckdb.connect(str(wh)) as con:
        assert con.execute("SELECT count(*) FROM raw.mail_messages").fetchone()[0] == 2
        assert con.execute("SELECT direction FROM raw.mail_messages ORDER BY _source_file").fetchall() == [
            ("inbound",), ("inbound",)]
        assert con.execute("SELECT count(*) FROM raw.marketing_events").fetchone()[0] == 0
        first = con.execute("SELECT path, sha256, ingested_at FROM raw.file_registry ORDER BY 1").fetchall()
    # idempotent second run: nothing changes
    assert _materialize().success
    with duckdb.connect(str(wh)) as con:
        assert con.execute("SELECT path, sha256, ingested_at FROM raw.file_registry ORDER BY 1").fetchall() == first
        assert con.execute("SELECT count(*) FROM raw.crm_contacts").fetchone()[0] == 3


def test_check_fails_when_rows_go_missing(env):
    _landing, wh = env
    _materialize()
    with duckdb.connect(str(wh)) as con:
        con.execute("DELETE FROM raw.crm_orders")
    from dagster_project.defs.ingest.assets import landed_equals_raw_plus_rejected

    result = landed_equals_raw_plus_rejected()
    assert result.passed is False
    assert result.metadata["files_failing"].value == 1


def test_sensor_cursor_follows_landing_changes(env):
    landing, _ = env
    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(instance=instance, cursor=None)
    first = landing_folder_sensor(ctx)
    assert isinstance(first, dg.RunRequest)
    cursor = ctx.cursor
    ctx2 = dg.build_sensor_context(instance=instance, cursor=cursor)
    assert isinstance(landing_folder_sensor(ctx2), dg.SkipReason)
    write(landing, "marketing/events.csv", "event_id,event_type\ne1,email_open\n")
    ctx3 = dg.build_sensor_context(instance=instance, cursor=cursor)
    req = landing_folder_sensor(ctx3)
    assert isinstance(req, dg.RunRequest) and ctx3.cursor != cursor
    # truth/ and other folders do not trigger
    cursor = ctx3.cursor
    write(landing, "truth/other.csv", "a\n")
    assert isinstance(landing_folder_sensor(dg.build_sensor_context(instance=instance, cursor=cursor)),
                      dg.SkipReason)


def test_definitions_load():
    defs = dg.Definitions(assets=assets, asset_checks=asset_checks, jobs=jobs, sensors=sensors)
    job = defs.resolve_job_def("ingest_job")
    assert job.name == ingest_job.name
    specs = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert "raw/file_registry" in specs
    node = defs.resolve_asset_graph().get(dg.AssetKey(["raw", "crm_contacts"]))
    assert node.group_name == "ingest" and set(node.kinds) >= {"python", "duckdb"}
