"""Landing contract: which files feed which raw table, with which canonical columns.

The canonical column lists are the data contract (DESIGN.md §3) and live in code; the header
synonyms that translate a real export to them live in YAML (``config/sources.yaml`` plus any
``mappings/*.yaml`` next to it or in ``CLIENTPULSE_CONFIG_DIR``).
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

from data_quality.config import DEFAULT_CONFIG_DIR, config_dir, load_yaml

RAW_SCHEMA = "raw"
LINEAGE_COLUMNS: tuple[str, ...] = ("_extra", "_source_file", "_line", "_ingested_at", "_row_hash")

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
)


def raw_table_columns(table: str) -> list[tuple[str, str]]:
    """Full column list (name, DuckDB type) of a raw source table."""
    cols = [(c, "VARCHAR") for c in CANONICAL_COLUMNS[table]]
    return cols + [("_extra", "VARCHAR"), ("_source_file", "VARCHAR"), ("_line", "INTEGER"),
                   ("_ingested_at", "TIMESTAMP"), ("_row_hash", "VARCHAR")]


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_header(name: Any) -> str:
    """Case/space/punctuation-insensitive key of a header: «Рабочий e-mail» -> 'рабочийemail'."""
    text = unicodedata.normalize("NFKC", str(name or "")).casefold().replace("ё", "е")
    return _NON_WORD.sub("", text)


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

    @property
    def id_column(self) -> str:
        return ID_COLUMNS[self.table]

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

    def has(self, column: str) -> bool:
        return column in self.canonical


def map_header(spec: SourceSpec, header: Iterable[Any]) -> HeaderMapping:
    """Map each header cell to a canonical column (best synonym wins) or to ``_extra``."""
    header = tuple("" if h is None else str(h).strip() for h in header)
    lookup = spec.lookup()
    best: dict[str, tuple[int, int]] = {}  # canonical -> (priority, index)
    for idx, name in enumerate(header):
        hit = lookup.get(normalize_header(name))
        if hit is None:
            continue
        prio, canonical = hit
        if canonical not in best or prio < best[canonical][0]:
            best[canonical] = (prio, idx)
    canonical = {c: idx for c, (_, idx) in best.items()}
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
    return HeaderMapping(header=header, canonical=canonical, extra=extra)


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

    def fingerprint_extra(self) -> Any:
        """Config beyond a source's synonyms that changes what lands (part of the config hash)."""
        return [list(self.company_domains), sorted(self.mail.items(), key=str)]

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
        payload = json.dumps([[s.table, s.synonyms, s.name_hints, s.routing_signatures()]
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
    dirs = [config_dir() / "mappings", DEFAULT_CONFIG_DIR / "mappings"]
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


def load_landing_config(doc: dict[str, Any] | None = None,
                        mapping_dirs: Iterable[Path] | None = None) -> LandingConfig:
    """Build the landing config from ``sources.yaml`` (or ``doc``) and the mapping folders.

    User mappings are put *before* the shipped synonyms, so a user's export wins ties.
    """
    doc = load_yaml("sources.yaml") if doc is None else doc
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
        specs.append(SourceSpec(
            table=table,
            folder=str(block.get("folder", table.split("_")[0])),
            patterns=tuple(_as_list(block.get("patterns")) or [f"{table}*.csv"]),
            synonyms={c: tuple(s) for c, s in synonyms.items()},
            options={k: v for k, v in block.items() if k not in _SPEC_KEYS},
            name_hints=tuple(_as_list(block.get("name_hints"))),
            signatures=signatures,
        ))
    missing = set(RAW_TABLES) - {s.table for s in specs}
    if missing:
        raise ValueError(f"sources.yaml: no block for {', '.join(sorted(missing))}")
    mail = doc.get("mail") or {}
    domains = tuple(d.strip().lower().lstrip("@") for d in _as_list(
        mail.get("company_domains", doc.get("company_domains"))) if d.strip())
    return LandingConfig(sources=tuple(specs), company_domains=domains,
                         options=dict(doc.get("reading") or {}), mapping_files=tuple(files),
                         mail=dict(mail))
