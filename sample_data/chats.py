"""Synthetic chats for the landing folder's chat/: a Telegram Desktop export (result.json), WhatsApp
text exports and a chat-widget CSV, with the truth of every chat (who it is, unanswered turns,
templated replies).

Small on purpose (a few dozen chats): enough for the reply-quality marts to have rows, never a
noticeable share of the run time. Each chat is a handful of turns: one or two customer messages,
then — unless the turn stays unanswered — a reply of the company account after a log-normal delay,
a template (the same few texts with a name and a number changed) or a personal answer.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import numpy as np

from .names import Banks
from .persons import Persons

DAY = 86400
COMPANY = "ClientPulse Demo"
COMPANY_TG_ID = "user100000001"
INBOUND = ["Добрый день! Где мой заказ?", "Здравствуйте, можно выставить счёт на юрлицо?",
           "Подскажите, когда будет доставка?", "Курьер так и не приехал, это уже второй раз.",
           "Спасибо, всё получили, всё отлично!", "А есть скидка на повторный заказ?",
           "Не могу оплатить картой, выдаёт ошибку.", "Хочу вернуть товар, как это сделать?",
           "Очень недоволен качеством, верните деньги.", "Пришлите, пожалуйста, закрывающие документы."]
TEMPLATES = ["Здравствуйте! Ваше обращение №{n} принято, специалист свяжется с вами в ближайшее время, {name}.",
             "Добрый день! Спасибо за обращение, заказ №{n} передан в работу, ожидайте уведомления, {name}.",
             "Здравствуйте! Информацию по вашему вопросу №{n} уточняем, ответим в течение дня, {name}."]
PERSONAL = ["{name}, проверил: заказ №{n} у курьера, привезут завтра до обеда.",
            "{name}, счёт №{n} отправил на почту, если нужны другие реквизиты — напишите.",
            "{name}, извините за задержку! Оформил возврат по заказу №{n}, деньги придут за 3 дня.",
            "{name}, скидку 5% на следующий заказ закрепили за вами, промокод придёт сообщением."]
RATES = {"telegram": 0.012, "whatsapp": 0.008, "csv": 0.012, "max_chats": 40, "no_reply": 0.15,
         "template": 0.5, "wa_by_phone": 0.6}


def _phone(mobile: int) -> str:
    s = f"{mobile:010d}"
    return f"+7 {s[:3]} {s[3:6]}-{s[6:8]}-{s[8:]}"


def _iso(secs: float) -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(secs))).isoformat(sep=" ")


def _turns(rng: np.random.Generator, start: float, end: float, name: str) -> list[tuple[str, float, str]]:
    """(direction, seconds, text) of one chat; the truth counts come from the same draws."""
    out: list[tuple[str, float, str]] = []
    t = start
    for _ in range(int(rng.integers(2, 6))):
        t += float(rng.uniform(1, 20)) * 86400
        if t >= end:
            break
        for k in range(int(rng.integers(1, 3))):
            out.append(("inbound", t + k * 120, str(rng.choice(INBOUND))))
        if rng.random() < RATES["no_reply"]:
            continue
        t += float(np.exp(rng.normal(np.log(40 * 60), 1.2)))
        n, pool = int(rng.integers(100, 9999)), TEMPLATES if rng.random() < RATES["template"] else PERSONAL
        out.append(("outbound", t, str(rng.choice(pool)).format(n=n, name=name)))
    return [m for m in out if m[1] < end]


def make_chats(rng: np.random.Generator, banks: Banks, ps: Persons, end_day: int, out: Path,
               contacts_person: np.ndarray) -> dict:
    """Write chat/ files; returns {"telegram": {person: handle}, "record_map": [(id, person)],
    "chats": [truth rows], "counts": {file: rows}}."""
    end = (end_day + 1) * DAY
    recent = np.flatnonzero((ps.comm_end >= end_day - 120) & (ps.signup <= end_day - 60))
    has_contact = np.zeros(ps.n, bool)
    has_contact[np.asarray(contacts_person, dtype=np.int64)] = True
    pool = rng.permutation(recent[has_contact[recent]])
    sizes = {k: min(RATES["max_chats"], max(2, int(len(pool) * RATES[k]))) for k in ("telegram", "whatsapp", "csv")}
    tg, wa, cs = np.split(pool[: sum(sizes.values())], [sizes["telegram"], sizes["telegram"] + sizes["whatsapp"]])
    names = {int(p): f"{banks.first.canon([ps.first[p]])[0].as_py()} {banks.last.canon([ps.last_entry[p]])[0].as_py()}"
             for p in pool[: sum(sizes.values())]}
    record_map: list[tuple[str, int]] = []
    truth: list[dict] = []
    handles: dict[int, str] = {}
    counts: dict[str, int] = {}
    (out / "chat").mkdir(parents=True, exist_ok=True)

    def start_of(p: int) -> float:
        return max(float(ps.signup[p]), end_day - 150.0) * DAY

    def note(platform: str, chat_id: str, p: int, msgs, matched: bool) -> None:
        inbound_turns = sum(1 for i, m in enumerate(msgs) if m[0] == "inbound" and (i == 0 or msgs[i - 1][0] != "inbound"))
        replies = [m for m in msgs if m[0] == "outbound"]
        truth.append({"platform": platform, "chat_id": chat_id, "person_id": f"P{p + 1:07d}", "matched": matched,
                      "messages": len(msgs), "inbound_turns": inbound_turns, "replies": len(replies),
                      "templated_replies": sum(1 for m in replies if any(m[2].startswith(t.split("{")[0])
                                                                         for t in TEMPLATES))})

    # Telegram Desktop: the whole export with one personal chat per customer
    chats = []
    for p in map(int, tg):
        name = names[p]
        # the CRM keeps the Telegram account id: what the export's from_id carries
        uid = f"user{7_000_000_000 + p}"
        handles[p] = uid[4:]
        msgs = _turns(rng, start_of(p), end, name.split()[0])
        entries = [{"id": 1, "type": "service", "date": _iso(start_of(p)).replace(" ", "T"), "actor": name,
                    "actor_id": uid, "action": "phone_call", "text": ""}]
        for k, (d, t, text) in enumerate(msgs, start=2):
            who = (name, uid) if d == "inbound" else (COMPANY, COMPANY_TG_ID)
            body: object = text
            if d == "outbound" and "№" in text:   # Telegram keeps formatting as a list of entities
                head, tail = text.split("№", 1)
                body = [head, {"type": "bold", "text": "№" + tail.split(" ", 1)[0]}, " " + tail.split(" ", 1)[1]]
            entries.append({"id": k, "type": "message", "date": _iso(t).replace(" ", "T"), "from": who[0],
                            "from_id": who[1], "text": body})
            record_map.append((f"{p}:{k}", p))
        chats.append({"name": name, "type": "personal_chat", "id": p, "messages": entries})
        note("telegram", str(p), p, msgs, True)
    export = {"about": "Here is the data you requested.", "chats": {"about": "", "list": chats}}
    (out / "chat/result.json").write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    counts["chat/result.json"] = sum(len(c["messages"]) for c in chats)

    # WhatsApp: one file per chat; the customer shown by number (mapped) or by name only (unmatched)
    for p in map(int, wa):
        name = names[p]
        by_phone = bool(ps.mobile[p] > 0 and rng.random() < RATES["wa_by_phone"])
        author = _phone(int(ps.mobile[p])) if by_phone else name
        chat_id = f"WhatsApp Chat with {name}"
        msgs = _turns(rng, start_of(p), end, name.split()[0])
        lines = [f"{_wa_time(start_of(p))} - Сообщения и звонки защищены сквозным шифрованием."]
        seen: dict[str, int] = {}
        for d, t, text in msgs:
            who = author if d == "inbound" else COMPANY
            body = text.replace(", ", ",\n", 1) if d == "inbound" and len(text) > 40 else text  # multi-line
            lines.append(f"{_wa_time(t)} - {who}: {body}")
            ts = (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(t))).replace(second=0).isoformat(sep=" ")
            key = "\x1f".join([chat_id, ts, who, body.strip()])
            seen[key] = seen.get(key, 0) + 1
            mid = "wa:" + hashlib.sha1(key.encode()).hexdigest()[:16] + (f":{seen[key]}" if seen[key] > 1 else "")
            if by_phone:
                record_map.append((mid, p))
        (out / f"chat/{chat_id}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        counts[f"chat/{chat_id}.txt"] = len(lines)
        note("whatsapp", chat_id, p, msgs, by_phone)

    # chat widget CSV: e-mail (or phone) the customer typed in, direction exported
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["message_id", "chat_id", "sent_at", "direction", "author", "phone", "username", "email", "text"])
    n = 0
    for p in map(int, cs):
        name = names[p]
        email = ps.email[p].as_py()
        phone = _phone(int(ps.mobile[p])) if ps.mobile[p] > 0 else ""
        chat_id = f"widget-{p}"
        msgs = _turns(rng, start_of(p), end, name.split()[0])
        for d, t, text in msgs:
            n += 1
            mid = f"W{n:06d}"
            inbound = d == "inbound"
            w.writerow([mid, chat_id, _iso(t), d, name if inbound else COMPANY, phone if inbound else "",
                        "", (email or "") if inbound else "", text])
            if email or phone:   # without either the chat cannot be mapped: no truth record
                record_map.append((mid, p))
        note("csv", chat_id, p, msgs, bool(email or phone))
    (out / "chat/chats.csv").write_text(buf.getvalue(), encoding="utf-8")
    counts["chat/chats.csv"] = n
    return {"telegram": handles, "record_map": record_map, "chats": truth, "counts": counts}


def _wa_time(secs: float) -> str:
    d = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(secs))
    return f"{d:%d.%m.%Y}, {d:%H:%M}"
