"""Landing tables, one builder per source; each returns (columns, person index, record ids)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import params as P
from . import render as R
from .arrowkit import cat, choice_idx, money_str, num_str, take, where
from .names import Banks, fill_templates
from .persons import BEHAVIOURS, Persons

TONES = ["warm", "neutral", "cold", "exit", "complaint", "inquiry"]
B = {b: i for i, b in enumerate(BEHAVIOURS)}
DAY = 86_400


@dataclass
class Table:
    columns: dict[str, pa.Array]
    person: np.ndarray
    ids: pa.Array


def ids_text(rng: np.random.Generator, numbers: np.ndarray, prefix: str = "", zero_rate: float = 0.0,
             width: int = 6) -> pa.Array:
    """Text ids; a share gets leading zeros (`000123`), as Excel-era systems write them."""
    s = num_str(numbers)
    if zero_rate:
        s = where(rng.random(len(numbers)) < zero_rate, num_str(numbers, width), s)
    return cat(prefix, s) if prefix else s


def expand(counts: np.ndarray) -> np.ndarray:
    """Person index repeated counts[i] times (the vectorised 'for each person, for each event')."""
    return np.repeat(np.arange(len(counts)), counts)


def rank_in_group(group: np.ndarray) -> np.ndarray:
    """0,1,2… within runs of equal consecutive values."""
    n = len(group)
    if n == 0:
        return np.zeros(0, np.int64)
    starts = np.r_[True, group[1:] != group[:-1]]
    pos = np.arange(n)
    return pos - np.maximum.accumulate(np.where(starts, pos, 0))


def secs_in(rng: np.random.Generator, lo_day: np.ndarray, hi_day: np.ndarray, day_share: float = 0.9) -> np.ndarray:
    """Random moment between two days, mostly in office hours."""
    lo, hi = np.asarray(lo_day, np.int64), np.maximum(np.asarray(hi_day, np.int64), np.asarray(lo_day) + 1)
    day = lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)
    hour = np.where(rng.random(len(lo)) < day_share, rng.integers(9, 19, len(lo)), rng.integers(0, 24, len(lo)))
    return day * DAY + hour * 3600 + rng.integers(0, 3600, len(lo))


# ---- tone --------------------------------------------------------------------------------
BASE_TONE = {"champion": (0.6, 0.33, 0.0, 0.0, 0.02, 0.05), "loyal": (0.3, 0.58, 0.02, 0.0, 0.02, 0.08),
             "sleeper": (0.2, 0.6, 0.03, 0.0, 0.02, 0.15), "silent_churner": (0.3, 0.7, 0, 0, 0, 0),
             "toxic_complainer": (0.0, 0.1, 0.15, 0.05, 0.7, 0.0), "hot_inactive": (0.1, 0.3, 0, 0, 0, 0.6),
             "one_time_buyer": (0.1, 0.6, 0.0, 0.0, 0.05, 0.25), "new": (0.2, 0.5, 0.0, 0.0, 0.0, 0.3)}


def tones(rng: np.random.Generator, ps: Persons, pidx: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Tone by behaviour; silent churners cool down as churn approaches (formal → exit signals)."""
    probs = np.array([BASE_TONE[b] for b in BEHAVIOURS], float)[ps.behaviour[pidx]]
    churn = ps.churn[pidx]
    to_churn = np.where(churn >= 0, churn - day, 10**6)
    sc = ps.behaviour[pidx] == B["silent_churner"]
    probs[sc & (to_churn <= 180)] = (0.0, 0.4, 0.6, 0.0, 0.0, 0.0)
    probs[sc & (to_churn <= 60)] = (0.0, 0.05, 0.4, 0.55, 0.0, 0.0)
    probs /= probs.sum(1, keepdims=True)
    return (rng.random(len(pidx))[:, None] > np.cumsum(probs, 1)[:, :-1]).sum(1)


