"""Which raw table a landing file feeds.

1. ``pattern``: the file name matches a pattern of a source of its folder (``contacts*.csv``);
   nothing is read to decide.
2. Otherwise the header (CSV: first record of the sniffed sample; XLSX: first non-empty row of
   each sheet) is scored against every source of the folder through the header mappings. A
   source is a candidate when the header maps to one of its ``signatures`` (default: its id
   column); a header cell that maps in several sources of the folder («ID», «Дата создания»)
   counts for each as 1 / (number of those sources).
   ``name_hint``: the name contains a ``name_hints`` entry of a candidate (``amo_contacts.csv``,
   «Сделки.xlsx»); the best-scoring hinted candidate wins. ``headers``: no hinted candidate, the
   best-scoring candidate wins (a tie is ambiguous). A hinted source whose signature the header
   lacks still wins when no source is a candidate and some header maps to it (its rows are then
   rejected as ``missing_id_column``, like a patterned file's).
3. Nothing fits: the whole file is rejected as ``unknown_format`` with the headers seen and what
   each source missed.

What was read to decide (the sniffed text, the open workbook) is handed to the reader, so a file
is not sniffed twice.
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from data_quality.landing.discovery import LandingFile, guess_table
from data_quality.landing.spec import LandingConfig, SourceSpec, map_header
from data_quality.landing.textio import TextInfo, UnreadableFile, first_record_text, sniff_text

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_MAX_HEADERS_SHOWN = 20
_MAX_HEADER_CHARS = 40
_MAX_RAW_TEXT = 2000

logger = logging.getLogger(__name__)


@dataclass
class HeaderSample:
    """The header(s) of a file, read once; the reader reuses ``text_info`` / ``workbook``."""

    headers: list[list[str]]  # one per sheet (CSV: one)
    text_info: TextInfo | None = None
    workbook: Any = None

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()
            self.workbook = None

    def raw_text(self) -> str:
        return "\n".join("\t".join(h) for h in self.headers)[:_MAX_RAW_TEXT]


@dataclass
class Route:
    table: str  # the raw table; for a rejected file, the source its reject is filed under
    routed_by: str | None  # pattern | name_hint | headers; None: rejected, no table fits
    detail: str = ""
    sample: HeaderSample | None = None
    reject_reason: str | None = None  # set when the file is rejected before reading
    reject_text: str | None = None

    def close(self) -> None:
        if self.sample is not None:
            self.sample.close()


@dataclass(frozen=True)
class Candidate:
    table: str
    score: float
    mapped: tuple[str, ...]  # canonical columns found
    signature: tuple[str, ...] | None  # the signature the header satisfies, if any


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def name_hits(specs: list[SourceSpec], name: str) -> dict[str, str]:
    """Source -> the first of its name hints found anywhere in ``name`` (case-insensitive, ё = е)."""
    folded = _fold(name)
    hits: dict[str, str] = {}
    for spec in specs:
        hit = next((h for h in spec.name_hints if h and _fold(h) in folded), None)
        if hit is not None:
            hits[spec.table] = hit
    return hits


def score_headers(specs: list[SourceSpec], headers: list[list[str]]) -> dict[str, Candidate]:
    """Per source: its best sheet's score, mapped columns and satisfied signature."""
    best: dict[str, Candidate] = {}
    for header in headers:
        maps = {s.table: map_header(s, header) for s in specs}
        shared = Counter(idx for m in maps.values() for idx in m.canonical.values())
        for spec in specs:
            m = maps[spec.table]
            score = sum(1 / shared[idx] for idx in m.canonical.values())
            sig = next((sig for sig in spec.routing_signatures() if all(m.has(c) for c in sig)), None)
            cand = Candidate(spec.table, score, tuple(c for c in spec.columns if m.has(c)), sig)
            old = best.get(spec.table)
            if old is None or (cand.signature is not None, cand.score) > (old.signature is not None, old.score):
                best[spec.table] = cand
    return best


def sniff_landing_text(f: LandingFile, cfg: LandingConfig) -> TextInfo:
    """Encoding, delimiter and sample of a text file, with the configured reading options."""
    opts = cfg.options
    return sniff_text(f.path, int(opts.get("sample_bytes", 262144)),
                      tuple(opts.get("fallback_encodings", ("cp1251", "koi8_r"))))


