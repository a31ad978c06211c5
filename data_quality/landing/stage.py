"""From a per-file staging table to the raw table and ``raw.rejected_rows``.

Every reader fills a temporary table ``_stage`` with one VARCHAR column per header cell
(``c0`` .. ``cN``), the record's ``_line`` and optionally ``_raw`` (the original record text).
This module classifies the staged records set-based in DuckDB (missing id column, empty id,
duplicate id: first record wins) and moves them to their table, with lineage columns.

Sources whose records are events (``surrogate_id: content_hash``) get an id derived from the
record's canonical fields when the file has no id column or a row's id is empty, so the same
message or call landed twice (an overlapping second export) gets the same id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from data_quality.landing.spec import RAW_SCHEMA, SURROGATE_PREFIX, HeaderMapping, SourceSpec
from data_quality.landing.textio import repair_text

STAGE = "_stage"


@dataclass
class Reject:
    line: int | None
    reason: str
    raw_text: str | None


@dataclass
class ReadResult:
    header: list[str]
    landed: int  # records counted by the reader, independently of the DuckDB load
    rejects: list[Reject] = field(default_factory=list)
    reader: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    join_sep: str = "\t"
    has_raw: bool = False
    messages: list[str] = field(default_factory=list)
    line_expr: str = "_line"  # how to get the record's line from the stage (fast CSV path: rowid)
    repaired: int = 0  # undecodable bytes / lone surrogates replaced by U+FFFD while reading


@dataclass
class LoadCounts:
    raw_rows: int
    rejected_rows: int
    reasons: dict[str, int]
    derived_ids: int = 0  # raw rows whose id was derived from their content
    derived_from: tuple[str, ...] = ()  # the canonical columns the derived ids hash


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_stage(con: duckdb.DuckDBPyConnection, ncols: int, with_raw: bool = False) -> None:
    cols = [f"c{i} VARCHAR" for i in range(ncols)] + ["_line INTEGER"]
    if with_raw:
        cols.append("_raw VARCHAR")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({', '.join(cols)})")


def _text_array(values) -> tuple[pa.Array, int]:
    """A string column; a value with lone surrogates (Arrow and DuckDB refuse them) is repaired
    to U+FFFD here, the last gate before the warehouse. Returns (array, characters replaced)."""
    try:
        return pa.array(values, type=pa.string()), 0
    except UnicodeEncodeError:
        fixed, n = [], 0
        for v in values:
            if v is not None:
                v, k = repair_text(v)
                n += k
            fixed.append(v)
        return pa.array(fixed, type=pa.string()), n


def append_stage(con: duckdb.DuckDBPyConnection, ncols: int, rows: list, lines: list[int],
                 raws: list[str] | None = None) -> int:
    """Append python rows (lists of str|None, already ``ncols`` long) to the stage; returns how
    many characters had to be repaired (lone surrogates -> U+FFFD)."""
    if not rows:
        return 0
    columns = list(zip(*rows)) if ncols else []
    built = [_text_array(col) for col in columns]
    arrays = [a for a, _ in built]
    repaired = sum(n for _, n in built)
    names = [f"c{i}" for i in range(ncols)]
    arrays.append(pa.array(lines, type=pa.int32()))
    names.append("_line")
    if raws is not None:
        raw_array, n = _text_array(raws)
        arrays.append(raw_array)
        repaired += n
        names.append("_raw")
    chunk = pa.Table.from_arrays(arrays, names=names)
    sel = ", ".join([f"nullif(c{i}, '')" for i in range(ncols)] + ["_line"] + (["_raw"] if raws is not None else []))
    con.register("_stage_chunk", chunk)
    try:
        con.execute(f"INSERT INTO {STAGE} SELECT {sel} FROM _stage_chunk")
    finally:
        con.unregister("_stage_chunk")
    return repaired


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS _classified")
    con.execute("DROP VIEW IF EXISTS _keyed")
    con.execute("DROP TABLE IF EXISTS _keyed_ids")
    con.execute("DROP TABLE IF EXISTS _dups")
    con.execute("DROP TABLE IF EXISTS _dupkeys")
    con.execute(f"DROP TABLE IF EXISTS {STAGE}")


def _coalesced(ncols: int) -> list[str]:
    return [f"coalesce(c{i}, '')" for i in range(ncols)]


def _filled(expr: str) -> str:
    return f"nullif(trim({expr}), '') IS NOT NULL"


def column_exprs(spec: SourceSpec, mapping: HeaderMapping) -> dict[str, str]:
    """SQL over the stage per canonical column. A contact column several headers map to takes
    the first non-empty of them in synonym priority («Рабочий email» empty → «Личный email»)."""
    out: dict[str, str] = {}
    for col in spec.columns:
        if col not in mapping.canonical:
            out[col] = "NULL"
            continue
        cells = [f"c{i}" for i in (mapping.canonical[col], *mapping.alternates.get(col, ()))]
        if len(cells) > 1 and col in spec.contact_columns:
            out[col] = "CASE " + " ".join(f"WHEN {_filled(c)} THEN {c}" for c in cells) + " END"
        else:
            out[col] = cells[0]
    return out


def more_contacts_expr(spec: SourceSpec, mapping: HeaderMapping) -> str:
    """JSON ``{"phone": [...], "email": [...]}``: the non-empty values of a contact column's
    further headers, minus the one the column took; NULL when there are none."""
    parts = []
    for col in spec.contact_columns:
        alts = mapping.alternates.get(col, ())
        if col not in mapping.canonical or not alts:
            continue
        cells = ", ".join(f"c{i}" for i in (mapping.canonical[col], *alts))
        rest = f"list_filter([{cells}], lambda v: {_filled('v')})[2:]"
        parts.append(f"{sql_str(col)}, CASE WHEN len({rest}) > 0 THEN {rest} END")
    if not parts:
        return "NULL"
    return f"nullif(CAST(json_merge_patch('{{}}', json_object({', '.join(parts)})) AS VARCHAR), '{{}}')"


def _derive_id(spec: SourceSpec, mapping: HeaderMapping, exprs: dict[str, str]) -> tuple[str, tuple[str, ...]] | None:
    """(hash SQL, columns hashed) when this file may derive ids, else None: the source derives
    them and the header maps enough content to tell records apart (a non-id signature)."""
    if spec.surrogate_id != "content_hash":
        return None
    if mapping.has(spec.id_column) and not spec.options.get("surrogate_for_empty_ids", True):
        return None
    sigs = [sig for sig in spec.content_signatures() if all(mapping.has(c) for c in sig)]
    if not sigs:
        return None
    cols = tuple(c for c in spec.columns if c != spec.id_column)
    # every canonical column in canonical order ('' when unmapped), so header order, unmapped
    # extra columns and a missing optional column do not change the id
    fields = ", ".join(f"coalesce(trim({exprs[c]}), '')" for c in cols)
    # a row needs a signature's columns filled too: a totals line or a stray note gets no id
    content = " OR ".join("(" + " AND ".join(_filled(exprs[c]) for c in sig) + ")" for sig in sigs)
    sql = (f"CASE WHEN {content} THEN {sql_str(SURROGATE_PREFIX)} || "
           f"substr(sha1(concat_ws(chr(31), {fields})), 1, 16) END")
    return sql, tuple(c for c in cols if mapping.has(c))


def finalize_stage(con: duckdb.DuckDBPyConnection, spec: SourceSpec, mapping: HeaderMapping,
                   result: ReadResult, relfile: str, ingested_at: dt.datetime,
                   company_domains: tuple[str, ...] = ()) -> LoadCounts:
    """Move ``_stage`` into ``raw.<table>`` / ``raw.rejected_rows``; returns the counts."""
    ncols = len(mapping.header)
    idcol = mapping.canonical.get(spec.id_column)
    joined = f"concat_ws({sql_str(result.join_sep)}, {', '.join(_coalesced(ncols))})" if ncols else "''"
    raw_text = "coalesce(_raw, " + joined + ")" if result.has_raw else joined
    row_hash = (f"md5(concat_ws(chr(31), {', '.join(_coalesced(ncols))}))" if not result.has_raw
                else "md5(coalesce(_raw, ''))")
    line = result.line_expr
    exprs = column_exprs(spec, mapping)
    derive = _derive_id(spec, mapping, exprs)
    given = f"nullif(trim(c{idcol}), '')" if idcol is not None else "NULL"
    derived = derive[0] if derive else "CAST(NULL AS VARCHAR)"
    # _id: the landed id as written, else the derived one; _derived: which of the two
    id_expr = f"CASE WHEN {given} IS NOT NULL THEN c{idcol} ELSE {derived} END" if idcol is not None else derived
    keyed = f"SELECT *, {line} AS _ln, {id_expr} AS _id, {given} IS NULL AS _derived FROM {STAGE}"
    if derive is not None:  # hash once, not in every pass below
        con.execute(f"CREATE OR REPLACE TEMP TABLE _keyed_ids AS {keyed}")
        keyed = "SELECT * FROM _keyed_ids"
    con.execute(f"CREATE OR REPLACE TEMP VIEW _keyed AS {keyed}")
    if idcol is None and derive is None:
        con.execute("CREATE OR REPLACE TEMP VIEW _classified AS SELECT *, "
                    "'missing_id_column' AS _reason FROM _keyed")
    else:
        no_id = "missing_id_column" if idcol is None else "empty_id"
        # Duplicate keys: the id (default), or — for sources whose exports repeat the id on every
        # line item (`duplicate_ids: line_items`, e.g. invoice lines of one order) — the whole row,
        # so only exact repeats are rejected and the lines are summed downstream.
        line_items = spec.options.get("duplicate_ids") == "line_items"
        key = row_hash if line_items else "trim(_id)"
        reason = "duplicate_row" if line_items else "duplicate_id"
        # set-based and cheap when the file is clean: a hash aggregate finds the duplicated keys,
        # the window runs only over their rows
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dupkeys AS SELECT {key} AS k FROM _keyed "
                    f"WHERE _id IS NOT NULL GROUP BY 1 HAVING count(*) > 1")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dups AS SELECT _ln FROM ("
                    f"SELECT _ln, row_number() OVER (PARTITION BY {key} ORDER BY _ln) AS rn "
                    f"FROM _keyed WHERE _id IS NOT NULL AND {key} IN (SELECT k FROM _dupkeys)) WHERE rn > 1")
        con.execute(f"CREATE OR REPLACE TEMP VIEW _classified AS SELECT *, "
                    f"CASE WHEN _id IS NULL THEN '{no_id}' "
                    f"WHEN _ln IN (SELECT _ln FROM _dups) THEN '{reason}' END AS _reason FROM _keyed")

    select = [("_id" if col == spec.id_column else exprs[col]) for col in spec.columns]
    if spec.table == "mail_messages" and company_domains:
        i = spec.columns.index("direction")
        frm = select[spec.columns.index("from_address")]
        dom = ", ".join(sql_str(d) for d in company_domains)
        if frm != "NULL":
            domain = f"lower(trim(split_part(regexp_extract({frm}, '[^<\\s,;]+@[^>\\s,;]+'), '@', 2)))"
            select[i] = (f"coalesce({select[i]}, CASE WHEN {frm} IS NULL THEN NULL "
                         f"WHEN {domain} IN ({dom}) THEN 'outbound' ELSE 'inbound' END)")
    if mapping.extra:
        pairs = ", ".join(f"{sql_str(name)}, c{idx}" for name, idx in mapping.extra.items())
        select.append(f"CAST(json_object({pairs}) AS VARCHAR)")
    else:
        select.append("NULL")
    select += [sql_str(relfile), "_ln", f"CAST({sql_str(ingested_at.isoformat(sep=' '))} AS TIMESTAMP)",
               row_hash, more_contacts_expr(spec, mapping)]
    target = f"{RAW_SCHEMA}.{q(spec.table)}"
    con.execute(f"INSERT INTO {target} SELECT {', '.join(select)} FROM _classified "
                f"WHERE _reason IS NULL")
    ts = f"CAST({sql_str(ingested_at.isoformat(sep=' '))} AS TIMESTAMP)"
    con.execute(f"INSERT INTO {RAW_SCHEMA}.rejected_rows SELECT {sql_str(spec.table)}, {sql_str(relfile)}, "
                f"_ln, _reason, {raw_text}, {ts} FROM _classified WHERE _reason IS NOT NULL ORDER BY _ln")
    if result.rejects:
        frame = pa.table({
            "source": pa.array([spec.table] * len(result.rejects), pa.string()),
            "file": pa.array([relfile] * len(result.rejects), pa.string()),
            "line": pa.array([r.line for r in result.rejects], pa.int32()),
            "reason": _text_array([r.reason for r in result.rejects])[0],
            "raw_text": _text_array([r.raw_text for r in result.rejects])[0],
        })
        con.register("_rejects_chunk", frame)
        try:
            con.execute(f"INSERT INTO {RAW_SCHEMA}.rejected_rows SELECT source, file, line, reason, raw_text, {ts} "
                        "FROM _rejects_chunk")
        finally:
            con.unregister("_rejects_chunk")
    n_derived = 0
    if idcol is None and derive is None:
        counts = con.execute(f"SELECT 'missing_id_column', count(*) FROM {STAGE}").fetchall()
    else:
        n = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        counts = con.execute("SELECT _reason, count(*) FROM _classified WHERE _reason IS NOT NULL "
                             "GROUP BY ALL").fetchall()
        counts.append(("", n - sum(c for _, c in counts)))
        if derive is not None:
            n_derived = con.execute("SELECT count(*) FROM _classified WHERE _reason IS NULL AND _derived"
                                    ).fetchone()[0]
    reasons: dict[str, int] = {}
    raw_rows = 0
    for r, n in counts:
        if r == "":
            raw_rows = n
        else:
            reasons[r] = reasons.get(r, 0) + n
    for rej in result.rejects:
        reasons[rej.reason.split(":")[0]] = reasons.get(rej.reason.split(":")[0], 0) + 1
    drop_stage(con)
    return LoadCounts(raw_rows=raw_rows, rejected_rows=sum(reasons.values()), reasons=reasons,
                      derived_ids=n_derived, derived_from=derive[1] if derive else ())
