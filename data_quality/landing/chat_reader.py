"""Chat exports (folder ``chat/``) into the staging table of ``raw.chat_messages``.

Three forms, one record per message:

* **Telegram Desktop** ``result.json`` — one chat (``{"name", "id", "messages": [...]}``) or the
  whole export (``{"chats": {"list": [chat, ...]}}``). ``text`` may be a string or a list of strings
  and entity objects (``{"type": "link", "text": ...}``): the pieces are joined. ``message_id`` is
  ``<chat id>:<message id>``; ``author_id`` the sender's ``from_id`` (``user123…``). Service entries
  (``"type": "service"``: calls, joins, pins) are rejected as ``system_message``; a photo, file or
  sticker without text lands with an empty ``text`` and its kind in ``_extra.media``.
* **WhatsApp** text export (``*.txt``): ``12.03.2024, 14:05 - Иван Петров: текст`` (Android),
  ``[12/03/2024, 14:05:33] Ivan: text`` (iOS), 12- or 24-hour clock, ``-`` or ``–``, 2- or 4-digit
  years. A line that does not start a message continues the previous one (multi-line messages); a
  line before the first message is rejected as ``bad_line``, an impossible date as ``bad_date``, a
  line without ``Author:`` (encryption notices, joins) as ``system_message``; ``<Media omitted>`` and
  its locale variants land with an empty ``text``. Slash dates are day-first unless the file proves
  them month-first (``chat.whatsapp_slash_dates``). The chat id is the file name; the message id is
  derived from chat, time, author and text (the n-th repeat gets ``:n``), so an overlapping second
  export of the chat gives the same ids. An author that is a phone number fills ``phone`` too.
* **CSV** (chat_id, sent_at, direction, author, phone, username, email, text): the ordinary CSV
  reader; an empty ``direction`` is filled by the company-account rule below.

``direction``: ``outbound`` when the author is one of the company's own accounts
(``chat.company_usernames`` — also matched against Telegram's ``from_id`` —, ``company_phones``,
``company_names`` in ``config/sources.yaml``), else ``inbound``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import duckdb

from data_quality.landing.spec import CANONICAL_COLUMNS, LandingConfig, SourceSpec, map_header
from data_quality.landing.stage import STAGE, ReadResult, Reject, append_stage, create_stage, q, sql_str
from data_quality.landing.textio import UnreadableFile

HEADER = [*CANONICAL_COLUMNS["chat_messages"], "platform", "media", "reply_to", "chat_name"]
_COL = {c: i for i, c in enumerate(HEADER)}
_MAX_RAW = 2000


# ------------------------------------------------------------------------------- company accounts
def _fold(text: Any) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text or "")).casefold().replace("ё", "е").split())


def _digits(text: Any) -> str:
    d = re.sub(r"\D", "", str(text or ""))
    return "7" + d[1:] if len(d) == 11 and d.startswith("8") else d


class CompanyAccounts:
    """The rule that makes a message outbound (``chat`` in config/sources.yaml)."""

    def __init__(self, chat: dict):
        self.usernames = {_fold(u).lstrip("@") for u in chat.get("company_usernames") or [] if _fold(u)}
        self.phones = {_digits(p) for p in chat.get("company_phones") or [] if _digits(p)}
        self.names = {_fold(n) for n in chat.get("company_names") or [] if _fold(n)}

    def is_company(self, author: Any = None, author_id: Any = None, username: Any = None,
                   phone: Any = None) -> bool:
        if username and _fold(username).lstrip("@") in self.usernames:
            return True
        if author_id and _fold(author_id) in self.usernames:
            return True
        if author and _fold(author) in self.names:
            return True
        return any(_digits(v) in self.phones for v in (phone, author) if v and len(_digits(v)) >= 7)

    def direction(self, **fields: Any) -> str:
        return "outbound" if self.is_company(**fields) else "inbound"

    def sql(self, cols: dict[str, str]) -> str:
        """The same rule over SQL expressions of the stage (``cols``: canonical -> expression)."""
        def fold(e: str) -> str:
            return f"lower(regexp_replace(trim({e}), '\\s+', ' ', 'g'))"

        def digits(e: str) -> str:
            d = f"regexp_replace({e}, '[^0-9]', '', 'g')"
            return f"(CASE WHEN length({d}) = 11 AND {d} LIKE '8%' THEN '7' || substr({d}, 2) ELSE {d} END)"

        def in_list(e: str, values: set[str]) -> str:
            return f"{e} IN ({', '.join(sql_str(v) for v in sorted(values))})" if values else "false"

        parts = []
        if "username" in cols:
            parts.append(in_list(f"ltrim({fold(cols['username'])}, '@')", self.usernames))
        if "author_id" in cols:
            parts.append(in_list(fold(cols["author_id"]), self.usernames))
        if "author" in cols:
            parts.append(in_list(fold(cols["author"]), self.names))
            parts.append(in_list(digits(cols["author"]), self.phones))
        if "phone" in cols:
            parts.append(in_list(digits(cols["phone"]), self.phones))
        return "coalesce(" + " OR ".join(parts or ["false"]) + ", false)"


def _row(**values: Any) -> list[str | None]:
    row: list[str | None] = [None] * len(HEADER)
    for k, v in values.items():
        row[_COL[k]] = None if v is None or v == "" else str(v)
    return row


# ------------------------------------------------------------------------------------ Telegram
def telegram_text(value: Any) -> str:
    """Telegram's ``text``: a string, or a list of strings and entity objects, joined."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("text") or "")
    if isinstance(value, list):
        return "".join(telegram_text(v) for v in value)
    return str(value)