def pick(rng: np.random.Generator, bank_ru: dict, bank_en: dict, tone: np.ndarray,
         english: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Index into a flat RU+EN bank, chosen by tone and language per row."""
    flat: list[str] = []
    off, size = np.zeros((2, len(TONES)), np.int64), np.zeros((2, len(TONES)), np.int64)
    for li, bank in enumerate((bank_ru, bank_en)):
        for ti, t in enumerate(TONES):
            off[li, ti], size[li, ti] = len(flat), len(bank[t])
            flat.extend(bank[t])
    lang = english.astype(np.int64)
    idx = off[lang, tone] + (rng.random(len(tone)) * size[lang, tone]).astype(np.int64)
    return flat, idx


# ---- CRM contacts ------------------------------------------------------------------------
@dataclass
class Contacts:
    main: Table
    bitrix: Table
    primary_id: pa.Array      # per person: main contact id used by orders (may be deleted)
    person_ids: dict          # extra: all written main contact ids (for tickets/events)


def contact_fields(rng: np.random.Generator, banks: Banks, ps: Persons, pidx: np.ndarray,
                   created_day: np.ndarray) -> dict[str, pa.Array]:
    n, r = len(pidx), P.RATES
    nm = R.names(rng, banks, ps, pidx)
    mob, land = ps.mobile[pidx], ps.landline[pidx]
    u = rng.random(n)
    src = np.where(mob > 0, 0, np.where(land > 0, 1, 2))
    src = np.where((land > 0) & (u < r["phone_landline"]), 1, src)
    src = np.where(u > 1 - r["phone_missing"], 2, src)
    src = np.where((u > 1 - r["phone_missing"] - r["phone_junk"]) & (u <= 1 - r["phone_missing"]), 3, src)
    src = np.where((ps.company[pidx] >= 0) & (rng.random(n) < r["phone_tollfree"] * 4), 4, src)
    in_comment = (mob > 0) & (rng.random(n) < r["phone_in_comment"])
    src = np.where(in_comment, 2, src)
    mob_txt = R.messy_phone(rng, np.where(mob > 0, mob, 9_000_000_000))
    land_txt = R.messy_phone(rng, np.where(land > 0, land, 4_950_000_000))
    toll = cat(P.TOLLFREE_PREFIX, num_str(ps.tollfree[np.maximum(ps.company[pidx], 0)] // 10_000, 3), "-",
               num_str(ps.tollfree[np.maximum(ps.company[pidx], 0)] // 100 % 100, 2), "-",
               num_str(ps.tollfree[np.maximum(ps.company[pidx], 0)] % 100, 2))
    junk = take(P.JUNK_PHONES, rng.integers(0, len(P.JUNK_PHONES), n))
    phone = pc.choose(pa.array(src.astype(np.int8)), mob_txt, land_txt, pa.nulls(n, pa.string()), junk, toll)

    email = R.emails(rng, ps, pidx)
    email_comment = (ps.email_domain[pidx] >= 0) & (rng.random(n) < r["email_in_comment"])
    true_email = take(ps.email, pidx)
    email = where(email_comment, None, email)
    email = where(rng.random(n) < r["email_missing"], None, email)

    comment = take(P.COMMENT_PLAIN, rng.integers(0, len(P.COMMENT_PLAIN), n))
    ph_c = fill_templates(P.COMMENT_PHONE, rng.integers(0, len(P.COMMENT_PHONE), n),
                          {"phone": R.messy_phone(rng, np.where(mob > 0, mob, 9_000_000_000)),
                           "name": nm["first_plain"]})
    em_c = fill_templates(P.COMMENT_EMAIL, rng.integers(0, len(P.COMMENT_EMAIL), n), {"email": true_email})
    comment = where(in_comment, ph_c, comment)
    comment = where(email_comment, em_c, comment)
    comment = where(pc.equal(comment, ""), None, comment)

    birth = R.dates_mixed(rng, ps.birth_day[pidx], [0.7, 0.2, 0.1])
    birth = where(rng.random(n) < r["birth_junk"], "01.01.1900", birth)
    birth = where(rng.random(n) < r["birth_missing"], None, birth)
    comp = ps.company[pidx]
    comp_name = take(ps.companies, np.maximum(comp, 0))
    comp_name = where(rng.random(n) < 0.2, pc.replace_substring(pc.replace_substring(comp_name, "«", "\""), "»", "\""),
                      comp_name)
    comp_name = where((comp >= 0) & (rng.random(n) < 0.85), comp_name, None)
    created = R.datetimes_mixed(rng, secs_in(rng, created_day, created_day + 1),
                                ["iso_time", "ru_time", "ru", "iso"], [0.5, 0.3, 0.1, 0.1])
    return dict(nm, phone=phone, email=email, birth=birth, comment=comment, company=comp_name,
                created=created, manager=R.manager_text(rng, ps.manager[pidx]), **R.address(rng, ps, pidx))


def make_contacts(rng: np.random.Generator, banks: Banks, ps: Persons, end_day: int) -> Contacts:
    n, r = ps.n, P.RATES
    b_only = rng.random(n) < r["bitrix_only"]
    u = rng.random(n)
    n_main = 1 + (u < r["extra_contact_1"]) + (u < r["extra_contact_2"])
    n_main = np.where(b_only, 1, n_main)
    pidx = expand(n_main)
    rank = rank_in_group(pidx)
    numbers = rng.permutation(len(pidx)) + 1
    width = max(6, len(str(len(pidx))))
    ids = ids_text(rng, numbers, zero_rate=r["id_leading_zeros"], width=width)
    primary_pos = np.flatnonzero(rank == 0)
    primary_id = ids.take(pa.array(primary_pos))
    deleted = (rank == 0) & (b_only[pidx] | (rng.random(len(pidx)) < r["deleted_primary"]))
    created = np.minimum(ps.signup[pidx] - rng.integers(0, 20, len(pidx)) + rank * rng.integers(0, 400, len(pidx)),
                         end_day)
    keep = np.flatnonzero(~deleted)
    f = contact_fields(rng, banks, ps, pidx[keep], created[keep])
    full_mode = rng.random(len(keep)) < r["full_name_col"]
    main_cols = {
        "contact_id": ids.take(pa.array(keep)),
        "full_name": where(full_mode, f["full"], None),
        "first_name": where(full_mode, None, f["first"]), "last_name": where(full_mode, None, f["last"]),
        "middle_name": where(full_mode, None, f["middle"]),
        "phone": f["phone"], "email": f["email"], "birth_date": f["birth"], "city": f["city"],
        "address": f["address"], "postcode": f["postcode"], "region": f["region"], "company": f["company"],
        "created_at": f["created"], "manager": f["manager"], "comment": f["comment"]}
    main = Table(main_cols, pidx[keep], main_cols["contact_id"])

    bdup = (~b_only) & (rng.random(n) < r["bitrix_dup"])
    bp = np.flatnonzero(b_only | bdup)
    bcreated = np.minimum(ps.signup[bp] + rng.integers(0, 300, len(bp)), end_day)
    g = contact_fields(rng, banks, ps, bp, bcreated)
    bids = cat("B", num_str(rng.permutation(len(bp)) + 100))
    bcols = {"ID": bids, "Имя": g["first"], "Фамилия": g["last"], "Отчество": g["middle"],
             "Мобильный телефон": g["phone"], "Рабочий e-mail": g["email"], "Дата рождения": g["birth"],
             "Город": g["city"], "Адрес": g["address"], "Индекс": g["postcode"], "Компания": g["company"],
             "Дата создания": g["created"], "Ответственный": g["manager"], "Комментарий": g["comment"]}
    bitrix = Table(bcols, bp, bids)
    return Contacts(main, bitrix, primary_id, {})


# ---- orders ------------------------------------------------------------------------------
@dataclass
class Orders:
    main: Table
    archive: Table
    day: np.ndarray    # per main order
    status: np.ndarray


def make_orders(rng: np.random.Generator, ps: Persons, contacts: Contacts, end_day: int) -> Orders:
    cats = list(P.CATEGORIES)
    cyc = np.array([P.CATEGORIES[c]["cycle"] for c in cats], float)
    price = np.array([P.CATEGORIES[c]["price"] for c in cats], float)
    bcyc = np.array([P.BEHAVIOUR[b]["cycle"] for b in BEHAVIOURS])
    bspend = np.array([P.BEHAVIOUR[b]["spend"] for b in BEHAVIOURS])
    n = ps.n
    one = ps.behaviour == B["one_time_buyer"]
    has2 = (~one) & (rng.random(n) < P.RATES["second_category"])
    stream_p = np.r_[np.arange(n), np.flatnonzero(has2)]
    stream_c = choice_idx(rng, len(stream_p), [0.35, 0.2, 0.15, 0.2, 0.1])
    cycle = cyc[stream_c] * bcyc[ps.behaviour[stream_p]] * rng.lognormal(0, 0.25, len(stream_p))
    lo = ps.signup[stream_p]
    hi = np.minimum(ps.stop[stream_p], end_day + 1)
    first = lo + (rng.random(len(stream_p)) * np.minimum(cycle * 0.5, np.maximum(hi - lo - 1, 0))).astype(np.int64)
    count = np.where(first < hi, np.floor((hi - first) / cycle).astype(np.int64) + 1, 0).clip(0, 80)
    count = np.where(one[stream_p], np.minimum(count, 1), count)
    s = expand(count)
    k = rank_in_group(s)
    day = first[s] + (k * cycle[s] + rng.normal(0, 0.12, len(s)) * cycle[s]).astype(np.int64)
    day = np.clip(day, lo[s], hi[s] - 1)
    person = stream_p[s]
    cat_i = stream_c[s]
    secs = secs_in(rng, day, day + 1, 0.8)
    order = np.argsort(secs, kind="stable")
    person, cat_i, secs, day = person[order], cat_i[order], secs[order], day[order]
    m = len(person)

    status_p = np.array([P.BEHAVIOUR[b]["status"] for b in BEHAVIOURS])[ps.behaviour[person]]
    status = (rng.random(m)[:, None] > np.cumsum(status_p, 1)[:, :-1]).sum(1)
    qty = np.where(cyc[cat_i] <= 60, rng.geometric(0.45, m), 1).clip(1, 20)
    disc = np.where(rng.random(m) < P.RATES["orders_discount"], rng.choice([5, 10, 15, 20], m), 0)
    unit = price[cat_i] * bspend[ps.behaviour[person]] * rng.lognormal(0, 0.35, m)
    kop = (unit * qty * (1 - disc / 100) * 100).astype(np.int64)
    comma = rng.random(m) < P.RATES["orders_amount_comma"]
    cid = contacts.primary_id.take(pa.array(person))
    cid = where(rng.random(m) < P.RATES["order_id_zero_strip"], pc.utf8_ltrim(cid, "0"), cid)
    ids = num_str(np.arange(m) + 100_001)
    date_txt = R.datetimes_mixed(rng, secs, ["iso_time", "iso", "ru", "compact"], [0.6, 0.2, 0.15, 0.05])
    cols = {"order_id": ids, "contact_id": cid, "order_date": date_txt, "amount": money_str(kop, comma),
            "quantity": num_str(qty), "status": take(P.ORDER_STATUSES, status), "category": take(cats, cat_i),
            "discount": where(disc > 0, num_str(disc), where(rng.random(m) < 0.5, "0", None))}
    n_arch = min(P.ARCHIVE_MAX_ROWS, m // 20)
    arch = {k: v.slice(0, n_arch) for k, v in cols.items()}
    arch["amount"] = pa.array(kop[:n_arch] / 100.0)
    arch["quantity"] = pa.array(qty[:n_arch].astype(np.int64))
    arch["order_date"] = pa.array(secs[:n_arch].astype("datetime64[s]"))
    mainc = {k: v.slice(n_arch) for k, v in cols.items()}
    return Orders(Table(mainc, person[n_arch:], mainc["order_id"]), Table(arch, person[:n_arch], arch["order_id"]),
                  day[n_arch:], status[n_arch:])


# ---- mail (CSV export) -------------------------------------------------------------------
def events_for(rng: np.random.Generator, ps: Persons, key: str, eligible: np.ndarray, scale: float = 1.0):
    """Poisson count per person by behaviour, expanded to per-event person index."""
    mean = np.array([P.BEHAVIOUR[b][key] for b in BEHAVIOURS])[ps.behaviour] * scale
    counts = np.where(eligible, rng.poisson(mean), 0)
    return expand(counts)


def message_texts(rng: np.random.Generator, ps: Persons, banks: Banks, pidx: np.ndarray, day: np.ndarray,
                  inbound: np.ndarray) -> dict[str, pa.Array]:
    """Subject and body: greeting, tone sentence(s), closing, optional signature and quoted reply."""
    n, r = len(pidx), P.RATES
    tone = tones(rng, ps, pidx, day)
    en = rng.random(n) < r["mail_english"]
    mgr_first = take([m[0].split()[1] for m in P.MANAGERS], ps.manager[pidx])
    gflat, gi = pick(rng, P.GREET_RU, P.GREET_EN, tone, en)
    greet = fill_templates(gflat, gi, {"mgr": mgr_first})
    bflat, bi = pick(rng, P.BODY_RU, P.BODY_EN, tone, en)
    body = take(bflat, bi)
    _, bi2 = pick(rng, P.BODY_RU, P.BODY_EN, tone, en)
    body = where(rng.random(n) < 0.35, cat(body, " ", take(bflat, bi2)), body)
    cflat, ci = pick(rng, P.CLOSE_RU, P.CLOSE_EN, tone, en)
    sflat, si = pick(rng, P.SUBJECT_RU, P.SUBJECT_EN, tone, en)
    name = cat(banks.first.canon(ps.first[pidx]), " ", banks.last.canon(ps.last_entry[pidx]))
    phone = R.messy_phone(rng, np.where(ps.mobile[pidx] > 0, ps.mobile[pidx], ps.landline[pidx]))
    sig = where((rng.random(n) < r["mail_signature"]) & (ps.mobile[pidx] + ps.landline[pidx] > 0),
                cat("\n-- \n", name, "\nтел. ", phone), where(rng.random(n) < 0.5, cat("\n", name), ""))
    out_i = rng.integers(0, len(P.OUTBOUND_RU), n)
    quote = rng.random(n) < r["mail_quote"]
    q = cat("\n\n> ", take(P.OUTBOUND_RU, out_i), "\n> ")
    inbound_body = cat(greet, "\n\n", body, "\n\n", take(cflat, ci), sig, where(quote, q, ""))
    mgr_name = take([m[0] for m in P.MANAGERS], ps.manager[pidx])
    outbound_body = cat(take(P.OUTBOUND_RU, out_i), "\n\n-- \n", mgr_name, "\nClientPulse Demo, 8-800-555-35-35")
    subject = where(quote, cat("Re: ", take(sflat, si)), take(sflat, si))
    return {"subject": where(inbound, subject, "Ваш заказ / Your order"),
            "body": where(inbound, inbound_body, outbound_body), "tone": pa.array(tone)}


def make_messages(rng: np.random.Generator, banks: Banks, ps: Persons) -> Table:
    pidx = events_for(rng, ps, "mails", ps.email_domain >= 0, 0.6)
    n = len(pidx)
    secs = secs_in(rng, ps.signup[pidx], ps.comm_end[pidx] + 1)
    order = np.argsort(secs, kind="stable")
    pidx, secs = pidx[order], secs[order]
    inbound = rng.random(n) < 0.6
    t = message_texts(rng, ps, banks, pidx, secs // DAY, inbound)
    person_addr = R.emails(rng, ps, pidx, allow_junk=False)
    person_addr = pc.utf8_trim_whitespace(person_addr)
    disp = cat(banks.first.canon(ps.first[pidx]), " ", banks.last.canon(ps.last_entry[pidx]), " <", person_addr, ">")
    person_addr = where(rng.random(n) < P.RATES["mail_display_name"], disp, person_addr)
    mgr = R.manager_email(ps.manager[pidx])
    ids = cat("MSG-", num_str(np.arange(n) + 1, 8))
    cols = {"message_id": ids,
            "sent_at": R.datetimes_mixed(rng, secs, ["iso_time", "ru_time", "iso_t"], [0.6, 0.3, 0.1]),
            "from_address": where(inbound, person_addr, mgr), "to_address": where(inbound, mgr, person_addr),
            "subject": t["subject"], "body": t["body"], "direction": where(inbound, "inbound", "outbound")}
    return Table(cols, pidx, ids)


# ---- calls -------------------------------------------------------------------------------
def make_calls(rng: np.random.Generator, ps: Persons) -> Table:
    pidx = events_for(rng, ps, "calls", (ps.mobile > 0) | (ps.landline > 0))
    n = len(pidx)
    secs = secs_in(rng, ps.signup[pidx], ps.comm_end[pidx] + 1)
    order = np.argsort(secs, kind="stable")
    pidx, secs = pidx[order], secs[order]
    mob, land = ps.mobile[pidx], ps.landline[pidx]
    num = np.where((mob > 0) & ((land == 0) | (rng.random(n) < 0.7)), mob, land)
    status = choice_idx(rng, n, [0.72, 0.2, 0.08])
    toxic = ps.behaviour[pidx] == B["toxic_complainer"]
    dur = np.where(status == 0, rng.lognormal(np.where(toxic, 6.6, 5.3), 0.6), 0)
    dur = np.where(status == 2, rng.integers(10, 60, n), dur).astype(np.int64)
    tone = tones(rng, ps, pidx, secs // DAY)
    flat, ti = pick(rng, P.TRANSCRIPT_RU, P.TRANSCRIPT_RU, tone, np.zeros(n, bool))
    transcript = where((status == 0) & (rng.random(n) < P.RATES["call_transcript"]), take(flat, ti), None)
    ids = ids_text(rng, np.arange(n) + 1, zero_rate=0.3, width=8)
    cols = {"call_id": ids,
            "started_at": R.datetimes_mixed(rng, secs, ["ru_time", "iso_time"], [0.8, 0.2]),
            "phone": R.telephony_phone(rng, num),
            "direction": where(rng.random(n) < 0.55, "inbound", "outbound"),
            "status": take(["answered", "missed", "voicemail"], status), "duration_sec": num_str(dur),
            "manager": R.manager_text(rng, ps.manager[pidx]), "transcript": transcript}
    return Table(cols, pidx, ids)


# ---- tickets -----------------------------------------------------------------------------
def make_tickets(rng: np.random.Generator, ps: Persons, contacts: Contacts) -> Table:
    pidx = events_for(rng, ps, "tickets", np.ones(ps.n, bool))
    n, r = len(pidx), P.RATES
    secs = secs_in(rng, ps.signup[pidx], ps.comm_end[pidx] + 1)
    order = np.argsort(secs, kind="stable")
    pidx, secs = pidx[order], secs[order]
    toxic = ps.behaviour[pidx] == B["toxic_complainer"]
    cat_p_t = [0.25, 0.2, 0.03, 0.05, 0.1, 0.15, 0.02, 0.2]
    cat_p_o = [0.08, 0.05, 0.2, 0.2, 0.1, 0.04, 0.3, 0.03]
    c = np.where(toxic, choice_idx(rng, n, cat_p_t), choice_idx(rng, n, cat_p_o))
    reopen = rng.poisson(np.where(toxic, 1.3, 0.12))
    handling = rng.lognormal(np.where(toxic, 4.2, 2.9), 0.7) * (1 + reopen)
    is_open = rng.random(n) < 0.12
    status = np.where(is_open, np.where(reopen > 0, 2, 0), 1)
    closed = secs + (handling * 60 * rng.integers(3, 60, n)).astype(np.int64)
    flat_ru = [t for k in P.TICKET_CATEGORIES for t in P.TICKET_TEXT_RU[k]]
    flat_en = [t for k in P.TICKET_CATEGORIES for t in P.TICKET_TEXT_EN[k]]
    text = where(rng.random(n) < r["mail_english"], take(flat_en, c * 2 + rng.integers(0, 2, n)),
                 take(flat_ru, c * 3 + rng.integers(0, 3, n)))
    text = where(toxic & (rng.random(n) < 0.3), cat(text, "!!! Это уже не первый раз."), text)
    cid = where(rng.random(n) < r["ticket_contact_id"], contacts.primary_id.take(pa.array(pidx)), None)
    email = where(rng.random(n) < r["ticket_email"], R.emails(rng, ps, pidx), None)
    ph = where((rng.random(n) < r["ticket_phone"]) & (ps.mobile[pidx] > 0),
               R.messy_phone(rng, np.maximum(ps.mobile[pidx], 1)), None)
    hm = (handling * 10).astype(np.int64)
    ids = num_str(np.arange(n) + 1, 6)
    cols = {"ticket_id": ids,
            "created_at": R.datetimes_mixed(rng, secs, ["ru_time", "ru", "iso_time"], [0.7, 0.1, 0.2]),
            "closed_at": where(status == 1, R.datetimes_mixed(rng, closed, ["ru_time"], [1.0]), None),
            "contact_id": cid, "email": email, "phone": ph, "category": take(P.TICKET_CATEGORIES, c),
            "status": take(["open", "closed", "reopened"], status), "reopen_count": num_str(reopen),
            "handling_minutes": cat(num_str(hm // 10), ",", num_str(hm % 10)), "text": text}
    return Table(cols, pidx, ids)


# ---- marketing events --------------------------------------------------------------------
def make_events(rng: np.random.Generator, ps: Persons, contacts: Contacts, end_day: int) -> Table:
    pidx = events_for(rng, ps, "events", np.ones(ps.n, bool))
    n, r = len(pidx), P.RATES
    beh = ps.behaviour[pidx]
    hot = beh == B["hot_inactive"]
    lo = np.where(hot & (rng.random(n) < 0.8), end_day - 120, ps.signup[pidx])
    secs = secs_in(rng, lo, ps.comm_end[pidx] + 1, 0.6)
    order = np.argsort(secs, kind="stable")
    pidx, secs, beh = pidx[order], secs[order], beh[order]
    et = np.empty(n, np.int64)
    for key, probs in P.EVENT_MIX.items():
        m = (beh == B[key]) if key != "default" else ~np.isin(beh, [B[k] for k in P.EVENT_MIX if k != "default"])
        et[m] = choice_idx(rng, int(m.sum()), probs)
    cid = where(rng.random(n) < r["event_contact_id"], contacts.primary_id.take(pa.array(pidx)), None)
    email = where(rng.random(n) < r["event_email"], pc.utf8_lower(take(ps.email, pidx)), None)
    ph = where((rng.random(n) < r["event_phone"]) & (ps.mobile[pidx] > 0),
               R.telephony_phone(rng, np.maximum(ps.mobile[pidx], 1)), None)
    # an event export is per contact: a row with no identifier at all falls back to the contact id
    no_id = (pc.is_null(cid).to_numpy(zero_copy_only=False) & pc.is_null(email).to_numpy(zero_copy_only=False)
             & pc.is_null(ph).to_numpy(zero_copy_only=False))
    cid = where(~no_id, cid, contacts.primary_id.take(pa.array(pidx)))
    ids = cat("EV", num_str(np.arange(n) + 1, 9))
    cols = {"event_id": ids, "occurred_at": R.datetimes_mixed(rng, secs, ["iso_t", "iso_time"], [0.85, 0.15]),
            "contact_id": cid, "email": email, "phone": ph, "event_type": take(P.EVENT_TYPES, et)}
    return Table(cols, pidx, ids)
