"""CSV into the staging table: a DuckDB fast path for clean files, a row-by-row fallback that
finds and explains the bad records.

Fast path: DuckDB ``read_csv`` (all VARCHAR, strict) on the file (CP1251/KOI8-R are first
transcoded to a temporary UTF-8 copy). It is accepted only when the file has exactly one
physical line per record (newline count = records + 1), which makes ``_line`` = record number + 1
exact and gives a landed-record count that does not depend on the parser.

Fallback: Python's ``csv`` module over the decoded text, with our own physical-line tracking;
a multi-line record with the wrong field count (an unclosed quote swallowing the following
lines) rejects its first line as ``broken_quotes`` and re-reads the rest.
"""

from __future__ import annotations

import csv
import tempfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import duckdb

from data_quality.landing.stage import STAGE, ReadResult, Reject, append_stage, create_stage, sql_str
from data_quality.landing.textio import RepairCounter, TextInfo, UnreadableFile

CHUNK_ROWS = 100_000
_MAX_RAW = 1_000_000  # longest raw_text kept for one rejected record (chars)


def _count_newlines(path: Path) -> tuple[int, bool, bool]:
    """(number of b'\\n', file ends with a newline, file contains NUL bytes)."""
    n, last, nul = 0, b"", False
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            n += chunk.count(b"\n")
            nul = nul or b"\x00" in chunk
            last = chunk[-1:]
    return n, last == b"\n", nul


def _transcode(path: Path, encoding: str, tmpdir: str) -> Path:
    out = Path(tmpdir) / "utf8.csv"
    with open(path, encoding=encoding, errors="strict", newline="") as src, \
            open(out, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 22):
            dst.write(chunk)
    return out


def _read_header(path: Path, info: TextInfo) -> list[str]:
    with open(path, encoding=info.encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=info.delimiter, quotechar='"', doublequote=True)
        for row in reader:
            if row and any(c.strip() for c in row):
                return [c.strip() for c in row]
    return []


def _try_fast(con: duckdb.DuckDBPyConnection, path: Path, info: TextInfo, header: list[str],
              field_limit: int | None = None) -> ReadResult | None:
    if "\r" in info.sample.replace("\r\n", ""):
        return None  # old-Mac line ends: the newline count would be wrong
    newlines, ends_nl, has_nul = _count_newlines(path)
    if has_nul:
        return None  # rows with NUL bytes are rejected by the row-by-row reader
    physical = newlines + (0 if ends_nl else 1)
    ncols = len(header)
    if ncols == 0:
        return None
    with tempfile.TemporaryDirectory(prefix="cp_landing_") as tmp:
        src = path
        if info.encoding not in ("utf-8", "utf-8-sig"):
            try:
                src = _transcode(path, info.encoding, tmp)
            except (UnicodeDecodeError, LookupError):
                return None
        cols = "{" + ", ".join(f"{sql_str(f'c{i}')}: 'VARCHAR'" for i in range(ncols)) + "}"
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM read_csv({sql_str(str(src))}, "
                f"delim={sql_str(info.delimiter)}, quote='\"', escape='\"', header=false, skip=1, "
                f"auto_detect=false, columns={cols}, strict_mode=true, null_padding=false, "
                f"ignore_errors=false, encoding='utf-8')")
        except duckdb.Error:
            con.execute(f"DROP TABLE IF EXISTS {STAGE}")
            return None
    records = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
    if records + 1 != physical:
        con.execute(f"DROP TABLE IF EXISTS {STAGE}")
        return None
    if field_limit and records and con.execute(
            f"SELECT coalesce(max(greatest({', '.join(f'length(c{i})' for i in range(ncols))})), 0) FROM {STAGE}"
    ).fetchone()[0] > field_limit:
        con.execute(f"DROP TABLE IF EXISTS {STAGE}")
        return None  # the row-by-row reader rejects the record with the oversized field
    # insertion order is file order: rowid 0 is physical line 2
    return ReadResult(header=header, landed=physical - 1, reader="csv:duckdb", encoding=info.encoding,
                      delimiter=info.delimiter, join_sep=info.delimiter, line_expr="CAST(rowid + 2 AS INTEGER)")


class _LineTap:
    """Feeds physical lines to csv.reader, remembering which ones the current record used;
    lines can be pushed back to be read again."""

    def __init__(self, fh):
        self.fh = fh
        self.lineno = 0
        self.pending: deque[tuple[int, str]] = deque()
        self.consumed: list[tuple[int, str]] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        if self.pending:
            item = self.pending.popleft()
        else:
            line = self.fh.readline()
            if not line:
                raise StopIteration
            self.lineno += 1
            item = (self.lineno, line)
        self.consumed.append(item)
        return item[1]


def _raw_of(items: list[tuple[int, str]]) -> str:
    text = "".join(t for _, t in items)
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith(("\n", "\r")):
        text = text[:-1]
    return text[:_MAX_RAW]


