"""The CRM export as it was written first, record by record: the oracle the vectorised
``data_quality.crm_export`` is compared with, byte for byte (tests only; at 1M customers this
took 4.6 min of the run)."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from data_quality.crm_export import (
    MULTI_FIELD,
    PHONE_FIELDS,
    SURVIVOR_RULE,
    ExportResult,
    ExportRun,
    _as_list,
    load_export_config,
    survivors,
    target_records,
)
from data_quality.safe_cells import is_missing, safe_text


def _contact_lists(customers: pd.DataFrame, contacts: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Per customer: every valid phone / e-mail, the golden one first, then by how often seen."""
    phones: dict[str, list[str]] = {}
    emails: dict[str, list[str]] = {}
    if contacts is not None and not contacts.empty:
        ordered = contacts.sort_values(["customer_id", "kind", "n", "value"], ascending=[True, True, False, True])
        for (cid, kind), grp in ordered.groupby(["customer_id", "kind"], sort=False):
            (phones if kind == "phone" else emails)[cid] = grp["value"].astype(str).tolist()

    def merge(golden: Any, extra: list[str]) -> list[str]:
        out = [] if is_missing(golden) or not str(golden) else [str(golden)]
        return out + [v for v in extra if v not in out]

    ph = pd.Series([merge(g, phones.get(c, [])) for c, g in zip(customers["customer_id"], customers["phone_e164"])],
                   index=customers.index, dtype=object)  # fmt: skip
    em = pd.Series([merge(None if is_missing(g) else str(g).strip().lower(), emails.get(c, []))
                    for c, g in zip(customers["customer_id"], customers["email"])], index=customers.index, dtype=object)  # fmt: skip
    return ph, em


