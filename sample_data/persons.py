"""Latent persons: the truth every landing record is rendered from."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import params as P
from .arrowkit import EPOCH_DAY, cat, choice_idx, num_str, take, where
from .names import Banks, translit

BEHAVIOURS = list(P.BEHAVIOUR_MIX)


@dataclass
class Persons:
    n: int
    behaviour: np.ndarray      # int code into BEHAVIOURS
    gender: np.ndarray         # 0 male, 1 female
    first: np.ndarray          # entry in Banks.first
    last: np.ndarray           # surname index (entry = last * 2 + gender)
    father: np.ndarray         # male-name index (patronymic entry = father * 2 + gender)
    birth_day: np.ndarray      # days since 1970-01-01
    mobile: np.ndarray         # 10-digit int, 0 = none
    landline: np.ndarray       # 10-digit int, 0 = none
    email: pa.Array            # true e-mail or null
    email_login: pa.Array
    email_domain: np.ndarray   # index into domains, -1 = none
    domains: list[str]
    city: np.ndarray
    street: np.ndarray
    house: np.ndarray
    flat: np.ndarray
    postcode: np.ndarray
    company: np.ndarray        # -1 = private person
    companies: list[str]
    company_domain: np.ndarray  # per company: index into domains
    tollfree: np.ndarray       # per company: 7-digit tail of an 8-800 line
    manager: np.ndarray
    signup: np.ndarray         # day of first contact
    stop: np.ndarray           # purchases happen strictly before this day
    churn: np.ndarray          # -1 = not churned
    comm_end: np.ndarray       # last day mail/calls/tickets may happen
    extra: dict = field(default_factory=dict)

    @property
    def last_entry(self) -> np.ndarray:
        return self.last * 2 + self.gender

    @property
    def middle_entry(self) -> np.ndarray:
        return self.father * 2 + self.gender


def _unique_randoms(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """n distinct integers in [lo, hi), in a seed-determined order."""
    draw = rng.integers(lo, hi, size=int(n * 1.2) + 16)
    _, first_pos = np.unique(draw, return_index=True)
    keep = np.sort(first_pos)[:n]
    if len(keep) < n:
        raise ValueError("phone space exhausted")
    return draw[keep]


def _companies(rng: np.random.Generator, n_comp: int) -> tuple[list[str], list[str]]:
    forms = rng.integers(0, len(P.COMPANY_FORMS), n_comp)
    words = rng.integers(0, len(P.COMPANY_WORDS), n_comp)
    suf = rng.integers(0, len(P.COMPANY_SUFFIX), n_comp)
    names, domains = [], []
    for i in range(n_comp):
        w = P.COMPANY_WORDS[words[i]] + P.COMPANY_SUFFIX[suf[i]]
        names.append(f"{P.COMPANY_FORMS[forms[i]]} «{w}»")
        slug = "".join(ch for ch in translit(w).lower() if ch.isalnum())
        domains.append(f"{slug}{i}.ru" if i >= len(P.COMPANY_WORDS) else f"{slug}.ru")
    return names, domains


def _emails(rng: np.random.Generator, banks: Banks, first: np.ndarray, last_entry: np.ndarray,
            birth_year: np.ndarray, dom: np.ndarray, domains: list[str]) -> tuple[pa.Array, pa.Array]:
    n = len(first)
    fl, ll = take(banks.first_login, first), take(banks.last_login, last_entry)
    initial = pc.utf8_slice_codeunits(fl, 0, 1)
    yy = num_str(birth_year % 100, 2)
    style = rng.integers(0, 6, n)
    digits = num_str(rng.integers(1, 999, n))
    login = pc.choose(pa.array(style.astype(np.int8)),
                      cat(fl, ".", ll), cat(initial, ".", ll), cat(ll, fl), cat(ll, yy),
                      cat(fl, "_", ll, digits), cat(fl, digits))
    # make logins unique per domain so each true e-mail belongs to exactly one person
    key = cat(login, "@", take(domains, np.maximum(dom, 0)))
    dup = pd.Series(key.to_numpy(zero_copy_only=False)).duplicated().to_numpy()
    login = where(dup, cat(login, num_str(np.arange(n))), login)
    email = cat(login, "@", take(domains, np.maximum(dom, 0)))
    return login, email


def make_persons(rng: np.random.Generator, banks: Banks, n: int, end_day: int, years: float) -> Persons:
    start_day = end_day - int(years * 365)
    beh = choice_idx(rng, n, list(P.BEHAVIOUR_MIX.values()))
    gender = (rng.random(n) < 0.52).astype(np.int64)
    n_f = len(P.FEMALE_NAMES)
    first = np.where(gender == 0, rng.integers(0, banks.n_male, n), banks.n_male + rng.integers(0, n_f, n))
    last = rng.integers(0, len(P.SURNAMES), n)
    father = rng.integers(0, banks.n_male, n)
    birth = (rng.normal(1983, 12, n).clip(1946, 2007) - 1970) * 365.25 + rng.integers(0, 365, n)
    birth = birth.astype(np.int64)
    city = choice_idx(rng, n, P.CITY_WEIGHTS)
    street = rng.integers(0, len(P.STREETS), n)
    house, flat = rng.integers(1, 120, n), rng.integers(1, 300, n)
    pc_prefix = np.array([int(c[3]) for c in P.CITIES])[city]
    postcode = pc_prefix * 10 ** (6 - np.array([len(c[3]) for c in P.CITIES])[city]) + rng.integers(0, 9999, n)

    # families: the person after a family head shares surname, address and home phone
    fam = (rng.random(n) < P.RATES["family_share"]) & (np.arange(n) > 0)
    head = np.where(fam, np.arange(n) - 1, np.arange(n))
    for arr in (last, city, street, house, flat, postcode):
        arr[:] = arr[head]
    # namesakes: same first and last name, different person
    ns = rng.random(n) < P.RATES["namesake"]
    other = rng.integers(0, n, n)
    gender[ns], first[ns], last[ns] = gender[other[ns]], first[other[ns]], last[other[ns]]

    mobile = _unique_randoms(rng, n, 9_000_000_000, 9_999_999_999)
    mobile[rng.random(n) < P.RATES["no_phone"]] = 0
    codes = np.array([int(c[2]) for c in P.CITIES])[city]
    landline = codes * 10_000_000 + rng.integers(2_000_000, 9_999_999, n)
    has_land = (rng.random(n) < P.RATES["has_landline"]) | fam
    has_land[head[fam]] = True
    landline = np.where(has_land, landline, 0)
    landline = np.where(fam, landline[head], landline)

    n_comp = max(1, n // 20)
    companies, comp_domains = _companies(rng, n_comp)
    company = np.where(rng.random(n) < P.RATES["b2b"], rng.integers(0, n_comp, n), -1)
    domains = list(P.FREE_MAIL_DOMAINS) + comp_domains
    dom = choice_idx(rng, n, P.FREE_MAIL_WEIGHTS)
    work_mail = (company >= 0) & (rng.random(n) < 0.5)
    dom = np.where(work_mail, len(P.FREE_MAIL_DOMAINS) + np.maximum(company, 0), dom)
    no_mail = rng.random(n) < P.RATES["no_email"]
    dom = np.where(no_mail, -1, dom)
    birth_year = 1970 + birth // 365
    login, email = _emails(rng, banks, first, last * 2 + gender, birth_year, dom, domains)
    email = where(dom >= 0, email, None)

    signup, stop, churn, comm_end = _timeline(rng, beh, start_day, end_day)
    return Persons(n=n, behaviour=beh, gender=gender, first=first, last=last, father=father, birth_day=birth,
                   mobile=mobile, landline=landline, email=email, email_login=login, email_domain=dom,
                   domains=domains, city=city, street=street, house=house, flat=flat, postcode=postcode,
                   company=company, companies=companies,
                   company_domain=len(P.FREE_MAIL_DOMAINS) + np.arange(n_comp),
                   tollfree=rng.integers(1_000_000, 9_999_999, n_comp),
                   manager=rng.integers(0, len(P.MANAGERS), n), signup=signup, stop=stop, churn=churn,
                   comm_end=comm_end)


def _timeline(rng: np.random.Generator, beh: np.ndarray, start: int, end: int):
    """Signup, purchase stop, churn and communication end per behaviour type."""
    n = len(beh)
    code = {b: i for i, b in enumerate(BEHAVIOURS)}
    u = rng.random(n)
    signup = (start + u * (end - start - 45)).astype(np.int64)
    stop = np.full(n, end + 1, np.int64)
    churn = np.full(n, -1, np.int64)
    comm_end = np.full(n, end, np.int64)

    m = beh == code["sleeper"]
    stop[m] = end - rng.integers(90, 300, m.sum())
    m = beh == code["silent_churner"]
    churn[m] = end - rng.integers(30, max(31, min(600, end - start - 200)), m.sum())
    m = (beh == code["toxic_complainer"]) & (rng.random(n) < 0.2)
    churn[m] = end - rng.integers(20, 400, m.sum())
    m = beh == code["hot_inactive"]
    stop[m] = end - rng.integers(150, 420, m.sum())
    m = beh == code["new"]
    signup[m] = end - rng.integers(5, 90, m.sum())
    m = beh == code["one_time_buyer"]
    stop[m] = signup[m] + 15
    old = m & (stop + 90 < end)
    churn[old] = stop[old] + 90

    churned = churn >= 0
    stop = np.where(churned, np.minimum(stop, churn), stop)
    comm_end = np.where(churned & (beh != code["one_time_buyer"]), np.minimum(churn + 14, end), comm_end)
    # activity must have room before it stops
    signup = np.maximum(start, np.minimum(signup, stop - np.where(beh == code["one_time_buyer"], 15, 150)))
    return signup, stop, churn, comm_end


def day_str(days: np.ndarray) -> np.ndarray:
    return (EPOCH_DAY + np.asarray(days, dtype="timedelta64[D]")).astype(str)