def read_csv_rows(fh, delimiter: str, ncols_expected: int | None = None
                  ) -> Iterator[tuple[int, list[str] | None, str | None, str]]:
    """Yield ``(line, fields, reject_reason, raw_text)`` per record (header included).

    ``ncols_expected`` None: take it from the first non-blank record (the header).
    raw_text is only built for rejected records (empty string otherwise).
    """
    tap = _LineTap(fh)
    reader = csv.reader(tap, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    expected = ncols_expected
    while True:
        tap.consumed = []
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            consumed = tap.consumed
            if not consumed:
                break
            tap.pending.extendleft(reversed(consumed[1:]))
            yield consumed[0][0], None, f"csv_error: {exc}", _raw_of(consumed[:1])
            continue
        consumed = tap.consumed
        if not row or (len(row) == 1 and row[0] == "" and len(consumed) == 1):
            continue  # blank line
        start = consumed[0][0]
        if expected is None:
            expected = len(row)
            yield start, row, None, ""
            continue
        if any("\x00" in t for _, t in consumed):
            tap.pending.extendleft(reversed(consumed[1:]))
            yield start, None, "nul_bytes", _raw_of(consumed[:1]).replace("\x00", "\\x00")
        elif sum(t.count('"') for _, t in consumed) % 2 == 1:
            # a quote opened and never closed (the record ran to the end of the file)
            tap.pending.extendleft(reversed(consumed[1:]))
            yield start, None, "broken_quotes", _raw_of(consumed[:1])
        elif len(row) == expected:
            yield start, row, None, ""
        elif consumed[0][1].count('"') % 2 == 1:
            # an unbalanced quote opened a field that swallowed the following lines: reject the
            # first line and read the others again on their own
            tap.pending.extendleft(reversed(consumed[1:]))
            yield start, None, "broken_quotes", _raw_of(consumed[:1])
        else:
            yield start, None, f"wrong_field_count: expected {expected}, got {len(row)}", _raw_of(consumed)


def _slow(con: duckdb.DuckDBPyConnection, path: Path, info: TextInfo, field_limit: int | None = None) -> ReadResult:
    csv.field_size_limit(2**31 - 1)
    # undecodable bytes inside otherwise valid text become U+FFFD (counted), never surrogates
    # and never a lost file
    with RepairCounter() as repair, \
            open(path, encoding=info.encoding, errors=RepairCounter.name, newline="") as fh:
        records = read_csv_rows(fh, info.delimiter)
        header: list[str] | None = None
        rows: list[list[str]] = []
        lines: list[int] = []
        rejects: list[Reject] = []
        landed = 0
        try:
            for line, fields, reason, raw in records:
                if header is None:
                    if fields is None:
                        rejects.append(Reject(line, f"unreadable_header: {reason}", raw))
                        landed += 1
                        continue
                    header = [c.strip() for c in fields]
                    if header and header[0].startswith("\ufeff"):
                        header[0] = header[0][1:]
                    create_stage(con, len(header))
                    continue
                landed += 1
                if fields is None:
                    rejects.append(Reject(line, reason or "unparseable", raw))
                    continue
                if field_limit and any(len(c) > field_limit for c in fields):
                    # a 50 MB "cell" is a broken export, not a value (reading.field_size_limit)
                    big = max(len(c) for c in fields)
                    rejects.append(Reject(line, f"field_too_large: {big} chars > reading.field_size_limit "
                                                f"{field_limit}", info.delimiter.join(fields)[:_MAX_RAW]))
                    continue
                rows.append(fields)
                lines.append(line)
                if len(rows) >= CHUNK_ROWS:
                    append_stage(con, len(header), rows, lines)
                    rows, lines = [], []
        except UnicodeDecodeError as exc:
            raise UnreadableFile("encoding_error", f"not valid {info.encoding}: {exc}") from exc
        if header is None:
            raise UnreadableFile("no_header", "no header line found")
        append_stage(con, len(header), rows, lines)
        repaired = repair.count
    messages = [f"repaired {repaired} undecodable byte sequences as U+FFFD ({info.encoding})"] if repaired else []
    return ReadResult(header=header, landed=landed, rejects=rejects, reader="csv:python",
                      encoding=info.encoding, delimiter=info.delimiter, join_sep=info.delimiter,
                      repaired=repaired, messages=messages)


def read_csv_file(con: duckdb.DuckDBPyConnection, path: Path, info: TextInfo, allow_fast: bool = True,
                  field_limit: int | None = None) -> ReadResult:
    """Stage ``path``; fast path when clean, row-by-row otherwise. ``field_limit``: longest field
    kept (characters); a record with a longer one is rejected as ``field_too_large``."""
    header = _read_header(path, info)
    if allow_fast and header and not any(not h for h in header[:1]):
        res = _try_fast(con, path, info, header, field_limit)
        if res is not None:
            return res
    return _slow(con, path, info, field_limit)
