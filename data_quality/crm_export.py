"""The CRM import file: the normalised base written back as amoCRM / Bitrix24 CSVs.

One row per golden customer (``core.customers``) that has something to write (a real name, a
valid phone or a valid e-mail; the others are left out and counted). A customer that came from
the CRM is keyed by the CRM's own contact id (``crm_id``: the surviving CRM record of the
customer, see ``SURVIVOR_RULE``) so a re-import updates the contact instead of creating a new
one; when identity resolution merged several CRM records into one customer, the merge list file
says which records are one customer and which survives. The manager is the normalised one of
``marts.customer_verdict`` (one spelling per manager), every valid phone and e-mail of the
customer goes into the target's phone / e-mail columns (``phone_1`` … / ``email_1`` …), and the
tags are Russian: segment, risk stage, action level, data-quality flags.

Column sets, encodings, delimiters and tag texts are configuration: ``config/crm_export.yaml``.
Every cell goes through ``data_quality.safe_cells`` (no formula reaches a spreadsheet; an E.164
phone of a phone column stays a phone). Files go to ``<data dir>/export/`` and are replaced
atomically (written aside, then ``os.replace``), so a half-written file is never imported.
"""

from __future__ import annotations

import csv
import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_quality.safe_cells import (
    is_e164,
    is_missing,
    needs_quote,
    neutralise_column,
    safe_text,
    safe_text_column,
)

CONFIG_FILE = "crm_export.yaml"
EXPORT_DIR = "export"
CRM_SOURCE = "crm_contact"
SURVIVOR_RULE = ("сохраняется контакт, созданный в CRM первым (created_at), при равенстве или без даты — "
                 "с меньшим ID")  # fmt: skip

GOLDEN_FIELDS = (
    "customer_id", "crm_id", "full_name", "first_name", "last_name", "middle_name", "phone_e164", "email",
    "birth_date", "city", "address", "postcode", "company", "manager", "completeness_score",
    "is_reachable", "dq_flags", "dq_status", "missing_fields", "sources", "record_count", "tags",
    "segment", "risk_stage", "action_level",
)  # fmt: skip
MULTI_FIELD = re.compile(r"(phone|email)_([1-9][0-9]?)")
PHONE_FIELDS = ("phone_e164",)
MERGE_FIELDS = ("customer_id", "survivor_crm_id", "merged_crm_id", "rule", "crm", "full_name", "phone_e164",
                "email", "manager")  # fmt: skip

# One row per golden customer. The verdict, clusters and seeds may be missing (a partial run, a
# unit test): optional_relations() swaps in an empty relation with the same columns.
EXPORT_QUERY = """
SELECT
    c.customer_id, c.full_name, c.first_name, c.last_name, c.middle_name, c.phone_e164, c.email,
    c.birth_date, c.city, c.address, c.postcode, c.company, c.manager AS manager_raw,
    coalesce(v.manager, nullif(trim(c.manager), '')) AS manager, c.sources, c.record_count,
    q.completeness_score, q.is_reachable, q.dq_flags, q.missing_fields, q.name_valid,
    v.risk_stage, v.action_level, al.action_level_ru, cl.cluster_name AS segment
FROM core.customers AS c
LEFT JOIN quality.quality_customer_completeness AS q USING (customer_id)
LEFT JOIN {verdict} AS v USING (customer_id)
LEFT JOIN {clusters} AS cl USING (customer_id)
LEFT JOIN {action_levels} AS al ON al.action_level = v.action_level
ORDER BY c.customer_id
"""

# Every CRM contact record of a customer with its landing file (which CRM it came from) and its
# creation date (the survivor rule's key).
CRM_RECORDS_QUERY = """
SELECT i.customer_id, i.source_record_id AS crm_id, s._source_file AS source_file, s.created_at
FROM core.customer_identity AS i
LEFT JOIN (SELECT contact_id, _source_file, min(created_at) AS created_at FROM staging.stg_crm_contacts GROUP BY 1, 2) AS s
       ON s.contact_id = i.source_record_id
WHERE i.source = '{source}'
"""

