"""Landing contract: which files feed which raw table, with which canonical columns.

The canonical column lists are the data contract (docs/architecture.md) and live in code; the header
synonyms that translate a real export to them live in YAML (``config/sources.yaml`` plus any
``mappings/*.yaml`` in the shipped ``config/`` or in ``CLIENTPULSE_CONFIG_DIR``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clientpulse_config import config_dir, load, shipped_dir

RAW_SCHEMA = "raw"
LINEAGE_COLUMNS: tuple[str, ...] = ("_extra", "_source_file", "_line", "_ingested_at", "_row_hash",
                                     "_more_contacts")
SURROGATE_MODES: tuple[str, ...] = ("none", "content_hash")
SURROGATE_PREFIX = "h:"

CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "crm_contacts": (
        "contact_id", "full_name", "first_name", "last_name", "middle_name", "phone", "email",
        "birth_date", "city", "address", "postcode", "region", "company", "created_at", "manager",
        "comment",
    ),
    "crm_orders": (
        "order_id", "contact_id", "order_date", "amount", "quantity", "status", "category", "discount",
        "unit_price",
    ),
    "mail_messages": (
        "message_id", "sent_at", "from_address", "to_address", "subject", "body", "direction",
    ),
    "phone_calls": (
        "call_id", "started_at", "phone", "direction", "status", "duration_sec", "manager", "transcript",
    ),
    "support_tickets": (
        "ticket_id", "created_at", "closed_at", "contact_id", "email", "phone", "category", "status",
        "reopen_count", "handling_minutes", "text",
    ),
    "marketing_events": (
        "event_id", "occurred_at", "contact_id", "email", "phone", "event_type",
    ),
    # chats (folder chat/): Telegram Desktop result.json, WhatsApp text exports, a CSV form;
    # data_quality/landing/chat_reader.py. author_id: the platform's sender id (Telegram from_id)
    "chat_messages": (
        "message_id", "chat_id", "sent_at", "direction", "author", "author_id", "phone", "username",
        "email", "text",
    ),
    # what the business sent from the action lists and how the customer answered (optional folder
    # actions/): the lists' chains advance from it and a goodbye without a click suppresses
    "actions_log": (
        "action_id", "customer_id", "contact_id", "email", "phone", "action", "sent_at", "channel",
        "response", "responded_at",
    ),
}
ID_COLUMNS: dict[str, str] = {table: cols[0] for table, cols in CANONICAL_COLUMNS.items()}
RAW_TABLES: tuple[str, ...] = tuple(CANONICAL_COLUMNS)

REJECTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "VARCHAR"), ("file", "VARCHAR"), ("line", "INTEGER"), ("reason", "VARCHAR"),
    ("raw_text", "VARCHAR"), ("ingested_at", "TIMESTAMP"),
)
REGISTRY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("path", "VARCHAR"), ("size", "BIGINT"), ("sha256", "VARCHAR"), ("ingested_at", "TIMESTAMP"),
    ("table", "VARCHAR"), ("landed_rows", "BIGINT"), ("raw_rows", "BIGINT"), ("rejected_rows", "BIGINT"),
    ("status", "VARCHAR"), ("mtime_ns", "BIGINT"), ("config_hash", "VARCHAR"), ("reader", "VARCHAR"),
    ("encoding", "VARCHAR"), ("delimiter", "VARCHAR"), ("message", "VARCHAR"),
    # pattern | name_hint | headers: how a file was assigned its table (NULL: rejected unassigned)
    ("routed_by", "VARCHAR"),
    # records whose id was derived from their content (surrogate_id: content_hash)
    ("derived_ids", "BIGINT"),
)


def raw_table_columns(table: str) -> list[tuple[str, str]]:
    """Full column list (name, DuckDB type) of a raw source table."""
    cols = [(c, "VARCHAR") for c in CANONICAL_COLUMNS[table]]
    # _more_contacts last: raw tables created before it get it appended by ALTER TABLE
    return cols + [("_extra", "VARCHAR"), ("_source_file", "VARCHAR"), ("_line", "INTEGER"),
                   ("_ingested_at", "TIMESTAMP"), ("_row_hash", "VARCHAR"), ("_more_contacts", "VARCHAR")]


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_header(name: Any) -> str:
    """Case/space/punctuation-insensitive key of a header: «Рабочий e-mail» -> 'рабочийemail'."""
    text = unicodedata.normalize("NFKC", str(name or "")).casefold().replace("ё", "е")
    return _NON_WORD.sub("", text)


_CAMEL = re.compile(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])|(?<=\D)(?=\d)|(?<=\d)(?=\D)")


def header_tokens(name: Any) -> tuple[str, ...]:
    """Words of a header: «order_purchase_timestamp», "OrderPurchaseTimestamp" and
    "Order Purchase Timestamp" all give ('order', 'purchase', 'timestamp')."""
    text = _CAMEL.sub(" ", unicodedata.normalize("NFKC", str(name or "")))
    return tuple(t for t in _NON_WORD.split(text.casefold().replace("ё", "е")) if t)


@dataclass(frozen=True)
class TokenRule:
    """Last-resort header match for one canonical column: a header matches when it contains a
    term of every group and none of ``exclude``. A term is one or more words matched as
    consecutive header words; a trailing ``*`` makes its last word a stem («телефон*»)."""

    column: str
    groups: tuple[tuple[str, ...], ...]
    exclude: tuple[str, ...] = ()

    @staticmethod
    def _has(tokens: tuple[str, ...], term: str) -> bool:
        stem = term.endswith("*")
        words = header_tokens(term.rstrip("*"))
        if not words:
            return False
        k = len(words)
        for i in range(len(tokens) - k + 1):
            if tokens[i:i + k - 1] == words[:-1] and (
                    tokens[i + k - 1].startswith(words[-1]) if stem else tokens[i + k - 1] == words[-1]):
                return True
        return False

    def matches(self, tokens: tuple[str, ...]) -> bool:
        return (all(any(self._has(tokens, t) for t in g) for g in self.groups)
                and not any(self._has(tokens, t) for t in self.exclude))


@dataclass(frozen=True)
class SourceSpec:
    table: str
    folder: str
    patterns: tuple[str, ...]
    synonyms: dict[str, tuple[str, ...]]  # canonical -> synonyms in priority order
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # routing of files whose name matches no pattern: name substrings, and column sets one of
    # which the headers must map to (default: the id column)
    name_hints: tuple[str, ...] = ()
    signatures: tuple[tuple[str, ...], ...] = ()
    token_rules: tuple[TokenRule, ...] = ()

    @property
    def id_column(self) -> str:
        return ID_COLUMNS[self.table]

    @property
    def surrogate_id(self) -> str:
        """``content_hash``: a record without an id gets one derived from its content."""
        return str(self.options.get("surrogate_id") or "none")

    @property
    def contact_columns(self) -> tuple[str, ...]:
        """Canonical columns several headers may fill («Рабочий email», «Личный email»)."""
        return tuple(_as_list(self.options.get("contact_columns")))

    def content_signatures(self) -> tuple[tuple[str, ...], ...]:
        """Column sets (besides the id) enough to tell one record from another."""
        return tuple(sig for sig in self.routing_signatures() if self.id_column not in sig)

    @property
    def columns(self) -> tuple[str, ...]:
        return CANONICAL_COLUMNS[self.table]

    def routing_signatures(self) -> tuple[tuple[str, ...], ...]:
        return self.signatures or ((self.id_column,),)

    def matches(self, relpath: str) -> bool:
        parts = relpath.split("/")
        if len(parts) != 2 or parts[0].casefold() != self.folder.casefold():
            return False
        name = parts[1].casefold()
        return any(fnmatch.fnmatchcase(name, p.casefold()) for p in self.patterns)

    def lookup(self) -> dict[str, tuple[int, str]]:
        """normalized synonym -> (priority, canonical)."""
        out: dict[str, tuple[int, str]] = {}
        for canonical, syns in self.synonyms.items():
            for prio, syn in enumerate((canonical, *syns)):
                key = normalize_header(syn)
                if key and (key not in out or prio < out[key][0]):
                    out[key] = (prio, canonical)
        return out

    def config_hash(self, extra: Any = None) -> str:
        payload = json.dumps([self.table, self.synonyms, self.options, extra], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class HeaderMapping:
    """How the header of one file maps to the raw table."""

    header: tuple[str, ...]
    canonical: dict[str, int]  # canonical column -> header index
    extra: dict[str, int]  # original header (made unique) -> header index
    # canonical -> further header indexes mapping to it by synonym (priority order); they stay in
    # `extra` too
    alternates: dict[str, tuple[int, ...]] = field(default_factory=dict)
    by_tokens: dict[str, int] = field(default_factory=dict)  # canonical filled by a token rule
    token_ambiguous: dict[str, tuple[int, ...]] = field(default_factory=dict)  # canonical -> claimants

    def has(self, column: str) -> bool:
        return column in self.canonical

    def token_notes(self) -> list[str]:
        """Human-readable token matches, for the registry message and the log."""
        notes = [f"{self.header[i]!r} -> {c}" for c, i in self.by_tokens.items()]
        notes += [f"{c} left unfilled: {', '.join(repr(self.header[i]) for i in idx)} all match"
                  for c, idx in self.token_ambiguous.items()]
        return notes


def map_header(spec: SourceSpec, header: Iterable[Any]) -> HeaderMapping:
    """Map each header cell to a canonical column (best synonym wins) or to ``_extra``."""
    header = tuple("" if h is None else str(h).strip() for h in header)
    lookup = spec.lookup()
    hits: dict[str, list[tuple[int, int]]] = {}  # canonical -> [(priority, index)]
    unmatched: list[int] = []
    for idx, name in enumerate(header):
        hit = lookup.get(normalize_header(name))
        if hit is None:
            unmatched.append(idx)
            continue
        prio, canonical = hit
        hits.setdefault(canonical, []).append((prio, idx))
    ranked = {c: [i for _, i in sorted(v)] for c, v in hits.items()}
    canonical = {c: idx[0] for c, idx in ranked.items()}
    alternates = {c: tuple(idx[1:]) for c, idx in ranked.items() if len(idx) > 1}
    by_tokens, ambiguous = _token_matches(spec, header, unmatched, set(canonical))
    canonical.update(by_tokens)
    used = set(canonical.values())
    extra: dict[str, int] = {}
    for idx, name in enumerate(header):
        if idx in used:
            continue
        key = name or f"column_{idx + 1}"
        base, n = key, 2
        while key in extra:
            key, n = f"{base} ({n})", n + 1
        extra[key] = idx
    return HeaderMapping(header=header, canonical=canonical, extra=extra, alternates=alternates,
                         by_tokens=by_tokens, token_ambiguous=ambiguous)


def _token_matches(spec: SourceSpec, header: tuple[str, ...], unmatched: list[int], filled: set[str]
                   ) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    """Token rules for headers no synonym knows: a column still unfilled is taken by the one
    header claiming it; a header claiming several columns takes none (too vague to guess)."""
    rules = [r for r in spec.token_rules if r.column not in filled]
    if not rules or not unmatched:
        return {}, {}
    claims: dict[str, list[int]] = {}
    for idx in unmatched:
        tokens = header_tokens(header[idx])
        cols = list(dict.fromkeys(r.column for r in rules if r.matches(tokens)))
        if len(cols) == 1:
            claims.setdefault(cols[0], []).append(idx)
    won = {c: idx[0] for c, idx in claims.items() if len(idx) == 1}
    ambiguous = {c: tuple(idx) for c, idx in claims.items() if len(idx) > 1}
    return won, ambiguous


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LandingConfig:
    sources: tuple[SourceSpec, ...]
    company_domains: tuple[str, ...]
    options: dict[str, Any]
    mapping_files: tuple[str, ...] = ()
    mail: dict[str, Any] = field(default_factory=dict)
    chat: dict[str, Any] = field(default_factory=dict)  # sources.yaml chat: the company's own accounts

    def fingerprint_extra(self) -> Any:
        """Config beyond a source's synonyms that changes what lands (part of the config hash)."""
        extra = [list(self.company_domains), sorted(self.mail.items(), key=str)]
        return extra + [sorted(self.chat.items(), key=str)] if self.chat else extra

    def for_path(self, relpath: str) -> SourceSpec | None:
        for spec in self.sources:
            if spec.matches(relpath):
                return spec
        return None

    def folders(self) -> set[str]:
        return {s.folder.casefold() for s in self.sources}

    def in_folder(self, folder: str) -> list[SourceSpec]:
        return [s for s in self.sources if s.folder.casefold() == folder.casefold()]

    def routing_fingerprint(self, folder: str) -> str:
        """Everything that decides where an unpatterned file of ``folder`` goes."""
        payload = json.dumps([[s.table, s.synonyms, s.name_hints, s.routing_signatures(),
                               s.options.get("header_tokens")]
                              for s in self.in_folder(folder)], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def source(self, table: str) -> SourceSpec:
        for spec in self.sources:
            if spec.table == table:
                return spec
        raise KeyError(table)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value]


