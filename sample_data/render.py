"""Messy renderings of a person's true values, as different systems and people type them."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import params as P
from .arrowkit import cat, choice_idx, num_str, take, where
from .names import CANON, DIM1, DIM2, LOWER, TRANSLIT, TYPO, UPPER, YO_FOLD, Banks
from .persons import Persons

PHONE_STYLES = ["8 ({a}) {b}-{c}-{d}", "+7 {a} {b} {c} {d}", "{a}{b}{c}{d}", "8{a}{b}{c}{d}",
                "8-{a}-{b}-{c}-{d}", "007 {a} {b} {c} {d}", "+7({a}){b}-{c}-{d}", "+7{a}{b}{c}{d}",
                "7 {a} {b}{c}{d}", "8{a} {b} {c} {d}"]
PHONE_STYLE_W = [0.22, 0.18, 0.12, 0.14, 0.08, 0.02, 0.08, 0.1, 0.03, 0.03]
TELEPHONY_STYLES = [7, 3, 2]  # caller-id formats: +7XXXXXXXXXX, 8XXXXXXXXXX, bare 10 digits


def phone_text(num10: np.ndarray, style: np.ndarray) -> pa.Array:
    """Format 10-digit national numbers in the given PHONE_STYLES."""
    num = np.asarray(num10, np.int64)
    parts = {"a": num_str(num // 10_000_000, 3), "b": num_str(num // 10_000 % 1000, 3),
             "c": num_str(num // 100 % 100, 2), "d": num_str(num % 100, 2)}
    from .names import fill_templates
    return fill_templates(PHONE_STYLES, style, parts)


def telephony_phone(rng: np.random.Generator, num10: np.ndarray) -> pa.Array:
    """How a PBX writes caller ids: +7…, 7…, 8… or bare digits."""
    n = len(num10)
    k = choice_idx(rng, n, [0.5, 0.2, 0.2, 0.1])
    num = np.asarray(num10, np.int64)
    s = num_str(num)
    return pc.choose(pa.array(k.astype(np.int8)), cat("+7", s), cat("7", s), cat("8", s), s)


def messy_phone(rng: np.random.Generator, num10: np.ndarray) -> pa.Array:
    return phone_text(num10, choice_idx(rng, len(num10), PHONE_STYLE_W))


def name_kinds(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variant kind per row for first, last and middle name (one style per row, plus slips)."""
    r = P.RATES
    rest = 1 - r["yo_fold"] - r["translit"] - r["upper"] - r["lower"]
    style = np.array([CANON, YO_FOLD, TRANSLIT, UPPER, LOWER])[
        choice_idx(rng, n, [rest, r["yo_fold"], r["translit"], r["upper"], r["lower"]])]
    kf, kl, km = style.copy(), style.copy(), style.copy()
    plain = (style == CANON) | (style == YO_FOLD)
    dim = plain & (rng.random(n) < r["diminutive"])
    kf[dim] = np.where(rng.random(dim.sum()) < 0.7, DIM1, DIM2)
    ty = plain & (rng.random(n) < r["typo"])
    which = rng.integers(0, 3, n)
    kf[ty & (which == 0)] = TYPO
    kl[ty & (which == 1)] = TYPO
    km[ty & (which == 2)] = TYPO
    return kf, kl, km


def names(rng: np.random.Generator, banks: Banks, ps: Persons, pidx: np.ndarray) -> dict[str, pa.Array]:
    """first/last/middle and a full_name variant per record, including placeholders."""
    n = len(pidx)
    kf, kl, km = name_kinds(rng, n)
    first = banks.first.render(ps.first[pidx], kf)
    last = banks.last.render(ps.last_entry[pidx], kl)
    middle = banks.middle.render(ps.middle_entry[pidx], km)
    middle = where(rng.random(n) < P.RATES["no_middle"], None, middle)
    order = rng.integers(0, 3, n)  # 0: Фамилия Имя Отчество, 1: Имя Фамилия, 2: Фамилия Имя
    full = pc.choose(pa.array(order.astype(np.int8)),
                     pc.utf8_trim_whitespace(cat(last, " ", first, " ", middle)), cat(first, " ", last),
                     cat(last, " ", first))
    placeholder = rng.random(n) < P.RATES["placeholder_name"]
    kind = rng.integers(0, 3, n)
    animals = cat(take(P.ANIMAL_ADJ, rng.integers(0, len(P.ANIMAL_ADJ), n)), " ",
                  take(P.ANIMALS, rng.integers(0, len(P.ANIMALS), n)))
    ph = messy_phone(rng, np.where(ps.mobile[pidx] > 0, ps.mobile[pidx], 9_123_456_789))
    junk = pc.choose(pa.array(kind.astype(np.int8)),
                     take(P.PLACEHOLDER_NAMES, rng.integers(0, len(P.PLACEHOLDER_NAMES), n)), animals, ph)
    swapped = rng.random(n) < P.RATES["swapped"]
    first_col = where(swapped, last, first)
    last_col = where(swapped, first, last)
    return {"first": where(placeholder, junk, first_col), "last": where(placeholder, None, last_col),
            "middle": where(placeholder, None, middle), "full": where(placeholder, junk, full),
            "first_plain": first, "placeholder": placeholder}