# Every valid phone and e-mail of every record of a customer, with how often each was seen.
CONTACTS_QUERY = """
WITH rec AS (
    SELECT i.customer_id, r.phone_e164, r.phone_e164_extra, r.email, r.email_key
    FROM core.customer_identity AS i
    JOIN intermediate.int_identity_records AS r USING (source, source_record_id)
)
SELECT customer_id, 'phone' AS kind, value, count(*) AS n FROM (
    SELECT customer_id, phone_e164 AS value FROM rec UNION ALL SELECT customer_id, phone_e164_extra FROM rec
) WHERE value IS NOT NULL GROUP BY 1, 2, 3
UNION ALL
SELECT customer_id, 'email', lower(trim(email)), count(*) FROM rec
WHERE email_key IS NOT NULL AND email IS NOT NULL GROUP BY 1, 2, 3
"""

OPTIONAL = {
    "verdict": ("marts", "customer_verdict", "customer_id VARCHAR, manager VARCHAR, risk_stage VARCHAR, action_level INTEGER"),
    "clusters": ("ml", "customer_clusters", "customer_id VARCHAR, cluster_name VARCHAR"),
    "action_levels": ("reference", "action_levels", "action_level INTEGER, action_level_ru VARCHAR"),
    "reason_codes": ("reference", "dq_reason_codes", "reason_code VARCHAR, description_ru VARCHAR"),
}


@dataclass
class ExportResult:
    target: str
    path: Path
    rows: int
    columns: list[str]
    encoding: str
    delimiter: str
    unencodable_cells: int
    overflow_values: int = 0  # phones / e-mails beyond the target's columns, joined into its last one
    with_crm_id: int = 0  # rows keyed by the CRM's own contact id (a re-import updates them)


@dataclass
class ExportRun:
    results: list[ExportResult]
    customers: int
    left_out: int  # nothing to write: no name, no valid phone, no valid e-mail
    filtered: int  # dropped by include_unreachable / include_without_name
    with_crm_id: int
    merged_records: int  # CRM records merged into another one (rows of the merge list)
    merge_list: Path | None = None
    managers_raw: int = 0
    managers: int = 0
    notes: list[str] = field(default_factory=list)


def _relation(con: Any, schema: str, table: str, columns: str) -> str:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchone()[0]
    if exists:
        return f"{schema}.{table}"
    names = ", ".join(f"CAST(NULL AS {c.split()[1]}) AS {c.split()[0]}" for c in columns.split(", "))
    return f"(SELECT {names} WHERE false)"


def read_export_frames(con: Any, config: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, str], list[str]]:
    """Customers, CRM records, contacts, Russian dq labels, and notes on what was missing."""
    rel = {k: _relation(con, *v) for k, v in OPTIONAL.items()}
    notes = [f"{'.'.join(OPTIONAL[k][:2])} missing: written without it" for k, r in rel.items() if r.startswith("(")]
    customers = con.execute(EXPORT_QUERY.format(**rel)).df()
    source = str(config.get("crm_source", CRM_SOURCE)).replace("'", "")
    records = con.execute(CRM_RECORDS_QUERY.format(source=source)).df()
    contacts = con.execute(CONTACTS_QUERY).df()
    labels = dict(con.execute(f"SELECT reason_code, description_ru FROM {rel['reason_codes']}").fetchall())
    return customers, records, contacts, labels, notes


def load_export_config(config: dict[str, Any] | None = None) -> dict[str, Any]:
    if config is None:
        from clientpulse_config import load

        config = load(CONFIG_FILE)
    cfg = config
    targets = cfg.get("targets") or {}
    if not targets:
        raise ValueError(f"{CONFIG_FILE}: no targets")
    for name, target in targets.items():
        fields = set((target.get("columns") or {}).values())
        unknown = sorted(f for f in fields - set(GOLDEN_FIELDS) if not MULTI_FIELD.fullmatch(f))
        if unknown:
            raise ValueError(f"{CONFIG_FILE}: target {name!r} maps to unknown fields {unknown} "
                             f"(known: {GOLDEN_FIELDS}, phone_1 … phone_N, email_1 … email_N)")  # fmt: skip
        if not target.get("file") or not target.get("columns"):
            raise ValueError(f"{CONFIG_FILE}: target {name!r} needs `file` and `columns`")
        "".encode(target.get("encoding", "utf-8"))  # unknown codec -> LookupError now, not mid-run
    return cfg