def _tags(rec: dict[str, Any], config: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """Russian tags: segment, risk stage, action level, data-quality flags (no commas inside a tag:
    amoCRM splits tags on commas)."""
    t = config.get("tags") or {}
    out: list[str] = []
    if not is_missing(rec.get("segment")) and t.get("segment"):
        out.append(t["segment"].format(value=rec["segment"]))
    stage = rec.get("risk_stage")
    if not is_missing(stage) and (t.get("risk_stage") or {}).get(stage):
        out.append(t["risk_stage"][stage])
    level = rec.get("action_level")
    if not is_missing(level) and t.get("action_level"):
        label = rec.get("action_level_ru")
        out.append(t["action_level"].format(value=int(level), label="" if is_missing(label) else label).strip(" :"))
    if t.get("dq_flag"):
        out += [t["dq_flag"].format(value=labels.get(f, f)) for f in _as_list(rec.get("dq_flags"))]
    return [re.sub(r"\s*[,;]\s*", " ", x).strip() for x in out if x]


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
    out["tags"] = [_tags(rec, config, labels or {}) for rec in out.to_dict("records")]
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


def _format(value: Any, fld: str, target: dict[str, Any]) -> str:
    if fld in ("dq_flags", "missing_fields", "sources", "tags"):
        return str(target.get("list_separator", ",")).join(_as_list(value))
    if is_missing(value):
        return ""
    if fld == "birth_date":
        return pd.Timestamp(value).strftime(target.get("date_format", "%d.%m.%Y"))
    if fld == "is_reachable":
        return "1" if bool(value) else "0"
    if fld in ("completeness_score", "action_level"):
        return f"{float(value):.0f}"
    if fld == "record_count":
        return str(int(value))
    return str(value)


def _multi_slots(columns: dict[str, str]) -> dict[str, list[str]]:
    """kind -> its fields in order (``phone_1``, ``phone_2`` …) as configured."""
    slots: dict[str, list[tuple[int, str]]] = {"phone": [], "email": []}
    for fld in columns.values():
        m = MULTI_FIELD.fullmatch(fld)
        if m:
            slots[m.group(1)].append((int(m.group(2)), fld))
    return {k: [f for _, f in sorted(v)] for k, v in slots.items()}


def _cells(rec: dict[str, Any], columns: dict[str, str], target: dict[str, Any]) -> tuple[list[str], int]:
    """The row's cells, safe for a spreadsheet, and how many values overflowed into a last column."""
    slots = _multi_slots(columns)
    sep = str(target.get("multi_value_separator", ", "))
    values: dict[str, Any] = {}
    overflow = 0
    for kind, fields in slots.items():
        items = list(rec.get(kind + "s") or [])
        for i, fld in enumerate(fields):
            last = i == len(fields) - 1
            chunk = items[i:] if last else items[i:i + 1]
            overflow += max(0, len(chunk) - 1)
            values[fld] = sep.join(chunk)
    cells = []
    for fld in columns.values():
        if fld in values:
            raw = values[fld]
            phone = fld.startswith("phone") and all(safe_text(p, phone=True) == p for p in raw.split(sep) if p)
            cells.append(raw if phone and raw else safe_text(raw))
        else:
            cells.append(safe_text(_format(rec.get(fld), fld, target), phone=fld in PHONE_FIELDS))
    return cells, overflow


def write_target_by_row(frame: pd.DataFrame, name: str, target: dict[str, Any], out_dir: Path) -> ExportResult:
    """Write one CRM import CSV atomically; return what was written."""
    columns: dict[str, str] = dict(target["columns"])
    encoding = str(target.get("encoding", "utf-8"))
    delimiter = str(target.get("delimiter", ","))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / str(target["file"])
    tmp = path.with_name(path.name + ".tmp")
    unencodable = overflow = rows = 0
    base_codec = encoding.lower().replace("-sig", "")
    with open(tmp, "w", encoding=encoding, errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([safe_text(c) for c in columns])
        for rec in frame.to_dict("records"):
            cells, extra = _cells(rec, columns, target)
            overflow += extra
            for cell in cells:
                try:
                    cell.encode(base_codec)
                except UnicodeEncodeError:
                    unencodable += 1
            writer.writerow(cells)
            rows += 1
    os.replace(tmp, path)
    with_id = int(frame["crm_id"].notna().sum()) if "crm_id" in frame else 0
    return ExportResult(name, path, rows, list(columns), encoding, delimiter, unencodable, overflow, with_id)


def write_merge_list(customers: pd.DataFrame, merges: pd.DataFrame, spec: dict[str, Any], out_dir: Path) -> Path:
    """One row per CRM record merged into another: which records are one customer, which survives."""
    columns: dict[str, str] = dict(spec["columns"])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / str(spec["file"])
    tmp = path.with_name(path.name + ".tmp")
    info = customers.set_index("customer_id")[["full_name", "phone_e164", "email", "manager"]] if len(customers) else None
    with open(tmp, "w", encoding=str(spec.get("encoding", "utf-8")), errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=str(spec.get("delimiter", ",")), lineterminator="\r\n")
        writer.writerow([safe_text(c) for c in columns])
        for rec in merges.to_dict("records"):
            extra = info.loc[rec["customer_id"]].to_dict() if info is not None and rec["customer_id"] in info.index else {}
            full = {**extra, **rec, "rule": SURVIVOR_RULE}
            writer.writerow([safe_text(full.get(f), phone=f in PHONE_FIELDS) for f in columns.values()])
    os.replace(tmp, path)
    return path


def export_crm_files_by_row(frame: pd.DataFrame, out_dir: Path, config: dict[str, Any] | None = None,
                     records: pd.DataFrame | None = None, contacts: pd.DataFrame | None = None,
                     labels: dict[str, str] | None = None) -> ExportRun:
    """Write every target and the merge list; customers with nothing to write are left out and counted.

    Each target takes its CRM ids from its own ``id_files``; targets that share the same patterns
    share one set of merge rows (column ``crm`` names them)."""
    cfg = load_export_config(config)
    prepared = prepare_customers(frame, cfg, records, contacts, labels)
    empty = ~prepared["has_content"]
    written = prepared[~empty & ~prepared["filtered"]].reset_index(drop=True)
    results = []
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, target in cfg["targets"].items():
        own = target_records(records, target)
        first, _ = survivors(own)
        rows = written.drop(columns=["crm_id"]).merge(first, on="customer_id", how="left")
        results.append(write_target_by_row(rows, name, target, out_dir))
        groups.setdefault(tuple(sorted(target.get("id_files") or ["*"])), []).append(name)
    parts = []
    for patterns, names in groups.items():
        _, m = survivors(target_records(records, {"id_files": list(patterns)}))
        parts.append(m.assign(crm=", ".join(names)))
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


def _id_order_digits(crm_id: str) -> tuple[int, int | str]:
    text = str(crm_id).strip()
    return (0, int(text)) if text.isdecimal() else (1, text)


def survivors_by_sort(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_id -> crm_id of the survivor, merge rows customer_id / survivor / merged).

    ``SURVIVOR_RULE``: the CRM contact created first keeps its id (it carries the deals and the
    history in the CRM, like identity keeps the oldest customer id); without dates the smaller id."""
    if records is None or records.empty:
        empty = pd.DataFrame(columns=["customer_id", "crm_id"])
        return empty, pd.DataFrame(columns=["customer_id", "survivor_crm_id", "merged_crm_id"])
    r = records.dropna(subset=["crm_id"]).copy()
    r["crm_id"] = r["crm_id"].astype(str)
    r = r.drop_duplicates(["customer_id", "crm_id"])
    r["_created"] = pd.to_datetime(r.get("created_at"), errors="coerce")
    r["_missing"] = r["_created"].isna()
    r["_id"] = r["crm_id"].map(_id_order_digits)
    r = r.sort_values(["customer_id", "_missing", "_created", "_id"], kind="mergesort")
    first = r.drop_duplicates("customer_id")[["customer_id", "crm_id"]]
    merged = r.merge(first.rename(columns={"crm_id": "survivor_crm_id"}), on="customer_id")
    merged = merged[merged["crm_id"] != merged["survivor_crm_id"]].rename(columns={"crm_id": "merged_crm_id"})
    return first.reset_index(drop=True), merged[["customer_id", "survivor_crm_id", "merged_crm_id"]].reset_index(drop=True)
