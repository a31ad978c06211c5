"""Orchestration: persons → landing files → truth.  `generate` is the public entry point."""
from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import params as P
from . import render as R
from . import sources as S
from .arrowkit import cat, num_str, take, write_csv
from .chats import make_chats
from .mailfiles import write_mailfiles
from .names import build_banks
from .persons import BEHAVIOURS, day_str, make_persons

# The last day of generated activity unless asked otherwise: the demo sample is always "as of" it.
DEFAULT_END_DATE = "2026-11-15"

BITRIX_HEADER = ["ID", "Имя", "Фамилия", "Отчество", "Мобильный телефон", "Рабочий e-mail", "Дата рождения",
                 "Город", "Адрес", "Индекс", "Компания", "Дата создания", "Ответственный", "Комментарий"]
# a new stream goes last: spawned children are numbered, so the earlier streams stay as they were
STREAMS = ["persons", "contacts", "orders", "mail", "calls", "tickets", "events", "mailfiles", "banks", "chats"]


def _rngs(seed: int) -> dict[str, np.random.Generator]:
    """One independent stream per component so tuning one source does not reshuffle the others."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(c) for name, c in zip(STREAMS, children)}


def _write_xlsx(path: Path, cols: dict[str, pa.Array]) -> int:
    """Small XLSX via openpyxl, made byte-reproducible (fixed zip times and document dates)."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Заказы"
    names = list(cols)
    ws.append(names)
    pycols = [cols[c].to_pylist() for c in names]
    for row in zip(*pycols):
        ws.append(list(row))
    fixed = __import__("datetime").datetime(2026, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    _normalise_zip(buf.getvalue(), path)
    return len(pycols[0]) if pycols else 0


def _normalise_zip(data: bytes, path: Path) -> None:
    stamp = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = stamp.sub(rb"\g<1>2026-01-01T00:00:00Z\g<3>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)


def _mail_rows(rng: np.random.Generator, banks, ps, n_msgs: int) -> tuple[dict[str, list], np.ndarray]:
    """Inbound letters for the eml/mbox files: persons with e-mail, mostly talkative types."""
    cand = np.flatnonzero(ps.email_domain >= 0)
    pidx = np.sort(rng.choice(cand, size=min(n_msgs, len(cand)), replace=False)) if len(cand) else cand
    secs = S.secs_in(rng, ps.signup[pidx], ps.comm_end[pidx] + 1)
    t = S.message_texts(rng, ps, banks, pidx, secs // S.DAY, np.ones(len(pidx), bool))
    addr = pc.utf8_trim_whitespace(R.emails(rng, ps, pidx, allow_junk=False))
    name = cat(banks.first.canon(ps.first[pidx]), " ", banks.last.canon(ps.last_entry[pidx]))
    rows = {"sent": secs.tolist(), "from_addr": addr.to_pylist(),
            "from": [f"{nm} <{a}>" for nm, a in zip(name.to_pylist(), addr.to_pylist())],
            "to": R.manager_email(ps.manager[pidx]).to_pylist(), "subject": t["subject"].to_pylist(),
            "body": t["body"].to_pylist()}
    return rows, pidx


def _persons_table(ps, banks) -> dict[str, pa.Array]:
    phone = pc.if_else(pa.array(ps.mobile > 0), cat("+7", num_str(ps.mobile)), pa.scalar(None, pa.string()))
    churn = np.where(ps.churn >= 0, ps.churn, 0)
    return {"person_id": person_ids(np.arange(ps.n)), "behaviour_type": take(BEHAVIOURS, ps.behaviour),
            "churn_date": pc.if_else(pa.array(ps.churn >= 0), pa.array(day_str(churn)), pa.scalar(None, pa.string())),
            "first_name": banks.first.canon(ps.first), "last_name": banks.last.canon(ps.last_entry),
            "middle_name": banks.middle.canon(ps.middle_entry), "birth_date": pa.array(day_str(ps.birth_day)),
            "phone_e164": phone, "email": ps.email,
            "home_phone_e164": pc.if_else(pa.array(ps.landline > 0), cat("+7", num_str(ps.landline)),
                                          pa.scalar(None, pa.string())),
            "company": pc.if_else(pa.array(ps.company >= 0), take(ps.companies, np.maximum(ps.company, 0)),
                                  pa.scalar(None, pa.string())),
            "city": take([c[0] for c in P.CITIES], ps.city), "signup_date": pa.array(day_str(ps.signup))}


def _telegram_column(person: np.ndarray, handles: dict[int, str]) -> pa.Array:
    """The CRM's «Telegram» field: a chat customer's handle on their first contact row only."""
    seen: set[int] = set()
    out = []
    for p in map(int, person):
        out.append(handles.get(p) if p not in seen else None)
        seen.add(p)
    return pa.array(out, pa.string())


def person_ids(idx: np.ndarray) -> pa.Array:
    return cat("P", num_str(idx + 1, 7))


def generate(customers: int, seed: int, out_dir: str | Path, end_date: str = DEFAULT_END_DATE,
             years: float = 3.0) -> dict:
    """Write a landing folder + truth/ into out_dir; return a summary dict {file: row_count, ...}."""
    if customers < 1:
        raise ValueError("customers must be >= 1")
    out = Path(out_dir)
    for sub in ("crm", "mail", "phone", "support", "marketing", "chat", "truth"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    end_day = int((date.fromisoformat(end_date) - date(1970, 1, 1)).days)
    rng = _rngs(seed)
    banks = build_banks(rng["banks"])
    ps = make_persons(rng["persons"], banks, customers, end_day, years)

    contacts = S.make_contacts(rng["contacts"], banks, ps, end_day)
    orders = S.make_orders(rng["orders"], ps, contacts, end_day)
    messages = S.make_messages(rng["mail"], banks, ps)
    calls = S.make_calls(rng["calls"], ps)
    tickets = S.make_tickets(rng["tickets"], ps, contacts)
    events = S.make_events(rng["events"], ps, contacts, end_day)

    chats = make_chats(rng["chats"], banks, ps, end_day, out, contacts.main.person)
    contacts.main.columns["Telegram"] = _telegram_column(contacts.main.person, chats["telegram"])

    counts: dict[str, int] = {}
    counts.update(chats["counts"])
    counts["crm/contacts.csv"] = write_csv(out / "crm/contacts.csv", contacts.main.columns)
    counts["crm/contacts_bitrix.csv"] = write_csv(out / "crm/contacts_bitrix.csv", contacts.bitrix.columns,
                                                  delimiter=";", encoding="cp1251", header=BITRIX_HEADER)
    counts["crm/orders.csv"] = write_csv(out / "crm/orders.csv", orders.main.columns)
    counts["crm/orders_archive.xlsx"] = _write_xlsx(out / "crm/orders_archive.xlsx", orders.archive.columns)
    counts["mail/messages.csv"] = write_csv(out / "mail/messages.csv", messages.columns)
    counts["phone/calls.csv"] = write_csv(out / "phone/calls.csv", calls.columns, delimiter=";")
    counts["support/tickets.csv"] = write_csv(out / "support/tickets.csv", tickets.columns, delimiter=";",
                                              encoding="cp1251")
    counts["marketing/events.csv"] = write_csv(out / "marketing/events.csv", events.columns)

    mrows, mpidx = _mail_rows(rng["mailfiles"], banks, ps, P.MAILFILE_MESSAGES)
    mids = write_mailfiles(out, mrows, rng["mailfiles"])
    n_eml = min(P.EML_FILES, len(mids))
    counts["mail/*.eml"] = n_eml
    counts["mail/archive.mbox"] = len(mids) - n_eml

    parts = [("crm_contact", contacts.main), ("crm_contact", contacts.bitrix), ("order", orders.main),
             ("order", orders.archive), ("mail", messages), ("call", calls), ("ticket", tickets),
             ("event", events)]
    rm = {"source": [], "source_record_id": [], "person_id": []}
    for source, tbl in parts:
        rm["source"].append(pa.array([source] * len(tbl.person), pa.string()) if len(tbl.person) else
                            pa.array([], pa.string()))
        rm["source_record_id"].append(tbl.ids)
        rm["person_id"].append(person_ids(tbl.person))
    rm["source"].append(pa.array(["mail"] * len(mids), pa.string()))
    rm["source_record_id"].append(pa.array(mids, pa.string()))
    rm["person_id"].append(person_ids(mpidx))
    rm["source"].append(pa.array(["chat"] * len(chats["record_map"]), pa.string()))
    rm["source_record_id"].append(pa.array([mid for mid, _ in chats["record_map"]], pa.string()))
    rm["person_id"].append(person_ids(np.array([p for _, p in chats["record_map"]], dtype=np.int64)))
    record_map = {k: pa.concat_arrays([a.cast(pa.string()) for a in v]) for k, v in rm.items()}
    counts["truth/chats.csv"] = write_csv(out / "truth/chats.csv", {
        k: pa.array([str(c[k]) for c in chats["chats"]], pa.string()) for k in (
            "platform", "chat_id", "person_id", "matched", "messages", "inbound_turns", "replies",
            "templated_replies")})
    counts["truth/persons.csv"] = write_csv(out / "truth/persons.csv", _persons_table(ps, banks))
    counts["truth/record_map.csv"] = write_csv(out / "truth/record_map.csv", record_map)
    meta = {"seed": seed, "customers": customers, "end_date": end_date, "years": years,
            "generator": "sample_data 1", "behaviour_types": BEHAVIOURS, "row_counts": counts,
            "notes": {"mail_source_record_id": "message_id column for messages.csv; Message-ID header "
                                               "(with angle brackets) for .eml/.mbox",
                      "tickets_csv": "cp1251, ';' delimiter, decimal comma in handling_minutes",
                      "contacts_bitrix_csv": "cp1251, ';' delimiter, Bitrix24 Russian headers"}}
    (out / "truth/meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return counts