def sample_header(f: LandingFile, cfg: LandingConfig) -> HeaderSample:
    """Read just enough of ``f`` to know its header(s). Raises UnreadableFile."""
    suffix = f.path.suffix.casefold()
    if suffix in XLSX_SUFFIXES:
        from data_quality.landing.xlsx_reader import open_workbook, sheet_headers

        wb = open_workbook(f.path)
        try:
            return HeaderSample(headers=[h for _, h, _ in sheet_headers(wb)], workbook=wb)
        except Exception:
            wb.close()
            raise
    if suffix in TEXT_SUFFIXES:
        info = sniff_landing_text(f, cfg)
        text = info.sample.lstrip("\r\n")
        header = next(csv.reader(io.StringIO(first_record_text(text)), delimiter=info.delimiter), [])
        return HeaderSample(headers=[[h.strip() for h in header]], text_info=info)
    raise UnreadableFile("unknown_format", f"{suffix or 'no extension'}: no tabular reader")


def _shown(headers: list[list[str]]) -> str:
    cells = [h for header in headers for h in header]
    shown = [c if len(c) <= _MAX_HEADER_CHARS else c[: _MAX_HEADER_CHARS - 1] + "…" for c in
             cells[:_MAX_HEADERS_SHOWN]]
    more = f", … (+{len(cells) - _MAX_HEADERS_SHOWN} more)" if len(cells) > _MAX_HEADERS_SHOWN else ""
    return f"[{', '.join(shown)}{more}]"


def _missing(spec: SourceSpec, cand: Candidate) -> str:
    need = " or ".join("+".join(sig) for sig in spec.routing_signatures())
    found = f"found {', '.join(cand.mapped)}" if cand.mapped else "no header maps"
    return f"{spec.table} needs {need} ({found})"


def _describe(c: Candidate) -> str:
    return f"{c.table} {c.score:g} ({', '.join(c.mapped)})"


def route_file(f: LandingFile, cfg: LandingConfig) -> Route:
    """Decide the table of ``f`` (see the module docstring). The caller closes the route."""
    if f.table:
        return Route(f.table, "pattern", "name matches a pattern")
    folder, name = f.relpath.split("/", 1)
    specs = cfg.in_folder(folder)
    hits = name_hits(specs, name)
    hinted = list(hits)
    fallback = hinted[0] if len(hinted) == 1 else guess_table(cfg, f.relpath)
    patterns = ", ".join(p for s in specs for p in s.patterns)
    where = f"name matches no pattern of {folder}/ ({patterns})"
    try:
        sample = sample_header(f, cfg)
    except UnreadableFile as exc:
        return Route(fallback, None, reject_reason=f"{exc}; {where}")
    except Exception as exc:  # a corrupt file must not stop the other files
        logger.exception("reading the header of %s failed", f.relpath)
        return Route(fallback, None, reject_reason=f"read_error: {type(exc).__name__}: {exc}; {where}")
    scores = score_headers(specs, sample.headers)
    fitting = [c for c in scores.values() if c.signature is not None]
    pool = [c for c in fitting if c.table in hinted] or fitting
    ranked = sorted(pool, key=lambda c: -c.score)
    hint_note = ", ".join(f"{t} ({h!r})" for t, h in hits.items())
    if ranked and (len(ranked) == 1 or ranked[0].score > ranked[1].score):
        best = ranked[0]
        others = "; ".join(_describe(c) for c in fitting if c is not best)
        detail = f"header score {_describe(best)}" + (f"; also fitting: {others}" if others else "")
        if best.table in hinted:
            return Route(best.table, "name_hint", f"name hint {hits[best.table]!r}; {detail}", sample)
        if hinted:
            detail += f"; name hints {hint_note} overruled: their signatures are missing"
        return Route(best.table, "headers", detail, sample)
    # a hint alone needs some support from the header (a notes file named "contacts…" is no export)
    if len(hinted) == 1 and scores[hinted[0]].mapped:
        spec = cfg.source(hinted[0])
        return Route(hinted[0], "name_hint", f"name hint {hits[spec.table]!r} only; headers "
                                             f"{_shown(sample.headers)}: {_missing(spec, scores[spec.table])}",
                     sample)
    sample.close()
    if len(ranked) > 1:
        why = "ambiguous: " + " = ".join(_describe(c) for c in ranked if c.score == ranked[0].score)
    else:
        why = "; ".join(_missing(s, scores[s.table]) for s in specs)
    hint_note = f"name hints {hint_note}" if hinted else "no name hint"
    reason = f"unknown_format: {where}, {hint_note}; headers seen {_shown(sample.headers)}; {why}"
    return Route(fallback, None, reject_reason=reason, reject_text=sample.raw_text())