def _as_list(value: Any) -> list[str]:
    """A DuckDB list (numpy array / list) or a scalar as a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if hasattr(value, "__iter__"):
        return [str(v) for v in value if not is_missing(v)]
    return [] if is_missing(value) else [str(value)]


def text_rank(values: Any) -> np.ndarray:
    """Each value's rank in code-point order (equal texts, equal ranks): a sort key for np.lexsort,
    sorted as fixed-width text (object arrays sort by Python comparisons, 20x slower at 1M)."""
    return np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)[1].reshape(-1)


def _id_rank(crm_ids: pd.Series) -> np.ndarray:
    """One integer rank per id (for np.lexsort): all-digit ids compare as numbers (``9`` before
    ``10``), the others as text after them."""
    text = crm_ids.str.strip()
    digits = text.str.isdecimal().to_numpy(dtype=bool)
    order = np.empty(len(text), dtype=np.int64)
    numbers = [int(t) for t in text[digits]]
    try:
        number_rank = np.unique(np.array(numbers, dtype=np.int64), return_inverse=True)[1].reshape(-1)
    except OverflowError:  # ids beyond 64 bits: ranked as Python integers
        number_rank = np.unique(np.array(numbers, dtype=object), return_inverse=True)[1].reshape(-1)
    order[digits] = number_rank
    order[~digits] = text_rank(text[~digits]) + (number_rank.max() + 1 if len(number_rank) else 0)
    return order


def survivors(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_id -> crm_id of the survivor, merge rows customer_id / survivor / merged).

    ``SURVIVOR_RULE``: the CRM contact created first keeps its id (it carries the deals and the
    history in the CRM, like identity keeps the oldest customer id); without dates the smaller id."""
    if records is None or records.empty:
        empty = pd.DataFrame(columns=["customer_id", "crm_id"])
        return empty, pd.DataFrame(columns=["customer_id", "survivor_crm_id", "merged_crm_id"])
    r = records.dropna(subset=["crm_id"]).copy()
    r["crm_id"] = r["crm_id"].astype(str)
    r = r.drop_duplicates(["customer_id", "crm_id"])
    created = (pd.to_datetime(r["created_at"], errors="coerce") if "created_at" in r
               else pd.Series(pd.NaT, index=r.index, dtype="datetime64[ns]"))  # fmt: skip
    missing = created.isna().to_numpy(dtype=bool)
    created_ns = np.where(missing, 0, created.array.asi8)
    order = np.lexsort((_id_rank(r["crm_id"]), created_ns, missing, text_rank(r["customer_id"])))
    r = r.iloc[order]
    first = r.drop_duplicates("customer_id")[["customer_id", "crm_id"]]
    merged = r.merge(first.rename(columns={"crm_id": "survivor_crm_id"}), on="customer_id")
    merged = merged[merged["crm_id"] != merged["survivor_crm_id"]].rename(columns={"crm_id": "merged_crm_id"})
    return first.reset_index(drop=True), merged[["customer_id", "survivor_crm_id", "merged_crm_id"]].reset_index(drop=True)


