"""The volume guard: a landing file far bigger than its history waits for confirmation.

A file whose size or record count jumps beyond ``max_ratio`` x the median of the files of the
same source ingested in earlier runs (its own previous version included), and beyond an absolute
floor (``min_bytes`` / ``min_rows``), is registered with status ``held`` and the reason; none of
its rows reach raw. Optionally a first file of a source (no history) above ``first_file_max_*``
is held too. A wrong export (a whole database dumped into ``contacts.csv``, an 8 MB XLSX that
unpacks to a million rows) then costs a confirmation instead of a day of wrong marts.

Confirm a held file by creating ``confirm/<folder>/<file name>`` in the landing folder (empty, or
holding the file's sha256 to confirm only that version; ``clientpulse confirm <folder>/<file>``
writes it): the next run ingests the file.

Measuring never reads a file into memory: text is counted in 4 MB chunks, an XLSX by its zip
directory (uncompressed sheet sizes) and its ``<row>`` elements counted while inflating, mail
archives by their ``From `` lines.
"""

from __future__ import annotations

import re
import statistics
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data_quality.landing.discovery import LandingFile

CONFIRM_DIR = "confirm"
_TEXT = (".csv", ".txt", ".tsv")
_XLSX = (".xlsx", ".xlsm")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
HELD_STATUSES = ("rejected", "held")


@dataclass(frozen=True)
class Guard:
    enabled: bool
    max_ratio: float
    min_bytes: int
    min_rows: int
    first_file_max_bytes: int | None
    first_file_max_rows: int | None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Guard:
        """From ``reading.volume_guard`` of config/sources.yaml (absent: off)."""
        g = options.get("volume_guard") or {}
        return cls(enabled=bool(g.get("enabled", False)), max_ratio=float(g.get("max_ratio") or 0),
                   min_bytes=int(g.get("min_bytes") or 0), min_rows=int(g.get("min_rows") or 0),
                   first_file_max_bytes=g.get("first_file_max_bytes"),
                   first_file_max_rows=g.get("first_file_max_rows"))


@dataclass(frozen=True)
class Volume:
    bytes: int  # on disk; for an XLSX the uncompressed sheets
    rows: int | None  # records (estimated before reading); None: not countable cheaply
    kind: str  # "message" (one .eml = one record) or "table": only like is compared with like


def kind_of(relpath: str) -> str:
    return "message" if relpath.casefold().endswith(".eml") else "table"


def measure(f: LandingFile) -> Volume:
    """Size and record count of a landing file, streamed (never loads the file)."""
    suffix = f.path.suffix.casefold()
    kind = kind_of(f.relpath)
    try:
        if suffix in _TEXT:
            return Volume(f.size, max(0, _count(f.path, b"\n", at_line_start=False) - 1), kind)
        if suffix == ".mbox":
            return Volume(f.size, _count(f.path, b"From ", at_line_start=True), kind)
        if suffix in _XLSX:
            return _measure_xlsx(f, kind)
        if suffix == ".eml":
            return Volume(f.size, 1, kind)
    except (OSError, zipfile.BadZipFile, ValueError):
        pass  # an unreadable file is the reader's business, not the guard's
    return Volume(f.size, None, kind)


def _count(path: Path, token: bytes, at_line_start: bool) -> int:
    n = 0
    with open(path, "rb") as fh:
        if not at_line_start:
            while chunk := fh.read(1 << 22):
                n += chunk.count(token)
            return n
        for line in fh:
            n += line.startswith(token)
    return n


def _measure_xlsx(f: LandingFile, kind: str) -> Volume:
    """Uncompressed sheet bytes from the zip directory; rows = ``<row`` elements counted while
    inflating each sheet in 1 MB pieces (a zip bomb is never held in memory, and a sheet whose
    ``<dimension>`` lies is still counted right)."""
    total, rows = 0, 0
    with zipfile.ZipFile(f.path) as zf:
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            total += info.file_size
            n, tail = 0, b""
            with zf.open(info) as member:
                while chunk := member.read(1 << 20):
                    piece = tail + chunk
                    n += len(_ROW.findall(piece))
                    # keep a few bytes so a tag cut between two pieces is counted once
                    cut = max(piece.rfind(b"<"), len(piece) - 8)
                    tail = piece[cut:] if not _ROW.match(piece, cut) else b""
            rows += max(0, n - 1)  # the header row
    return Volume(total or f.size, rows, kind)


@dataclass(frozen=True)
class Previous:
    """A registered file of the same source: its size and landed records."""

    path: str
    size: int
    rows: int
    kind: str


def history(registry: dict[str, dict], table: str, kind: str) -> list[Previous]:
    """Files of ``table`` ingested in earlier runs (held and rejected ones do not count)."""
    return [Previous(p, int(r["size"] or 0), int(r["landed_rows"] or 0), kind_of(p))
            for p, r in sorted(registry.items())
            if r["table"] == table and r["status"] not in HELD_STATUSES and kind_of(p) == kind]


def hold_reason(guard: Guard, vol: Volume, previous: list[Previous]) -> str | None:
    """Why the file is held, or None when it may be ingested."""
    if not guard.enabled:
        return None
    if not previous:
        over = []
        if guard.first_file_max_bytes is not None and vol.bytes > guard.first_file_max_bytes:
            over.append(f"{vol.bytes:,} bytes > first_file_max_bytes {guard.first_file_max_bytes:,}")
        if guard.first_file_max_rows is not None and vol.rows is not None and vol.rows > guard.first_file_max_rows:
            over.append(f"{vol.rows:,} rows > first_file_max_rows {guard.first_file_max_rows:,}")
        return f"volume_guard: first file of its source and {' and '.join(over)}" if over else None
    over = []
    med_bytes = statistics.median(p.size for p in previous)
    if vol.bytes > guard.min_bytes and vol.bytes > guard.max_ratio * max(med_bytes, 1):
        over.append(f"{vol.bytes:,} bytes = {vol.bytes / max(med_bytes, 1):,.0f} x the median "
                    f"{med_bytes:,.0f}")
    med_rows = statistics.median(p.rows for p in previous)
    if vol.rows is not None and vol.rows > guard.min_rows and vol.rows > guard.max_ratio * max(med_rows, 1):
        over.append(f"{vol.rows:,} rows = {vol.rows / max(med_rows, 1):,.0f} x the median {med_rows:,.0f}")
    if not over:
        return None
    return (f"volume_guard: {' and '.join(over)} of {len(previous)} earlier file(s) of the source "
            f"(max_ratio {guard.max_ratio:g})")


def confirm_marker(landing_dir: Path, relpath: str) -> Path:
    return landing_dir / CONFIRM_DIR / relpath


def is_confirmed(landing_dir: Path, relpath: str, sha: str) -> bool:
    """A marker ``confirm/<relpath>`` exists and is empty or names this version's sha256."""
    marker = confirm_marker(landing_dir, relpath)
    if not marker.is_file():
        return False
    text = marker.read_text(encoding="utf-8", errors="replace").strip()
    return not text or text.split()[0].casefold() == sha.casefold()


def confirm(landing_dir: Path, relpath: str) -> Path:
    """Write the marker that lets the next run ingest ``relpath`` (this version only)."""
    from data_quality.landing.discovery import sha256_file

    target = landing_dir / relpath
    if not target.is_file():
        raise FileNotFoundError(f"{target} is not a landing file")
    marker = confirm_marker(landing_dir, relpath)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(sha256_file(target) + "\n", encoding="utf-8")
    return marker