_TG_MEDIA = ("photo", "file", "media_type", "sticker_emoji", "poll", "location_information", "contact_information")


def _tg_chats(doc: Any) -> list[dict]:
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        return [doc]
    if isinstance(doc, dict) and isinstance(doc.get("chats"), dict):
        return [c for c in doc["chats"].get("list") or [] if isinstance(c, dict)]
    raise UnreadableFile("not_a_chat_export", "JSON without messages[] or chats.list[] (Telegram Desktop export)")


def _tg_contact_phones(doc: Any) -> dict[str, str]:
    """from_id -> phone from a whole export's address book (``contacts.list[]`` entries with
    ``user_id`` and ``phone_number``), so a chat partner saved with a number maps by phone."""
    book = doc.get("contacts") if isinstance(doc, dict) else None
    entries = book.get("list") if isinstance(book, dict) else None
    out = {}
    for c in entries or []:
        if isinstance(c, dict) and c.get("user_id") and c.get("phone_number"):
            out[f"user{c['user_id']}"] = str(c["phone_number"])
    return out


def parse_telegram(doc: Any, accounts: CompanyAccounts) -> tuple[list[list], list[int], list[str], list[Reject]]:
    """(rows, lines, raw texts, rejects); ``line`` = 1-based position of the message in the file."""
    rows, lines, raws, rejects = [], [], [], []
    phones = _tg_contact_phones(doc)
    n = 0
    for chat in _tg_chats(doc):
        chat_id = str(chat.get("id") if chat.get("id") is not None else chat.get("name") or "")
        for m in chat.get("messages") or []:
            n += 1
            raw = json.dumps(m, ensure_ascii=False)[:_MAX_RAW]
            if not isinstance(m, dict):
                rejects.append(Reject(n, "bad_message: not an object", raw))
                continue
            if m.get("type") == "service":
                rejects.append(Reject(n, f"system_message: {m.get('action') or 'service'}", raw))
                continue
            if not m.get("date") or m.get("id") is None:
                rejects.append(Reject(n, "bad_message: no id or date", raw))
                continue
            text = telegram_text(m.get("text")).strip()
            media = next((str(m.get(k)) if k == "media_type" else k for k in _TG_MEDIA if m.get(k)), None)
            author, author_id = m.get("from"), m.get("from_id")
            phone = phones.get(str(author_id)) if author_id else None
            rows.append(_row(message_id=f"{chat_id}:{m['id']}", chat_id=chat_id, sent_at=str(m["date"]).replace("T", " "),
                             direction=accounts.direction(author=author, author_id=author_id, phone=phone),
                             author=author, author_id=author_id, phone=phone, text=text or None, platform="telegram",
                             media=media, reply_to=m.get("reply_to_message_id"), chat_name=chat.get("name")))
            lines.append(n)
            raws.append(raw)
    return rows, lines, raws, rejects