def _contact_lists(customers: pd.DataFrame, contacts: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Per customer: every valid phone / e-mail, the golden one first, then by how often seen."""
    seen: dict[str, dict[str, list[str]]] = {"phone": {}, "email": {}}
    if contacts is not None and not contacts.empty:
        ranks = (text_rank(contacts["value"]), -contacts["n"].to_numpy(dtype=np.int64), text_rank(contacts["kind"]),
                 text_rank(contacts["customer_id"]))  # fmt: skip
        ordered = contacts.iloc[np.lexsort(ranks)]  # customer, kind, most often seen first, value
        for kind, lists in seen.items():
            part = ordered[ordered["kind"] == kind]
            ids = part["customer_id"].to_numpy(dtype=object)
            if not len(ids):
                continue
            starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])  # sorted: each customer's run of rows
            values = part["value"].astype(str).to_numpy(dtype=object)
            lists.update(zip(ids[starts], (run.tolist() for run in np.split(values, starts[1:]))))

    def merge(golden: Any, extra: list[str]) -> list[str]:
        out = [] if is_missing(golden) or not str(golden) else [str(golden)]
        return out + [v for v in extra if v not in out]

    phones, emails = seen["phone"], seen["email"]
    ph = pd.Series([merge(g, phones.get(c, [])) for c, g in zip(customers["customer_id"], customers["phone_e164"])],
                   index=customers.index, dtype=object)  # fmt: skip
    em = pd.Series([merge(None if is_missing(g) else str(g).strip().lower(), emails.get(c, []))
                    for c, g in zip(customers["customer_id"], customers["email"])], index=customers.index, dtype=object)  # fmt: skip
    return ph, em


def _tags(segment: Any, stage: Any, level: Any, label: Any, flags: list[str], config: dict[str, Any],
          labels: dict[str, str]) -> list[str]:
    """Russian tags: segment, risk stage, action level, data-quality flags (no commas inside a tag:
    amoCRM splits tags on commas)."""
    t = config.get("tags") or {}
    out: list[str] = []
    if not is_missing(segment) and t.get("segment"):
        out.append(t["segment"].format(value=segment))
    if not is_missing(stage) and (t.get("risk_stage") or {}).get(stage):
        out.append(t["risk_stage"][stage])
    if not is_missing(level) and t.get("action_level"):
        out.append(t["action_level"].format(value=int(level), label="" if is_missing(label) else label).strip(" :"))
    if t.get("dq_flag"):
        out += [t["dq_flag"].format(value=labels.get(f, f)) for f in flags]
    return [re.sub(r"\s*[,;]\s*", " ", x).strip() for x in out if x]


def target_records(records: pd.DataFrame | None, target: dict[str, Any]) -> pd.DataFrame | None:
    """The CRM records whose landing file matches the target's ``id_files`` (its own CRM's exports:
    an amoCRM id means nothing to Bitrix24). A record without a known file matches only ``*``."""
    if records is None or records.empty:
        return records
    patterns = list(target.get("id_files") or ["*"])
    files = records["source_file"] if "source_file" in records else pd.Series([None] * len(records), index=records.index)
    codes, names = pd.factorize(files, use_na_sentinel=True)  # each file name matched once
    matched = np.array([any(fnmatch.fnmatch(str(f), p) for p in patterns) for f in names] + ["*" in patterns], dtype=bool)
    return records[matched[codes]]


def prepare_customers(frame: pd.DataFrame, config: dict[str, Any], records: pd.DataFrame | None = None,
                      contacts: pd.DataFrame | None = None, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Derive crm_id (the survivor among ``records``), phones, emails, tags, ``dq_status`` (``ok`` or
    ``review: <flags>``) and ``has_content``; apply the filters (``filtered`` marks the rows they drop)."""
    out = frame.copy()
    if "dq_flags" not in out:
        out["dq_flags"] = [[] for _ in range(len(out))]
    out["dq_flags"] = out["dq_flags"].map(_as_list)
    out["dq_status"] = out["dq_flags"].map(lambda f: "review: " + ", ".join(f) if f else "ok")
    for col in ("phone_e164", "email", "full_name", "manager"):
        if col not in out:
            out[col] = None
    first, _ = survivors(records)
    out = out.merge(first, on="customer_id", how="left") if len(first) else out.assign(crm_id=None)
    out["phones"], out["emails"] = _contact_lists(out, contacts)
    empty = pd.Series([None] * len(out), index=out.index, dtype=object)
    tag_inputs = [out[c] if c in out else empty for c in ("segment", "risk_stage", "action_level", "action_level_ru")]
    built: dict[tuple, list[str]] = {}  # few distinct (segment, stage, level, label, flags): each built once
    column = []
    for row in zip(*tag_inputs, out["dq_flags"]):
        key = tuple(None if is_missing(v) else v for v in row[:4]) + (tuple(row[4]),)
        if key not in built:
            built[key] = _tags(*key[:4], list(key[4]), config, labels or {})
        column.append(built[key])
    out["tags"] = column
    named = out["name_valid"].astype("boolean").fillna(False).astype(bool) if "name_valid" in out else out["full_name"].notna()
    named &= out["full_name"].map(lambda v: not is_missing(v) and bool(str(v).strip()))
    out["has_content"] = named | out["phones"].map(bool) | out["emails"].map(bool)
    keep = pd.Series(True, index=out.index)
    if not config.get("include_unreachable", True) and "is_reachable" in out:
        keep &= out["is_reachable"].fillna(False).astype(bool)
    if not config.get("include_without_name", True):
        keep &= named
    out["filtered"] = ~keep
    return out.reset_index(drop=True)