def _mapping_dirs() -> list[Path]:
    dirs = [base / "mappings" for base in (config_dir(), shipped_dir()) if base is not None]
    seen, out = set(), []
    for d in dirs:
        r = d.resolve()
        if r not in seen and d.is_dir():
            seen.add(r)
            out.append(d)
    return out


def _user_mappings(dirs: Iterable[Path]) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """Read ``mappings/*.yaml``: either ``{source: t, columns: {canon: [syn...]}}`` or
    ``{mappings: {t: {canon: [syn...]}}}``. Returns (table, canonical, synonyms) triples."""
    triples: list[tuple[str, str, list[str]]] = []
    files: list[str] = []
    for d in dirs:
        for path in sorted([*d.glob("*.yaml"), *d.glob("*.yml")]):
            with open(path, encoding="utf-8") as fh:
                doc = yaml.safe_load(fh) or {}
            files.append(str(path))
            blocks: dict[str, Any] = {}
            if "source" in doc:
                blocks[str(doc["source"])] = doc.get("columns") or {}
            for table, cols in (doc.get("mappings") or {}).items():
                blocks[str(table)] = cols or {}
            for table, cols in blocks.items():
                if table not in CANONICAL_COLUMNS:
                    raise ValueError(f"{path}: unknown source {table!r}; known: {', '.join(RAW_TABLES)}")
                for canonical, syns in cols.items():
                    if canonical not in CANONICAL_COLUMNS[table]:
                        raise ValueError(
                            f"{path}: {table}.{canonical} is not a canonical column; "
                            f"known: {', '.join(CANONICAL_COLUMNS[table])}")
                    triples.append((table, canonical, _as_list(syns)))
    return triples, files


