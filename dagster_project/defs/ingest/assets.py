"""Dagster wiring of the landing ingestion (logic lives in ``data_quality.landing``)."""


from collections.abc import Iterator
from typing import Any

import dagster as dg

from dagster_project.asset_metadata import table_metadata
from dagster_project.resources import WAREHOUSE_POOL, PipelineSettings, Warehouse
from data_quality.landing import (
    RAW_TABLES,
    IngestReport,
    ingest_landing,
    landing_fingerprint,
    load_landing_config,
    reconcile,
)
from data_quality.landing.stage import q

GROUP = "ingest"
KINDS = {"python", "duckdb"}
REJECTED_KEY = dg.AssetKey(["raw", "rejected_rows"])
REGISTRY_KEY = dg.AssetKey(["raw", "file_registry"])
TABLE_KEYS = {t: dg.AssetKey(["raw", t]) for t in RAW_TABLES}

_DESCRIPTIONS = {
    "crm_contacts": "CRM contacts as landed (crm/contacts*.csv|xlsx, or other crm/ files routed here by "
                    "name hint or headers), all columns text.",
    "crm_orders": "CRM orders as landed (crm/orders*.csv|xlsx, or other crm/ files routed here by name hint "
                  "or headers), all columns text.",
    "mail_messages": "Mail messages from mail/*.eml, mail/*.mbox and mail/messages*.csv|xlsx.",
    "phone_calls": "Phone calls as landed (phone/calls*.csv|xlsx).",
    "support_tickets": "Support tickets as landed (support/tickets*.csv|xlsx).",
    "marketing_events": "Marketing events as landed (marketing/events*.csv|xlsx).",
    "chat_messages": "Chat messages as landed (chat/: Telegram Desktop result.json, WhatsApp *.txt exports, "
                     "chat CSV), one row per message, direction from the company's own accounts.",
    "actions_log": "What was sent from the action lists and the customer's response, as landed "
                   "(actions/actions_log*.csv|xlsx; optional: without the folder the table stays empty).",
}


def _specs() -> list[dg.AssetSpec]:
    specs = [dg.AssetSpec(key, group_name=GROUP, kinds=KINDS, description=_DESCRIPTIONS[t])
             for t, key in TABLE_KEYS.items()]
    specs.append(dg.AssetSpec(REJECTED_KEY, group_name=GROUP, kinds=KINDS,
                              description="Rows (line >= 1) or whole files (line 0) that could not be "
                                          "ingested: source, file, line, reason, raw_text."))
    specs.append(dg.AssetSpec(REGISTRY_KEY, group_name=GROUP, kinds=KINDS,
                              description="One row per landing file: sha256, counts, status. Drives "
                                          "incremental, idempotent re-ingestion."))
    return specs


def _markdown(columns: list[str], rows: list[tuple], width: int = 40) -> str:
    def cell(v: Any) -> str:
        s = "" if v is None else str(v)
        s = s.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
        return s if len(s) <= width else s[: width - 1] + "…"

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def _preview(con, table: str, limit: int = 5) -> str:
    res = con.execute(f'SELECT * FROM raw.{q(table)} LIMIT {int(limit)}')
    cols = [d[0] for d in res.description]
    return _markdown(cols, res.fetchall())


def _count(con, table: str, where: str = "", params: list | None = None) -> int:
    return con.execute(f"SELECT count(*) FROM raw.{q(table)} {where}", params or []).fetchone()[0]


def _files_table(report: IngestReport, table: str | None = None) -> str:
    rows = [(f.path, f.table, f.routed_by, f.status, f.landed_rows, f.raw_rows, f.rejected_rows, f.reader,
             f.encoding, f.delimiter, f.message) for f in report.files if table is None or f.table == table]
    cols = ["file", "table", "routed_by", "status", "landed", "raw", "rejected", "reader", "encoding", "delim",
            "message"]
    return _markdown(cols, rows, width=80)