def _by_value(column: pd.Series, render: Any) -> np.ndarray:
    """``render`` of each distinct non-missing value once, ``""`` for a missing one."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    rendered = np.array([render(v) for v in uniques] + [""], dtype=object)
    return rendered[codes]  # code -1 (missing) takes the last entry


def _formatted(frame: pd.DataFrame, fld: str, target: dict[str, Any]) -> np.ndarray:
    """The column ``fld`` as the target's text (lists joined, dates in its format, numbers plain)."""
    if fld not in frame:
        return np.full(len(frame), "", dtype=object)
    column = frame[fld]
    if fld in ("dq_flags", "missing_fields", "sources", "tags"):
        sep = str(target.get("list_separator", ","))
        return np.array([sep.join(_as_list(v)) for v in column], dtype=object)
    if fld == "birth_date":
        fmt = target.get("date_format", "%d.%m.%Y")
        return _by_value(column, lambda v: pd.Timestamp(v).strftime(fmt))
    if fld == "is_reachable":
        return _by_value(column, lambda v: "1" if bool(v) else "0")
    if fld in ("completeness_score", "action_level"):
        return _by_value(column, lambda v: f"{float(v):.0f}")
    if fld == "record_count":
        return _by_value(column, lambda v: str(int(v)))
    return _by_value(column, str)


def _multi_slots(columns: dict[str, str]) -> dict[str, list[str]]:
    """kind -> its fields in order (``phone_1``, ``phone_2`` …) as configured."""
    slots: dict[str, list[tuple[int, str]]] = {"phone": [], "email": []}
    for fld in columns.values():
        m = MULTI_FIELD.fullmatch(fld)
        if m:
            slots[m.group(1)].append((int(m.group(2)), fld))
    return {k: [f for _, f in sorted(v)] for k, v in slots.items()}


def _cell_columns(frame: pd.DataFrame, columns: dict[str, str], target: dict[str, Any]) -> tuple[list[np.ndarray], int]:
    """Every column of the file as safe text, and how many values overflowed into a last column.

    Per column, not per row (4.6 min for 1M customers row by row): a phone or e-mail slot takes
    the customer's i-th value, the last slot all the rest joined; a phone slot whose values are
    all E.164 phones is written as is, any other text is neutralised (``safe_cells``)."""
    slots = _multi_slots(columns)
    sep = str(target.get("multi_value_separator", ", "))
    values: dict[str, pd.Series] = {}
    overflow = 0
    for kind, fields in slots.items():
        items = frame[kind + "s"] if kind + "s" in frame else pd.Series([[]] * len(frame), index=frame.index)
        items = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in items]
        for i, fld in enumerate(fields):
            if i == len(fields) - 1:
                overflow += sum(max(0, len(v) - i - 1) for v in items)
                raw = pd.Series([sep.join(v[i:]) for v in items], dtype=object)
            else:
                raw = pd.Series([v[i] if len(v) > i else "" for v in items], dtype=object)
            safe = neutralise_column(raw)
            if kind == "phone":  # each part a phone, or text a spreadsheet would not evaluate
                kept = [t != "" and all(not needs_quote(p) or is_e164(p) for p in t.split(sep) if p) for t in raw]
                safe = raw.where(kept, safe)
            values[fld] = safe
    out = []
    for fld in columns.values():
        if fld in values:
            out.append(values[fld].to_numpy(dtype=object))
        else:
            text = pd.Series(_formatted(frame, fld, target), dtype=object)
            out.append(neutralise_column(text, phone=fld in PHONE_FIELDS).to_numpy(dtype=object))
    return out, overflow


def _unencodable(column: np.ndarray, codec: str) -> int:
    """Cells of ``column`` that ``codec`` cannot hold (each distinct non-ASCII text tried once)."""
    text = pd.Series(column, dtype=object)
    wide = text[~text.map(str.isascii)]
    if wide.empty:
        return 0
    counts = wide.value_counts()
    bad = 0
    for value, n in counts.items():
        try:
            value.encode(codec)
        except UnicodeEncodeError:
            bad += int(n)
    return bad