def emails(rng: np.random.Generator, ps: Persons, pidx: np.ndarray, allow_junk: bool = True) -> pa.Array:
    """The person's e-mail as typed: typos in domain, caps, spaces, shared info@ and junk."""
    n = len(pidx)
    r = P.RATES
    dom = ps.email_domain[pidx]
    has = dom >= 0
    login = take(ps.email_login, pidx)
    typo_bank = []
    for d in ps.domains:
        options = P.EMAIL_TYPOS.get(d) or [d + ".", d.replace(".ru", ".r"), d.replace(".", "..", 1)]
        typo_bank.append(options[len(d) % len(options)])
    dom_idx = np.maximum(dom, 0)
    u = rng.random(n)
    typo = u < r["email_typo"]
    domain = where(typo, take(typo_bank, dom_idx), take(ps.domains, dom_idx))
    e = cat(login, "@", domain)
    u = rng.random(n)
    e = where(u < r["email_upper"], pc.utf8_upper(e), e)
    e = where((u >= r["email_upper"]) & (u < r["email_upper"] + r["email_space"]), cat(" ", e, " "), e)
    e = where(has, e, None)
    if allow_junk:
        comp = ps.company[pidx]
        info = cat("info@", take(ps.domains, ps.company_domain[np.maximum(comp, 0)]))
        use_info = (comp >= 0) & (rng.random(n) < r["email_company_info"] * 0.4)
        e = where(use_info, info, e)
        junk = rng.random(n) < r["email_junk"]
        e = where(junk, take(P.JUNK_EMAILS, rng.integers(0, len(P.JUNK_EMAILS), n)), e)
    return e


def dates_mixed(rng: np.random.Generator, days: np.ndarray, weights: list[float],
                names: list[str] = ("ru", "iso", "compact")) -> pa.Array:
    from .arrowkit import fmt_times
    return fmt_times(np.asarray(days, np.int64) * 86_400, list(names), choice_idx(rng, len(days), weights))


def datetimes_mixed(rng: np.random.Generator, secs: np.ndarray, names: list[str], weights: list[float]) -> pa.Array:
    from .arrowkit import fmt_times
    return fmt_times(secs, names, choice_idx(rng, len(secs), weights))


def address(rng: np.random.Generator, ps: Persons, pidx: np.ndarray) -> dict[str, pa.Array]:
    n = len(pidx)
    city_names = [c[0] for c in P.CITIES]
    spell = []
    for c in city_names:
        spell.extend((P.CITY_SPELLINGS.get(c, [c, "г. " + c, c.upper()]) * 2)[:5])
    city_i = ps.city[pidx]
    city = take(spell, city_i * 5 + np.where(rng.random(n) < 0.6, 0, rng.integers(0, 5, n)))
    kind = take(P.STREET_KINDS, rng.integers(0, len(P.STREET_KINDS), n))
    street = take(P.STREETS, ps.street[pidx])
    house, flat = num_str(ps.house[pidx]), num_str(ps.flat[pidx])
    style = rng.integers(0, 3, n)
    addr = pc.choose(pa.array(style.astype(np.int8)),
                     cat(kind, " ", street, ", д. ", house, ", кв. ", flat),
                     cat(street, " ", house, "-", flat),
                     cat(kind, " ", street, " ", house, " кв ", flat))
    addr = where(rng.random(n) < 0.2, None, addr)
    region = where(rng.random(n) < 0.5, take([c[1] for c in P.CITIES], city_i), None)
    postcode = where(rng.random(n) < 0.55, num_str(ps.postcode[pidx], 6), None)
    return {"city": where(rng.random(n) < 0.1, None, city), "address": addr, "region": region,
            "postcode": postcode}


def manager_names() -> list[str]:
    """Every manager in every spelling: entry = manager * len(MANAGER_SPELLINGS) + spelling."""
    out = []
    for display, login in P.MANAGERS:
        last, first = display.split()
        for s in P.MANAGER_SPELLINGS:
            out.append(s.format(last=last, first=first, i=first[0], login=login))
    return out


def manager_text(rng: np.random.Generator, mgr: np.ndarray) -> pa.Array:
    k = len(P.MANAGER_SPELLINGS)
    spelling = np.where(rng.random(len(mgr)) < 0.7, 0, rng.integers(0, k, len(mgr)))
    return take(manager_names(), mgr * k + spelling)


def manager_email(mgr: np.ndarray) -> pa.Array:
    return take([f"{login}@{P.COMPANY_DOMAIN}" for _, login in P.MANAGERS], mgr)