_SPEC_KEYS = ("folder", "patterns", "columns", "name_hints", "signatures")


def _token_rules(table: str, block: Any) -> tuple[TokenRule, ...]:
    """``header_tokens: {column: {all: [[terms], [terms]], not: [terms]}}``; a plain list of
    terms is one group."""
    rules = []
    for column, rule in (block or {}).items():
        if column not in CANONICAL_COLUMNS[table] or column == ID_COLUMNS[table]:
            raise ValueError(f"sources.yaml: {table}.header_tokens: {column!r} must be a canonical "
                             "column other than the id")
        if not isinstance(rule, dict):
            rule = {"all": [rule]}
        groups = tuple(tuple(_as_list(g)) for g in _as_list_of_lists(rule.get("all")))
        if not groups or not all(groups):
            raise ValueError(f"sources.yaml: {table}.header_tokens.{column}: `all` needs terms")
        rules.append(TokenRule(column, groups, tuple(_as_list(rule.get("not")))))
    return tuple(rules)


def _as_list_of_lists(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [[value]]
    if value and all(isinstance(v, str) for v in value):
        return [list(value)]
    return list(value)


def load_landing_config(doc: dict[str, Any] | None = None,
                        mapping_dirs: Iterable[Path] | None = None) -> LandingConfig:
    """Build the landing config from ``sources.yaml`` (or ``doc``) and the mapping folders.

    User mappings are put *before* the shipped synonyms, so a user's export wins ties.
    """
    doc = load("sources") if doc is None else doc
    user, files = _user_mappings(_mapping_dirs() if mapping_dirs is None else mapping_dirs)
    specs = []
    for table, block in (doc.get("sources") or {}).items():
        if table not in CANONICAL_COLUMNS:
            raise ValueError(f"sources.yaml: unknown source {table!r}; known: {', '.join(RAW_TABLES)}")
        block = block or {}
        synonyms: dict[str, list[str]] = {c: [] for c in CANONICAL_COLUMNS[table]}
        for t, canonical, syns in user:
            if t == table:
                synonyms[canonical].extend(syns)
        for canonical, syns in (block.get("columns") or {}).items():
            if canonical not in synonyms:
                raise ValueError(f"sources.yaml: {table}.{canonical} is not a canonical column")
            synonyms[canonical].extend(_as_list(syns))
        signatures = tuple(tuple(_as_list(sig)) for sig in block.get("signatures") or [])
        for sig in signatures:
            unknown = [c for c in sig if c not in CANONICAL_COLUMNS[table]]
            if unknown or not sig:
                raise ValueError(f"sources.yaml: {table}.signatures: {sig!r} must list canonical columns")
        options = {k: v for k, v in block.items() if k not in _SPEC_KEYS}
        if str(options.get("surrogate_id") or "none") not in SURROGATE_MODES:
            raise ValueError(f"sources.yaml: {table}.surrogate_id must be one of {', '.join(SURROGATE_MODES)}")
        specs.append(SourceSpec(
            table=table,
            folder=str(block.get("folder", table.split("_")[0])),
            patterns=tuple(_as_list(block.get("patterns")) or [f"{table}*.csv"]),
            synonyms={c: tuple(s) for c, s in synonyms.items()},
            options=options,
            name_hints=tuple(_as_list(block.get("name_hints"))),
            signatures=signatures,
            token_rules=_token_rules(table, block.get("header_tokens")),
        ))
    missing = set(RAW_TABLES) - {s.table for s in specs}
    if missing:
        raise ValueError(f"sources.yaml: no block for {', '.join(sorted(missing))}")
    mail = doc.get("mail") or {}
    domains = tuple(d.strip().lower().lstrip("@") for d in _as_list(
        mail.get("company_domains", doc.get("company_domains"))) if d.strip())
    return LandingConfig(sources=tuple(specs), company_domains=domains,
                         options=dict(doc.get("reading") or {}), mapping_files=tuple(files),
                         mail=dict(mail), chat=dict(doc.get("chat") or {}))