def read_telegram_file(con: duckdb.DuckDBPyConnection, path: Path, cfg: LandingConfig) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("empty_file", "0 bytes" if not data else "only whitespace")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnreadableFile("not_json", str(exc)[:200]) from exc
    rows, lines, raws, rejects = parse_telegram(doc, CompanyAccounts(cfg.chat))
    create_stage(con, len(HEADER), with_raw=True)
    append_stage(con, len(HEADER), rows, lines, raws)
    return ReadResult(header=list(HEADER), landed=len(rows) + len(rejects), rejects=rejects, reader="telegram_json",
                      encoding="utf-8", join_sep="\t", has_raw=True)


# ------------------------------------------------------------------------------------ WhatsApp
_WA_TIME = r"(\d{1,2})[./-](\d{1,2})[./-](\d{2,4}),?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s?([AaPp])\.?\s?[Mm]\.?)?"
_WA_ANDROID = re.compile(rf"^{_WA_TIME}\s+[-–—]\s+(.*)$")
_WA_IOS = re.compile(rf"^\[{_WA_TIME}\]\s+(.*)$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202c\ufeff"), None)
_WA_MEDIA = re.compile(
    r"^(<[^<>]{2,60}>|(image|video|audio|sticker|gif|document|photo|изображение|видео|аудио|стикер|документ|фото)"
    r"\s+(omitted|отсутствует|пропущено|опущено))$", re.IGNORECASE)
_PHONE_AUTHOR = re.compile(r"^\+?[\d\s().-]{7,}$")


def _wa_header(line: str) -> tuple[tuple, str] | None:
    m = _WA_ANDROID.match(line) or _WA_IOS.match(line)
    if not m:
        return None
    sep = "/" if "/" in line[:12] else "."
    return (*m.groups()[:7], sep), m.group(8)


def _wa_timestamp(parts: tuple, month_first: bool) -> str | None:
    a, b, y, hh, mm, ss, ampm, sep = parts
    day, month = (int(b), int(a)) if (sep == "/" and month_first) else (int(a), int(b))
    year = int(y) + (2000 if len(y) == 2 else 0)
    hour = int(hh)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    import datetime as dt

    try:
        return dt.datetime(year, month, day, hour, int(mm), int(ss or 0)).isoformat(sep=" ")
    except ValueError:
        return None


def _slash_month_first(headers: list[tuple], mode: str) -> bool:
    if mode in ("day_first", "month_first"):
        return mode == "month_first"
    slash = [h for h in headers if h[7] == "/"]
    if any(int(h[1]) > 12 for h in slash):
        return True
    if any(int(h[0]) > 12 for h in slash):
        return False
    return any(h[6] for h in slash)  # a 12-hour clock with ambiguous slash dates: US order


