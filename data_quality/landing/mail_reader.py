"""``.eml`` files and ``.mbox`` archives into the staging table of ``raw.mail_messages``.

* ``message_id``: the Message-ID header as written, minus surrounding whitespace and ``<>``.
* ``sent_at``: the Date header as ISO text with its UTC offset (``2024-03-01T10:15:00+03:00``);
  an unparseable Date is kept as written.
* ``from_address`` / ``to_address``: bare addresses (several To/Cc recipients joined by ``, ``;
  only To goes to ``to_address``); display names and Cc go to ``_extra``.
* ``body``: text/plain part (else text/html with tags stripped), MIME-decoded (quoted-printable,
  base64, charsets); quoted replies and signatures stripped when configured, the full decoded
  body kept in ``_extra.body_original`` whenever something was stripped.
* ``direction``: ``outbound`` when the sender's domain is a configured company domain.
* ``_line``: 1 for an .eml file; the 1-based message index in an .mbox.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import duckdb

from data_quality.landing.spec import LandingConfig
from data_quality.landing.stage import ReadResult, Reject, append_stage, create_stage
from data_quality.landing.textio import UnreadableFile, repair_text, unescape_bytes

HEADER = ["message_id", "sent_at", "from_address", "to_address", "subject", "body", "direction",
          "from_name", "to_names", "cc_address", "in_reply_to", "attachments", "body_original",
          "truncated"]
CHUNK = 5_000

_QUOTE_MARKERS = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Исходное сообщение|Пересылаемое сообщение|Forwarded message)\s*-{2,}"
    r"|_{10,}\s*$"
    r"|On .{4,200} wrote:\s*$"
    r"|.{0,200}\s(написал|написала|написал\(а\)|пишет)\s*:\s*$"
    r"|(От|From)\s*:\s.+\s*$)",
    re.IGNORECASE)
_SIGNATURE_MARKERS = re.compile(
    r"^\s*(--\s*$|С уважением|С наилучшими пожеланиями|Best regards|Kind regards|Regards,|"
    r"Sent from my|Отправлено с|Отправлено из)", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<\s*(br|/p|/div|/tr|/li)\b[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(text: str) -> str:
    text = _HIDDEN.sub("", text)
    text = _BR.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"[ \t]+\n", "\n", text)


def clean_body(body: str, strip_quotes: bool = True, strip_signatures: bool = True) -> str:
    """Drop quoted replies (``> ...`` lines and everything after a reply header) and the
    signature (from ``-- `` or a closing formula in the last lines)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if strip_quotes:
        kept = []
        for line in lines:
            if _QUOTE_MARKERS.match(line) and kept and any(k.strip() for k in kept):
                break
            if line.lstrip().startswith(">"):
                continue
            kept.append(line)
        lines = kept
    if strip_signatures:
        n = len(lines)
        for i, line in enumerate(lines):
            if _SIGNATURE_MARKERS.match(line) and (line.strip() == "--" or n - i <= 8) \
                    and any(k.strip() for k in lines[:i]):
                lines = lines[:i]
                break
    return "\n".join(lines).strip()


_ADDR = re.compile(r"[^\s<>,;\"']+@[^\s<>,;\"']+")


def _addresses(values: list[str]) -> tuple[str | None, str | None]:
    pairs = [(n.strip(), a.strip()) for n, a in getaddresses(values) if a and "@" in a]
    if not pairs:
        # malformed (e.g. an encoded word folded inside the address): keep what was written
        joined = " ".join(values)
        found = []
        for inside in re.findall(r"<([^>]*)>", joined):
            found += _ADDR.findall(re.sub(r"\s+", "", inside))
        if not found:
            found = _ADDR.findall(joined)
        if not found:
            return None, None
        return ", ".join(found), None
    return ", ".join(a for _, a in pairs), ", ".join(n for n, _ in pairs if n) or None


def _raw_header(msg, name: str) -> list[str]:
    """Address headers from their raw text (unfolded, encoded words decoded): the parsed form
    drops addresses it finds invalid, and raw exports are full of those."""
    from email.header import decode_header, make_header

    out = []
    for key, value in msg.raw_items():
        if key.lower() != name.lower():
            continue
        text = re.sub(r"\r?\n[ \t]+", " ", str(value))
        try:
            text = str(make_header(decode_header(text)))
        except Exception:  # noqa: BLE001, S110 - malformed mail must not stop the run
            pass
        out.append(unescape_bytes(text)[0])
    return out