@dg.multi_asset(
    name="ingest_landing",
    specs=_specs(),
    pool=WAREHOUSE_POOL,
    description="Read every new or changed landing file into raw.* (nothing lost: rejects go to "
                "raw.rejected_rows); unchanged files are skipped, deleted files' rows removed.",
)
def ingest_landing_asset(context: dg.AssetExecutionContext, warehouse: Warehouse,
                         settings: PipelineSettings) -> Iterator[dg.MaterializeResult]:
    cfg = load_landing_config(settings.config("sources"), settings.mapping_dirs())
    with warehouse.connect() as con:
        report = ingest_landing(con, settings.landing, cfg)
        for note in report.notes:
            context.log.info(note)
        for w in report.warnings:
            context.log.warning(w)
        changed = report.changed()
        context.log.info(f"landing {settings.landing}: {len(report.files)} files, {len(changed)} (re)ingested "
                         f"or removed")
        rejected_files = [f for f in report.files if f.status == "rejected"]
        for table, key in TABLE_KEYS.items():
            files = [f for f in report.files if f.table == table and f.status != "deleted"]
            yield dg.MaterializeResult(asset_key=key, metadata={
                **table_metadata(con, "raw", table),
                "files": dg.MetadataValue.int(len(files)),
                "files_changed": dg.MetadataValue.int(sum(f.status != "unchanged" for f in files)),
                "landed_rows": dg.MetadataValue.int(sum(f.landed_rows for f in files)),
                "rejected_rows": dg.MetadataValue.int(_count(con, "rejected_rows", "WHERE source = ?", [table])),
                "rejected_files": dg.MetadataValue.int(sum(f.status == "rejected" for f in files)),
                "files_detail": dg.MetadataValue.md(_files_table(report, table)),
                "preview": dg.MetadataValue.md(_preview(con, table)),
            })
        reasons = con.execute("SELECT source, reason, count(*) FROM raw.rejected_rows "
                              "GROUP BY ALL ORDER BY 3 DESC LIMIT 50").fetchall()
        yield dg.MaterializeResult(asset_key=REJECTED_KEY, metadata={
            **table_metadata(con, "raw", "rejected_rows"),
            "rejected_files": dg.MetadataValue.int(len(rejected_files)),
            "rejected_file_list": dg.MetadataValue.md(
                _markdown(["file", "reason"], [(f.path, f.message) for f in rejected_files], width=120)),
            "reasons": dg.MetadataValue.md(_markdown(["source", "reason", "rows"], reasons, width=80)),
            "preview": dg.MetadataValue.md(_preview(con, "rejected_rows", 10)),
        })
        yield dg.MaterializeResult(asset_key=REGISTRY_KEY, metadata={
            **table_metadata(con, "raw", "file_registry"),
            "fingerprint": dg.MetadataValue.text(landing_fingerprint(settings.landing, cfg)),
            "files": dg.MetadataValue.md(_files_table(report)),
            "warnings": dg.MetadataValue.int(len(report.warnings)),
        })


@dg.asset_check(
    asset=REGISTRY_KEY,
    name="landed_equals_raw_plus_rejected",
    description="Per landing file: records counted by the reader (csv module / line count / message "
                "count) = rows in its raw table + rows in raw.rejected_rows; no raw row without a "
                "registered file.",
    pool=WAREHOUSE_POOL,
)
def landed_equals_raw_plus_rejected(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        rows = reconcile(con)
    bad = [r for r in rows if not r["ok"]]
    table = _markdown(["file", "landed", "raw", "rejected", "problem"],
                      [(r["file"], r["landed_rows"], r["raw_rows"], r["rejected_rows"], r["problem"])
                       for r in (bad or rows)[:200]], width=100)
    return dg.AssetCheckResult(
        passed=not bad,
        metadata={
            "files": dg.MetadataValue.int(len(rows)),
            "files_failing": dg.MetadataValue.int(len(bad)),
            "landed_rows": dg.MetadataValue.int(sum(r["landed_rows"] or 0 for r in rows)),
            "raw_rows": dg.MetadataValue.int(sum(r["raw_rows"] for r in rows)),
            "rejected_rows": dg.MetadataValue.int(sum(r["rejected_rows"] for r in rows)),
            "detail": dg.MetadataValue.md(table),
        },
        description=None if not bad else f"{len(bad)} files do not reconcile",
    )


@dg.asset_check(
    asset=REGISTRY_KEY,
    name="no_file_held_by_volume_guard",
    description="WARN when the volume guard holds a landing file (bytes or rows far beyond its "
                "source's earlier files): its rows are not in raw until confirmed with "
                "confirm/<folder>/<file> in the landing folder (clientpulse confirm).",
    pool=WAREHOUSE_POOL,
)
def no_file_held_by_volume_guard(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        held = con.execute("SELECT path, \"table\", size, message FROM raw.file_registry "
                           "WHERE status = 'held' ORDER BY path").fetchall()
    return dg.AssetCheckResult(
        passed=not held, severity=dg.AssetCheckSeverity.WARN,
        metadata={"held_files": dg.MetadataValue.int(len(held)),
                  "detail": dg.MetadataValue.md(_markdown(["file", "table", "bytes", "reason"], held, width=160))},
        description=None if not held else f"{len(held)} landing files held, not ingested: "
                                          + ", ".join(p for p, *_ in held[:5]),
    )


ingest_job = dg.define_asset_job("ingest_job", selection=dg.AssetSelection.groups(GROUP))


@dg.sensor(
    name="landing_folder_sensor",
    job=ingest_job,
    minimum_interval_seconds=60,
    description="Launches ingest_job when files under CLIENTPULSE_LANDING_DIR appear, change or "
                "disappear (cursor = fingerprint of paths, sizes and mtimes; the warehouse is not "
                "opened, so the sensor never competes for the DuckDB lock).",
)
def landing_folder_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    fingerprint = landing_fingerprint(settings.landing, load_landing_config(settings.config("sources"), settings.mapping_dirs()))
    if fingerprint == context.cursor:
        return dg.SkipReason(f"no change in {settings.landing}")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=f"landing-{fingerprint}", tags={"clientpulse/landing_fingerprint": fingerprint})