def parse_whatsapp(text: str, chat_id: str, accounts: CompanyAccounts, slash_mode: str = "auto"
                   ) -> tuple[list[list], list[int], list[str], list[Reject]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # pass 1: message starts (and the date order of the file)
    starts: list[tuple[int, tuple, str]] = []
    for i, line in enumerate(lines):
        hit = _wa_header(line.translate(_INVISIBLE).strip())
        if hit:
            starts.append((i, *hit))
    month_first = _slash_month_first([s[1] for s in starts], slash_mode)
    rows, out_lines, raws, rejects = [], [], [], []
    seen: dict[str, int] = {}
    first = starts[0][0] if starts else len(lines)
    for i in range(first):  # text before the first message: not part of any message
        if lines[i].strip():
            rejects.append(Reject(i + 1, "bad_line: not a message header", lines[i][:_MAX_RAW]))
    for k, (i, parts, rest) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        raw = "\n".join([lines[i], *lines[i + 1:end]]).rstrip()[:_MAX_RAW]
        ts = _wa_timestamp(parts, month_first)
        if ts is None:
            rejects.append(Reject(i + 1, "bad_date: impossible date or time", raw))
            continue
        if ": " not in rest and not rest.endswith(":"):
            rejects.append(Reject(i + 1, "system_message: no author", raw))
            continue
        author, first_text = rest.split(":", 1) if ": " not in rest else rest.split(": ", 1)
        author = author.strip().lstrip("~").strip()
        body = "\n".join([first_text, *lines[i + 1:end]]).translate(_INVISIBLE).strip()
        media = None
        if _WA_MEDIA.match(body):
            media, body = body.strip("<>"), ""
        phone = author if _PHONE_AUTHOR.match(author) else None
        key = "\x1f".join([chat_id, ts, author, body])
        n = seen[key] = seen.get(key, 0) + 1
        mid = "wa:" + hashlib.sha1(key.encode()).hexdigest()[:16] + (f":{n}" if n > 1 else "")
        rows.append(_row(message_id=mid, chat_id=chat_id, sent_at=ts,
                         direction=accounts.direction(author=author, phone=phone), author=author, phone=phone,
                         text=body or None, platform="whatsapp", media=media, chat_name=chat_id))
        out_lines.append(i + 1)
        raws.append(raw)
    return rows, out_lines, raws, rejects


def read_whatsapp_file(con: duckdb.DuckDBPyConnection, path: Path, cfg: LandingConfig) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("empty_file", "0 bytes" if not data else "only whitespace")
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary_content", "NUL bytes in a text export")
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    rows, lines, raws, rejects = parse_whatsapp(text, path.stem, CompanyAccounts(cfg.chat),
                                                str(cfg.chat.get("whatsapp_slash_dates") or "auto"))
    if not rows and not any(r.reason.startswith(("system_message", "bad_date")) for r in rejects):
        raise UnreadableFile("not_a_chat_export", "no line starts a WhatsApp message (date, time - author: text)")
    create_stage(con, len(HEADER), with_raw=True)
    append_stage(con, len(HEADER), rows, lines, raws)
    return ReadResult(header=list(HEADER), landed=len(rows) + len(rejects), rejects=rejects, reader="whatsapp_txt",
                      encoding=encoding, join_sep="\t", has_raw=True)


# ----------------------------------------------------------------------------------------- CSV
def fill_csv_direction(con: duckdb.DuckDBPyConnection, result: ReadResult, spec: SourceSpec, cfg: LandingConfig) -> ReadResult:
    """An empty (or missing) direction column of a staged chat CSV gets the company-account rule."""
    mapping = map_header(spec, result.header)
    cols = {c: f"c{i}" for c, i in mapping.canonical.items() if c in ("author", "author_id", "username", "phone")}
    rule = f"CASE WHEN {CompanyAccounts(cfg.chat).sql(cols)} THEN 'outbound' ELSE 'inbound' END"
    if mapping.has("direction"):
        col = f"c{mapping.canonical['direction']}"
        con.execute(f"UPDATE {STAGE} SET {col} = {rule} WHERE nullif(trim({col}), '') IS NULL")
        return result
    col = f"c{len(result.header)}"
    con.execute(f"ALTER TABLE {STAGE} ADD COLUMN {q(col)} VARCHAR")
    con.execute(f"UPDATE {STAGE} SET {col} = {rule}")
    result.header = [*result.header, "direction"]
    result.messages.append("no direction column: direction from the company accounts (sources.yaml chat)")
    return result
