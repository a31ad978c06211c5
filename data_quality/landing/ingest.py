"""Ingest the landing folder into ``raw.*``: idempotent, incremental, nothing lost.

Per file: skip it when unchanged (size+mtime, then sha256, plus the mapping's config hash);
otherwise read it into a staging table, then in one transaction delete the file's previous rows
(``_source_file`` = file), insert the new ones and its rejects, and update
``raw.file_registry``. Files that disappeared have their rows removed.

Accounting (checked by the Dagster asset check): for every registered file
``landed_rows = raw rows + rejected rows``. A file that cannot be read at all is one landed
unit recorded as one ``raw.rejected_rows`` entry with ``line = 0``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from data_quality.landing.discovery import LandingFile, discover, guess_table, sha256_file
from data_quality.landing.routing import HeaderSample, Route, route_file, sniff_landing_text
from data_quality.landing.spec import (
    RAW_SCHEMA,
    RAW_TABLES,
    REGISTRY_COLUMNS,
    REJECTED_COLUMNS,
    HeaderMapping,
    LandingConfig,
    SourceSpec,
    load_landing_config,
    map_header,
    raw_table_columns,
)
from data_quality.landing.stage import LoadCounts, ReadResult, drop_stage, finalize_stage, q
from data_quality.landing.textio import UnreadableFile, repair_text
from data_quality.landing.volume import Guard, history, hold_reason, is_confirmed, kind_of, measure

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 4000  # longest raw.file_registry.message / file-level reject reason kept
EXPECTED_REJECT_REASONS = frozenset({"system_message"})  # counted in raw.rejected_rows, reported as a note

# the last argument: what routing already read of the file (None for patterned files)
Reader = Callable[[duckdb.DuckDBPyConnection, LandingFile, SourceSpec, LandingConfig, HeaderSample | None],
                  ReadResult]


@dataclass
class FileOutcome:
    path: str
    table: str
    status: str  # loaded | loaded_with_rejects | empty | rejected | held | unchanged | deleted
    landed_rows: int = 0
    raw_rows: int = 0
    rejected_rows: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    reader: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    message: str | None = None
    seconds: float = 0.0
    routed_by: str | None = None  # pattern | name_hint | headers; None: no table fits
    derived_ids: int = 0  # records whose id was derived from their content


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # routing decisions for files matching no pattern, header-token matches, derived ids
    notes: list[str] = field(default_factory=list)

    def changed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status != "unchanged"]

    def by_table(self) -> dict[str, list[FileOutcome]]:
        out: dict[str, list[FileOutcome]] = {t: [] for t in RAW_TABLES}
        for f in self.files:
            out.setdefault(f.table, []).append(f)
        return out


# ------------------------------------------------------------------------------------------
# schema
# ------------------------------------------------------------------------------------------


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, columns) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{q(table)} "
                f"({', '.join(f'{q(c)} {t}' for c, t in columns)})")
    have = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [RAW_SCHEMA, table]).fetchall()}
    for c, t in columns:
        if c not in have:
            con.execute(f"ALTER TABLE {RAW_SCHEMA}.{q(table)} ADD COLUMN {q(c)} {t}")


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw table (empty, full column set) so dbt never meets a missing source."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table in RAW_TABLES:
        _ensure_table(con, table, raw_table_columns(table))
    _ensure_table(con, "rejected_rows", REJECTED_COLUMNS)
    _ensure_table(con, "file_registry", REGISTRY_COLUMNS)


# ------------------------------------------------------------------------------------------
# readers
# ------------------------------------------------------------------------------------------


def _read_tabular_text(con, f: LandingFile, spec: SourceSpec, cfg: LandingConfig,
                       sample: HeaderSample | None = None) -> ReadResult:
    from data_quality.landing.csv_reader import read_csv_file

    info = sample.text_info if sample is not None else None
    limit = cfg.options.get("field_size_limit")
    return read_csv_file(con, f.path, info or sniff_landing_text(f, cfg), field_limit=int(limit) if limit else None)


def _read_xlsx(con, f: LandingFile, spec: SourceSpec, cfg: LandingConfig,
               sample: HeaderSample | None = None) -> ReadResult:
    from data_quality.landing.xlsx_reader import read_xlsx_file

    return read_xlsx_file(con, f.path, spec, workbook=sample.workbook if sample is not None else None)


def _read_eml(con, f: LandingFile, spec: SourceSpec, cfg: LandingConfig,
              sample: HeaderSample | None = None) -> ReadResult:
    from data_quality.landing.mail_reader import read_eml_file

    return read_eml_file(con, f.path, cfg)


def _read_mbox(con, f: LandingFile, spec: SourceSpec, cfg: LandingConfig,
               sample: HeaderSample | None = None) -> ReadResult:
    from data_quality.landing.mail_reader import read_mbox_file

    return read_mbox_file(con, f.path, cfg)


def _read_chat(con, f: LandingFile, spec: SourceSpec, cfg: LandingConfig,
               sample: HeaderSample | None = None) -> ReadResult:
    from data_quality.landing import chat_reader

    suffix = f.path.suffix.casefold()
    if suffix == ".json":
        return chat_reader.read_telegram_file(con, f.path, cfg)
    if suffix == ".txt":
        return chat_reader.read_whatsapp_file(con, f.path, cfg)
    return chat_reader.fill_csv_direction(con, _read_tabular_text(con, f, spec, cfg, sample), spec, cfg)


READERS: dict[str, Reader] = {
    ".csv": _read_tabular_text, ".txt": _read_tabular_text, ".tsv": _read_tabular_text,
    ".xlsx": _read_xlsx, ".xlsm": _read_xlsx, ".eml": _read_eml, ".mbox": _read_mbox,
}


def _reader_for(f: LandingFile, table: str | None = None) -> Reader | None:
    suffix = f.path.suffix.casefold()
    if table == "chat_messages" and suffix in (".json", ".txt", ".csv"):  # chat/: the chat readers
        return _read_chat
    return READERS.get(suffix)


# ------------------------------------------------------------------------------------------
# registry
# ------------------------------------------------------------------------------------------


def _registry(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cols = [c for c, _ in REGISTRY_COLUMNS]
    rows = con.execute(f"SELECT {', '.join(q(c) for c in cols)} FROM {RAW_SCHEMA}.file_registry").fetchall()
    return {r[0]: dict(zip(cols, r)) for r in rows}


def _delete_file_rows(con: duckdb.DuckDBPyConnection, relpath: str, tables) -> None:
    for table in tables:
        if table in RAW_TABLES:
            con.execute(f"DELETE FROM {RAW_SCHEMA}.{q(table)} WHERE _source_file = ?", [relpath])
    con.execute(f"DELETE FROM {RAW_SCHEMA}.rejected_rows WHERE file = ?", [relpath])
    con.execute(f"DELETE FROM {RAW_SCHEMA}.file_registry WHERE path = ?", [relpath])


def _write_registry(con, f: LandingFile, sha: str, now: dt.datetime, out: FileOutcome, cfg_hash: str) -> None:
    con.execute(
        f"INSERT INTO {RAW_SCHEMA}.file_registry ({', '.join(q(c) for c, _ in REGISTRY_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in REGISTRY_COLUMNS)})",
        [f.relpath, f.size, sha, now, out.table, out.landed_rows, out.raw_rows, out.rejected_rows,
         out.status, f.mtime_ns, cfg_hash, out.reader, out.encoding, out.delimiter, out.message,
         out.routed_by, out.derived_ids])


def _file_reject(con, table: str, relpath: str, reason: str, sample: str | None, now: dt.datetime) -> None:
    con.execute(f"INSERT INTO {RAW_SCHEMA}.rejected_rows VALUES (?, ?, 0, ?, ?, ?)",
                [table, relpath, reason, sample, now])


def _cap_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A registry message or file-level reason of bounded length: an exception can quote a
    26 MB header, the registry keeps its start and says how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more chars cut]"


def _sample_text(path: Path, n: int = 512) -> str | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read(n)
    except OSError:
        return None
    return data.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


# ------------------------------------------------------------------------------------------
# main entry point
# ------------------------------------------------------------------------------------------


def _drop_stage(con) -> None:
    drop_stage(con)


def config_hash(cfg: LandingConfig, f: LandingFile, table: str) -> str:
    """What the file's rows depend on: its source's mapping, plus — for a file matching no
    pattern — everything that routes the files of its folder."""
    extra = cfg.fingerprint_extra()
    if not f.table:
        extra = [extra, cfg.routing_fingerprint(f.relpath.split("/", 1)[0])]
    return cfg.source(table).config_hash(extra)


def _mapping_notes(spec: SourceSpec, mapping: HeaderMapping, counts: LoadCounts) -> list[str]:
    """What the registry message says about columns matched by tokens, contact columns fed by
    several headers, and derived ids."""
    notes = []
    if mapping.token_notes():
        notes.append("header tokens (no synonym matched; pin them in mappings/*.yaml): "
                     + ", ".join(mapping.token_notes()))
    for col, alts in mapping.alternates.items():
        if col in spec.contact_columns:
            names = [mapping.header[i] for i in (mapping.canonical[col], *alts)]
            notes.append(f"{col} from the first filled of {names}; the others -> _more_contacts")
    if counts.derived_ids:
        why = "no id column" if not mapping.has(spec.id_column) else "empty id"
        notes.append(f"ids derived for {counts.derived_ids} records ({why}: {spec.id_column} = "
                     f"h: + sha1 of {', '.join(counts.derived_from)})")
    return notes


def ingest_file(con: duckdb.DuckDBPyConnection, f: LandingFile, cfg: LandingConfig, sha: str,
                now: dt.datetime, previous_table: str | None = None, route: Route | None = None) -> FileOutcome:
    """(Re)load one file: route it (reading its header only if no pattern matches), stage it,
    then swap its rows in one transaction."""
    route = route or route_file(f, cfg)
    try:
        return _ingest_routed(con, f, cfg, sha, now, previous_table, route)
    finally:
        route.close()


def _ingest_routed(con: duckdb.DuckDBPyConnection, f: LandingFile, cfg: LandingConfig, sha: str,
                   now: dt.datetime, previous_table: str | None, route: Route) -> FileOutcome:
    t0 = time.perf_counter()
    table = route.table
    spec = cfg.source(table)
    out = FileOutcome(path=f.relpath, table=table, status="loaded", routed_by=route.routed_by)
    cfg_hash = config_hash(cfg, f, table)
    reader = _reader_for(f, table)
    result: ReadResult | None = None
    file_reason: str | None = route.reject_reason
    if route.routed_by not in (None, "pattern"):
        logger.info("%s: routed to %s by %s (%s)", f.relpath, table, route.routed_by, route.detail)
    try:
        if file_reason is None:  # routing rejects a file before any reader sees it
            if reader is None:
                raise UnreadableFile("unknown_format",
                                     f"{f.path.suffix or 'no extension'} does not match {', '.join(spec.patterns)}")
            result = reader(con, f, spec, cfg, route.sample)
    except UnreadableFile as exc:
        file_reason = str(exc)
    except Exception as exc:  # a reader bug or a corrupt file must not stop the other files
        logger.exception("reading %s failed", f.relpath)
        file_reason = f"read_error: {type(exc).__name__}: {exc}"
    tables_to_clear = {table, previous_table} - {None}
    if result is not None:
        out.reader, out.encoding, out.delimiter = result.reader, result.encoding, result.delimiter
        try:
            con.execute("BEGIN TRANSACTION")
            _delete_file_rows(con, f.relpath, tables_to_clear)
            mapping = map_header(spec, result.header)
            counts = finalize_stage(con, spec, mapping, result, f.relpath, now, cfg.company_domains)
            out.landed_rows, out.raw_rows, out.rejected_rows = result.landed, counts.raw_rows, counts.rejected_rows
            out.reasons = counts.reasons
            msgs = list(result.messages)
            if f.name_repaired:
                msgs.append(f"file name: {f.name_repaired} bytes that are not UTF-8 shown as U+FFFD")
            if route.routed_by not in (None, "pattern"):
                msgs.insert(0, f"routed by {route.routed_by} to {table}: {route.detail}")
            msgs += _mapping_notes(spec, mapping, counts)
            out.derived_ids = counts.derived_ids
            if not mapping.has(spec.id_column) and not counts.derived_from:
                need = ""
                if spec.surrogate_id == "content_hash":
                    sigs = " or ".join("+".join(s) for s in spec.content_signatures()) or "a signature"
                    need = f" (ids are derived from content only when the header maps {sigs})"
                msgs.append(f"id column {spec.id_column!r} not found in header {list(result.header)}: "
                            f"every record rejected as missing_id_column{need}")
            if out.rejected_rows:
                out.status = "loaded_with_rejects"
            elif out.landed_rows == 0:
                out.status = "empty"
                msgs.append("header only, no records")
            out.message = _cap_message("; ".join(msgs)) or None
            for note in msgs:
                if note.startswith(("header tokens", "ids derived")):
                    logger.info("%s: %s", f.relpath, note)
            _write_registry(con, f, sha, now, out, cfg_hash)
            con.execute("COMMIT")
        except Exception as exc:
            con.execute("ROLLBACK")
            logger.exception("loading %s failed", f.relpath)
            file_reason = f"load_error: {type(exc).__name__}: {exc}"
        finally:
            _drop_stage(con)
    if file_reason is not None:
        file_reason = _cap_message(repair_text(file_reason)[0])
        _drop_stage(con)
        out = FileOutcome(path=f.relpath, table=table, status="rejected", landed_rows=1, rejected_rows=1,
                          reasons={file_reason.split(":")[0]: 1}, message=file_reason,
                          reader=out.reader, encoding=out.encoding, delimiter=out.delimiter,
                          routed_by=route.routed_by)
        con.execute("BEGIN TRANSACTION")
        _delete_file_rows(con, f.relpath, tables_to_clear)
        _file_reject(con, table, f.relpath, file_reason, route.reject_text or _sample_text(f.path), now)
        _write_registry(con, f, sha, now, out, cfg_hash)
        con.execute("COMMIT")
    out.seconds = time.perf_counter() - t0
    return out


def hold_file(con: duckdb.DuckDBPyConnection, f: LandingFile, cfg: LandingConfig, sha: str, now: dt.datetime,
              table: str, previous_table: str | None, reason: str) -> FileOutcome:
    """Register ``f`` as ``held`` by the volume guard: no rows in raw (its earlier version's
    rows are removed too, the registry describes one version), the reason and how to confirm."""
    out = FileOutcome(path=f.relpath, table=table, status="held",
                      message=_cap_message(f"{reason}; to ingest it anyway create confirm/{f.relpath} in the "
                                           f"landing folder (clientpulse confirm {f.relpath})"))
    con.execute("BEGIN TRANSACTION")
    _delete_file_rows(con, f.relpath, {table, previous_table} - {None})
    _write_registry(con, f, sha, now, out, config_hash(cfg, f, table))
    con.execute("COMMIT")
    return out


def ingest_landing(con: duckdb.DuckDBPyConnection, landing_dir: Path | str,
                   cfg: LandingConfig | None = None, now: dt.datetime | None = None,
                   force: bool = False) -> IngestReport:
    """Bring ``raw.*`` in line with the landing folder. Returns what happened per file."""
    landing_dir = Path(landing_dir)
    cfg = cfg or load_landing_config()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    con.execute("SET enable_progress_bar = false")
    ensure_raw_tables(con)
    report = IngestReport()
    if not landing_dir.is_dir():
        report.warnings.append(f"landing dir {landing_dir} does not exist: nothing to ingest")
    files = discover(landing_dir, cfg)
    registry = _registry(con)
    guard = Guard.from_options(cfg.options)
    present = {f.relpath for f in files}
    for path, reg in sorted(registry.items()):
        if path not in present:
            con.execute("BEGIN TRANSACTION")
            _delete_file_rows(con, path, [reg["table"]])
            con.execute("COMMIT")
            report.files.append(FileOutcome(path=path, table=reg["table"], status="deleted",
                                            message=f"file gone: removed {reg['raw_rows']} raw and "
                                                    f"{reg['rejected_rows']} rejected rows"))
            report.warnings.append(f"{path}: file disappeared from the landing folder; its "
                                   f"{reg['raw_rows']} rows were removed from raw.{reg['table']}")
    for f in files:
        reg = registry.get(f.relpath)
        # a file matching no pattern keeps its earlier routing while it and the routing config
        # are unchanged (its header is not read again)
        table = f.table or (reg["table"] if reg and reg["table"] in RAW_TABLES else guess_table(cfg, f.relpath))
        cfg_hash = config_hash(cfg, f, table)
        # a held file is looked at again every run (confirmed since? smaller now?)
        if reg and not force and reg["config_hash"] == cfg_hash and reg["table"] == table \
                and reg["status"] != "held":
            same_stat = reg["size"] == f.size and reg["mtime_ns"] == f.mtime_ns
            sha = None if same_stat else sha256_file(f.path)
            if same_stat or sha == reg["sha256"]:
                if not same_stat:
                    con.execute(f"UPDATE {RAW_SCHEMA}.file_registry SET mtime_ns = ? WHERE path = ?",
                                [f.mtime_ns, f.relpath])
                if f.table and reg["routed_by"] is None:  # registered before routing was recorded
                    reg["routed_by"] = "pattern"
                    con.execute(f"UPDATE {RAW_SCHEMA}.file_registry SET routed_by = 'pattern' WHERE path = ?",
                                [f.relpath])
                report.files.append(FileOutcome(
                    path=f.relpath, table=table, status="unchanged", landed_rows=reg["landed_rows"],
                    raw_rows=reg["raw_rows"], rejected_rows=reg["rejected_rows"], reader=reg["reader"],
                    encoding=reg["encoding"], delimiter=reg["delimiter"], message=reg["message"],
                    routed_by=reg["routed_by"], derived_ids=reg["derived_ids"] or 0))
                continue
        else:
            sha = None
        sha = sha or sha256_file(f.path)
        held = None
        if guard.enabled and not is_confirmed(landing_dir, f.relpath, sha):
            previous = history(registry, table, kind_of(f.relpath))
            if previous or guard.first_file_max_bytes is not None or guard.first_file_max_rows is not None:
                held = hold_reason(guard, measure(f), previous)  # measuring reads the file once more
        if held is not None:
            out = hold_file(con, f, cfg, sha, now, table, reg["table"] if reg else None, held)
            report.files.append(out)
            report.warnings.append(f"{f.relpath}: held, not ingested ({out.message})")
            continue
        out = ingest_file(con, f, cfg, sha, now, previous_table=reg["table"] if reg else None)
        report.files.append(out)
        if out.routed_by not in ("pattern", None):
            report.notes.append(f"{f.relpath}: matches no pattern, routed to raw.{out.table} by {out.routed_by}")
        for note in (out.message or "").split("; "):
            if note.startswith(("header tokens", "ids derived")):
                report.notes.append(f"{f.relpath}: {note}")
        if out.status == "rejected":
            report.warnings.append(f"{f.relpath}: whole file rejected ({out.message})")
        elif out.rejected_rows:
            reasons = ", ".join(f"{k}={v}" for k, v in sorted(out.reasons.items()))
            line = f"{f.relpath}: {out.rejected_rows} of {out.landed_rows} records rejected ({reasons})"
            # a chat export's own service lines (encryption notice, joins, calls) are expected, not a problem
            expected = all(reason in EXPECTED_REJECT_REASONS for reason in out.reasons)
            (report.notes if expected else report.warnings).append(line)
        elif out.status == "empty":
            report.warnings.append(f"{f.relpath}: header only, no records")
    return report


def reconcile(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per registered file: landed vs raw + rejected, counted in the warehouse. Also lists rows
    whose file is not registered (path ``None`` in ``problem``)."""
    ensure_raw_tables(con)
    raw_counts = " UNION ALL ".join(
        f"SELECT _source_file AS file, count(*) AS n FROM {RAW_SCHEMA}.{q(t)} GROUP BY 1" for t in RAW_TABLES)
    rows = con.execute(f"""
        WITH r AS ({raw_counts}),
             raw AS (SELECT file, sum(n) AS n FROM r GROUP BY 1),
             rej AS (SELECT file, count(*) AS n FROM {RAW_SCHEMA}.rejected_rows GROUP BY 1),
             reg AS (SELECT path AS file, landed_rows, raw_rows, rejected_rows, status FROM {RAW_SCHEMA}.file_registry)
        SELECT coalesce(reg.file, raw.file, rej.file) AS file, reg.status, reg.landed_rows,
               coalesce(raw.n, 0) AS raw_rows, coalesce(rej.n, 0) AS rejected_rows,
               reg.raw_rows AS registry_raw_rows, reg.rejected_rows AS registry_rejected_rows
        FROM reg FULL OUTER JOIN raw USING (file) FULL OUTER JOIN rej USING (file)
        ORDER BY 1
    """).fetchall()
    out = []
    for file, status, landed, raw_n, rej_n, reg_raw, reg_rej in rows:
        problem = None
        if landed is None:
            problem = "rows of a file missing from raw.file_registry"
        elif landed != raw_n + rej_n:
            problem = f"landed {landed} != raw {raw_n} + rejected {rej_n}"
        elif reg_raw != raw_n or reg_rej != rej_n:
            problem = f"registry says raw {reg_raw} / rejected {reg_rej}, warehouse has {raw_n} / {rej_n}"
        out.append({"file": file, "status": status, "landed_rows": landed, "raw_rows": raw_n,
                    "rejected_rows": rej_n, "ok": problem is None, "problem": problem})
    return out