def write_target(frame: pd.DataFrame, name: str, target: dict[str, Any], out_dir: Path) -> ExportResult:
    """Write one CRM import CSV atomically; return what was written."""
    columns: dict[str, str] = dict(target["columns"])
    encoding = str(target.get("encoding", "utf-8"))
    delimiter = str(target.get("delimiter", ","))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / str(target["file"])
    tmp = path.with_name(path.name + ".tmp")
    cells, overflow = _cell_columns(frame, columns, target)
    base_codec = encoding.lower().replace("-sig", "")
    unencodable = sum(_unencodable(c, base_codec) for c in cells)
    with open(tmp, "w", encoding=encoding, errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([safe_text(c) for c in columns])
        writer.writerows(zip(*cells))
    os.replace(tmp, path)
    with_id = int(frame["crm_id"].notna().sum()) if "crm_id" in frame else 0
    return ExportResult(name, path, len(frame), list(columns), encoding, delimiter, unencodable, overflow, with_id)


def write_merge_list(customers: pd.DataFrame, merges: pd.DataFrame, spec: dict[str, Any], out_dir: Path) -> Path:
    """One row per CRM record merged into another: which records are one customer, which survives."""
    columns: dict[str, str] = dict(spec["columns"])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / str(spec["file"])
    tmp = path.with_name(path.name + ".tmp")
    info = customers.drop_duplicates("customer_id").set_index("customer_id") if len(customers) else None
    merges = merges.reset_index(drop=True)
    cells = []
    for fld in columns.values():
        if fld == "rule":
            column = pd.Series([SURVIVOR_RULE] * len(merges), dtype=object)
        elif fld in merges:
            column = merges[fld].astype(object)
        elif info is not None and fld in ("full_name", "phone_e164", "email", "manager") and fld in info:
            column = merges["customer_id"].map(info[fld]).astype(object)
        else:
            column = pd.Series([None] * len(merges), dtype=object)
        cells.append(safe_text_column(column, phone=fld in PHONE_FIELDS).to_numpy(dtype=object))
    with open(tmp, "w", encoding=str(spec.get("encoding", "utf-8")), errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=str(spec.get("delimiter", ",")), lineterminator="\r\n")
        writer.writerow([safe_text(c) for c in columns])
        writer.writerows(zip(*cells))
    os.replace(tmp, path)
    return path


def export_crm_files(frame: pd.DataFrame, out_dir: Path, config: dict[str, Any] | None = None,
                     records: pd.DataFrame | None = None, contacts: pd.DataFrame | None = None,
                     labels: dict[str, str] | None = None) -> ExportRun:
    """Write every target and the merge list; customers with nothing to write are left out and counted.

    Each target takes its CRM ids from its own ``id_files``; targets that share the same patterns
    share one set of merge rows (column ``crm`` names them)."""
    cfg = load_export_config(config)
    prepared = prepare_customers(frame, cfg, None, contacts, labels)  # each target keys its own CRM ids below
    empty = ~prepared["has_content"]
    written = prepared[~empty & ~prepared["filtered"]].reset_index(drop=True)
    results = []
    groups: dict[tuple[str, ...], list[str]] = {}
    survivors_of: dict[tuple[str, ...], tuple[pd.DataFrame, pd.DataFrame]] = {}  # targets sharing id_files
    for name, target in cfg["targets"].items():
        patterns = tuple(sorted(target.get("id_files") or ["*"]))
        if patterns not in survivors_of:
            survivors_of[patterns] = survivors(target_records(records, {"id_files": list(patterns)}))
        first, _ = survivors_of[patterns]
        rows = written.drop(columns=["crm_id"]).merge(first, on="customer_id", how="left")
        results.append(write_target(rows, name, target, out_dir))
        groups.setdefault(patterns, []).append(name)
    parts = [survivors_of[patterns][1].assign(crm=", ".join(names)) for patterns, names in groups.items()]
    merges = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["customer_id"])
    merges = merges[merges["customer_id"].isin(set(written["customer_id"]))]
    merge_path = write_merge_list(written, merges, cfg["merge_list"], out_dir) if cfg.get("merge_list") else None
    raw = frame["manager_raw"] if "manager_raw" in frame else frame.get("manager", pd.Series(dtype=object))
    return ExportRun(
        results=results, customers=len(frame), left_out=int(empty.sum()),
        filtered=int((prepared["filtered"] & ~empty).sum()), with_crm_id=results[0].with_crm_id if results else 0,
        merged_records=len(merges), merge_list=merge_path,
        managers_raw=int(raw.dropna().map(lambda v: str(v).strip()).replace("", None).dropna().nunique()),
        managers=int(written["manager"].dropna().nunique()),
    )  # fmt: skip