def _header(msg, name: str) -> list[str]:
    """A header's values; raw 8-bit bytes (surrogate-escaped by the parser) read as UTF-8."""
    try:
        values = [str(v) for v in (msg.get_all(name) or [])]
    except Exception:  # malformed header: keep its raw form  # noqa: BLE001 - malformed mail must not stop the run
        values = [str(v) for v in (msg._headers and [h[1] for h in msg._headers if h[0].lower() == name.lower()])]
    return [unescape_bytes(v)[0] for v in values]


def _body(msg: EmailMessage) -> tuple[str | None, list[str]]:
    attachments = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        fn = part.get_filename()
        if fn or part.get_content_disposition() == "attachment":
            attachments.append(fn or part.get_content_type())
    part = None
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 - malformed mail must not stop the run
        part = None
    if part is None:
        if msg.is_multipart():
            return None, attachments
        part = msg
    try:
        content = part.get_content()
    except Exception:  # noqa: BLE001 - malformed mail must not stop the run
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            content = payload.decode(charset, errors="replace")
        except LookupError:
            content = payload.decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return None, attachments
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content, attachments


def parse_message(data: bytes, cfg: LandingConfig) -> list[str | None]:
    """One message -> values in ``HEADER`` order. Raises ValueError when it is not an e-mail."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    present = {k.lower() for k in msg.keys()}  # noqa: SIM118
    if not present & {"from", "to", "date", "message-id", "subject"}:
        raise ValueError("no e-mail headers (From/To/Date/Message-ID/Subject)")
    # The Message-ID exactly as written in the header (angle brackets included): the contract's
    # source_record_id is the id "as landed", and mail clients quote it with the brackets.
    mid = " ".join(_header(msg, "Message-ID")).strip()
    date_raw = " ".join(_header(msg, "Date")).strip() or None
    sent_at = date_raw
    if date_raw:
        try:
            sent_at = parsedate_to_datetime(date_raw).isoformat()
        except (TypeError, ValueError, IndexError):
            sent_at = date_raw
    frm, frm_name = _addresses(_raw_header(msg, "From"))
    to, to_names = _addresses(_raw_header(msg, "To"))
    cc, _ = _addresses(_raw_header(msg, "Cc"))
    subject = " ".join(_header(msg, "Subject")).strip() or None
    body, attachments = _body(msg)
    limits = mail_limits(cfg)
    truncated: list[str] = []
    body = _cap(body, limits["max_body_chars"], "body", truncated)
    original = None
    opts = {"strip_quotes": bool(cfg.mail.get("strip_quotes", True)),
            "strip_signatures": bool(cfg.mail.get("strip_signatures", True))}
    if body is not None:
        cleaned = clean_body(body, opts["strip_quotes"], opts["strip_signatures"])
        if cleaned != body.strip():
            original = body
        body = cleaned
    direction = None
    if frm:
        domain = frm.split(",")[0].strip().rsplit("@", 1)[-1].lower()
        direction = "outbound" if domain in cfg.company_domains else "inbound"
    in_reply_to = " ".join(_header(msg, "In-Reply-To")).strip().strip("<>") or None
    values = [mid or None, sent_at, frm, to, subject, body, direction, frm_name, to_names, cc, in_reply_to,
              ", ".join(attachments) or None, original]
    body_at = (HEADER.index("body"), HEADER.index("body_original"))
    values = [v if i in body_at else _cap(v, limits["max_header_chars"], HEADER[i], truncated)
              for i, v in enumerate(values)]
    return values + ["; ".join(truncated) or None]


def mail_limits(cfg: LandingConfig) -> dict[str, int]:
    """Longest body / header value kept (``mail`` in config/sources.yaml): a mismatched MIME
    boundary can make a 10 MB attachment "the body", a broken header can run for megabytes."""
    return {k: int(cfg.mail.get(k) or default) for k, default in
            (("max_body_chars", 1_000_000), ("max_header_chars", 10_000), ("max_raw_chars", 1_000_000))}


def _cap(value: str | None, limit: int, name: str, notes: list[str]) -> str | None:
    """``value`` cut to ``limit`` characters; the cut is noted (``name: N -> limit chars``)."""
    if value is None or len(value) <= limit:
        return value
    notes.append(f"{name}: {len(value)} -> {limit} chars")
    return value[:limit]


def _raw_text(data: bytes, limit: int) -> str:
    """The message as text for lineage (``_raw``: row hash, rejected raw_text), at most ``limit``
    characters: a 26 MB header is not copied whole."""
    return data[: limit * 4].decode("utf-8", errors="replace")[:limit]


def read_eml_file(con: duckdb.DuckDBPyConnection, path: Path, cfg: LandingConfig) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("empty_file", "0 bytes" if not data else "only whitespace")
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary_content", "NUL bytes in an .eml file")
    try:
        values = parse_message(data, cfg)
    except ValueError as exc:
        raise UnreadableFile("not_an_email", str(exc)) from exc
    create_stage(con, len(HEADER), with_raw=True)
    repaired = append_stage(con, len(HEADER), [values], [1], [_raw_text(data, mail_limits(cfg)["max_raw_chars"])])
    messages = [f"truncated ({values[-1]})"] if values[-1] else []
    return ReadResult(header=list(HEADER), landed=1, reader="eml", join_sep="\n", has_raw=True,
                      messages=messages, repaired=repaired)


def count_mbox_messages(path: Path) -> int:
    """Messages in an mbox, counted on the bytes (lines starting with ``From ``), independently
    of the ``mailbox`` parser."""
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"From "):
                n += 1
    return n


def _mbox_preamble(path: Path) -> int:
    """Bytes before the first ``From `` line (0: the file starts with one; -1: there is none)."""
    pos = 0
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"From "):
                return pos
            pos += len(line)
    return -1


def read_mbox_file(con: duckdb.DuckDBPyConnection, path: Path, cfg: LandingConfig) -> ReadResult:
    """Every message of the archive; one broken message is rejected alone, and text before the
    first ``From `` line (a damaged first line) is one rejected record (``mbox_preamble``,
    line 0) while the messages after it land."""
    import mailbox

    if path.stat().st_size == 0:
        raise UnreadableFile("empty_file", "0 bytes")
    preamble = _mbox_preamble(path)
    if preamble < 0:
        raise UnreadableFile("not_an_mbox", "no 'From ' line: an mbox starts each message with one")
    limits = mail_limits(cfg)
    landed = from_lines = count_mbox_messages(path)
    rows, lines, raws, rejects = [], [], [], []
    if preamble > 0:
        with open(path, "rb") as fh:
            head = fh.read(min(preamble, limits["max_raw_chars"]))
        rejects.append(Reject(0, f"mbox_preamble: {preamble} bytes before the first 'From ' line",
                              head.decode("utf-8", errors="replace")))
        landed += 1
    box = mailbox.mbox(str(path), create=False)
    create_stage(con, len(HEADER), with_raw=True)
    seen = truncated = repaired = 0
    try:
        for idx, key in enumerate(box.iterkeys(), start=1):
            seen += 1
            data = box.get_bytes(key)
            raw = _raw_text(data, limits["max_raw_chars"])
            try:
                values = parse_message(data, cfg)
            except Exception as exc:  # noqa: BLE001 - malformed mail must not stop the run
                rejects.append(Reject(idx, f"unparseable_message: {repair_text(str(exc))[0][:500]}", raw))
                continue
            truncated += values[-1] is not None
            rows.append(values)
            lines.append(idx)
            raws.append(raw)
            if len(rows) >= CHUNK:
                repaired += append_stage(con, len(HEADER), rows, lines, raws)
                rows, lines, raws = [], [], []
        repaired += append_stage(con, len(HEADER), rows, lines, raws)
    finally:
        box.close()
    messages = []
    if seen != from_lines:
        messages.append(f"mailbox parser saw {seen} messages, byte count {from_lines}")
    if truncated:
        messages.append(f"{truncated} messages truncated (mail.max_body_chars / max_header_chars; "
                        "what was cut: _extra.truncated)")
    return ReadResult(header=list(HEADER), landed=landed, rejects=rejects, reader="mbox", join_sep="\n",
                      has_raw=True, messages=messages, repaired=repaired)
