"""Byte-level sniffing: encoding, binary garbage, delimiter."""

from __future__ import annotations

import codecs
import contextvars
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 20


class UnreadableFile(Exception):
    """The whole file cannot be read; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = "", sample: str | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.sample = sample


def _is_utf8(path: Path, skip: int = 0) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        fh.seek(skip)
        try:
            while chunk := fh.read(_CHUNK):
                dec.decode(chunk)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _cyrillic_score(text: str) -> tuple[int, int]:
    lower = upper = 0
    for ch in text:
        if "а" <= ch <= "я" or ch == "ё":
            lower += 1
        elif "А" <= ch <= "Я" or ch == "Ё":
            upper += 1
    return lower, upper


def detect_encoding(path: Path, sample_bytes: int = 262144,
                    fallbacks: tuple[str, ...] = ("cp1251", "koi8_r")) -> str:
    """UTF-8 (with/without BOM), UTF-16 with BOM, else the single-byte Cyrillic encoding whose
    decoding of a sample gives the most lower-case Cyrillic letters (Russian prose is mostly
    lower case; CP1251 read as KOI8-R and vice versa swaps the cases)."""
    with open(path, "rb") as fh:
        head = fh.read(sample_bytes)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf8(path):
        return "utf-8"
    if mostly_utf8(head):
        return "utf-8"  # read with RepairCounter: the bad bytes become U+FFFD, counted
    best, best_score = None, -1
    for enc in fallbacks:
        try:
            text = head.decode(enc, errors="replace")
        except LookupError:
            continue
        # a byte the encoding does not define (0x98 in CP1251) costs a letter: one stray byte
        # must not hand a CP1251 file to KOI8-R
        lower, _upper = _cyrillic_score(text)
        score = lower - text.count(REPLACEMENT)
        if score > best_score:
            best, best_score = enc, score
    if best is None or best_score <= 0:
        try:
            from charset_normalizer import from_bytes

            guess = from_bytes(head).best()
            if guess is not None and guess.encoding:
                return guess.encoding
        except Exception:  # noqa: BLE001, S110 - only a hint
            pass
    return best or "cp1251"


def check_text(sample: str, name: str) -> None:
    """Raise UnreadableFile when decoded text looks like binary garbage."""
    if not sample:
        return
    bad = 0
    for ch in sample:
        if ch in "\t\r\n\f":
            continue
        if ch == "\x00" or ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            bad += 1
    if bad > max(2, len(sample) // 200):
        raise UnreadableFile("binary_content",
                             f"{name}: {bad} control/invalid characters in the first {len(sample)}",
                             sample=None)


def first_record_text(text: str) -> str:
    """The first logical CSV line (a quoted newline does not end it)."""
    in_quotes = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in "\r\n" and not in_quotes:
            return text[:i]
    return text


def detect_delimiter(sample: str) -> str:
    """Pick `,` `;` or tab from the header line (counted outside quotes); ties prefer `;` over
    `,` only when both appear (Russian exports use `;` because `,` is the decimal mark)."""
    header = first_record_text(sample)
    counts = {d: 0 for d in DELIMITERS}
    in_quotes = False
    for ch in header:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ";", d == "\t"))
    if counts[best] == 0:
        # single-column header: look at the data lines
        rest = sample[len(header):].lstrip("\r\n")
        line = first_record_text(rest)
        for d in DELIMITERS:
            counts[d] = line.count(d)
        best = max(DELIMITERS, key=lambda d: counts[d])
        if counts[best] == 0:
            return ","
    return best


@dataclass(frozen=True)
class TextInfo:
    encoding: str
    delimiter: str
    sample: str


def sniff_text(path: Path, sample_bytes: int = 262144,
               fallbacks: tuple[str, ...] = ("cp1251", "koi8_r")) -> TextInfo:
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile("empty_file", "0 bytes")
    with open(path, "rb") as fh:
        head = fh.read(sample_bytes)
    if head.startswith(b"PK\x03\x04"):
        raise UnreadableFile("unknown_format", "zip/xlsx content with a text extension")
    encoding = detect_encoding(path, sample_bytes, fallbacks)
    sample = head.decode(encoding, errors="replace")
    if encoding == "utf-8-sig" and sample.startswith("\ufeff"):
        sample = sample[1:]
    # a multi-byte char cut at the sample end decodes to one replacement char: ignore it
    check_text(sample[:-1] if len(head) == sample_bytes else sample, path.name)
    if not sample.strip():
        raise UnreadableFile("empty_file", "only whitespace")
    return TextInfo(encoding=encoding, delimiter=detect_delimiter(sample), sample=sample)


# ------------------------------------------------------------------------------------------
# repair: nothing undecodable travels past ingestion
# ------------------------------------------------------------------------------------------

_SURROGATES = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def repair_text(text: str) -> tuple[str, int]:
    """(text with every lone surrogate replaced by U+FFFD, how many were replaced).

    Surrogates come from bytes decoded with ``surrogateescape`` (file names, raw 8-bit mail
    headers) or from ``_xD800_`` escapes in XLSX; DuckDB, Arrow and every writer downstream
    refuse them (``UnicodeEncodeError: surrogates not allowed``), so they stop here."""
    if text.isascii():
        return text, 0
    out, n = _SURROGATES.subn(REPLACEMENT, text)
    return out, n


def unescape_bytes(text: str) -> tuple[str, int]:
    """Text decoded with ``surrogateescape`` back to its bytes, decoded as UTF-8 (raw UTF-8 in a
    mail header or a file name is the usual case); bytes that are not UTF-8 become U+FFFD.
    Returns (text, characters replaced)."""
    if text.isascii() or not _SURROGATES.search(text):
        return text, 0
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        return repair_text(text)
    out = data.decode("utf-8", "replace")
    return out, max(0, out.count(REPLACEMENT) - text.count(REPLACEMENT))


class RepairCounter:
    """A decode error handler that replaces undecodable bytes with U+FFFD and counts them:
    ``open(path, encoding=..., errors=counter.name)``. One registered handler per process,
    the count is per instance through a context variable."""

    name = "clientpulse_repair"

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> RepairCounter:
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _ACTIVE.reset(self._token)


def _repair_handler(exc: UnicodeError):
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    counter = _ACTIVE.get()
    if counter is not None:
        counter.count += 1
    # one replacement per undecodable byte run the codec reports (like errors="replace")
    return REPLACEMENT, exc.end


_ACTIVE: contextvars.ContextVar[RepairCounter | None] = contextvars.ContextVar("clientpulse_repair",
                                                                               default=None)
codecs.register_error(RepairCounter.name, _repair_handler)


def mostly_utf8(head: bytes) -> bool:
    """UTF-8 text with a few undecodable bytes (a stray CP1251 byte, a cut character): valid
    multi-byte characters outnumber the bad sequences 3 to 1. A CP1251/KOI8-R file has almost
    no valid UTF-8 sequences, so it never passes."""
    text = head.decode("utf-8", "replace")
    bad = text.count(REPLACEMENT)
    multi = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    return multi > 0 and bad * 3 <= multi
