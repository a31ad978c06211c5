"""E-mail normalisation: raw text → cleaned address, matching key, status.

One output row per DISTINCT non-null input. Columns:

* ``raw`` – the input as given;
* ``email`` – trimmed, lower-cased, ``Name <addr>`` / ``mailto:`` unwrapped, domain typo fixed
  when the config says ``fix``; None when the syntax is invalid or the value empty;
* ``email_key`` – the matching key: Gmail ignores dots and ``+tags`` and
  googlemail.com = gmail.com; Yandex strips ``+tags``, treats ``-`` and ``.`` in the login as one
  and ya.ru / yandex.com / yandex.ru are one mailbox; mail.ru, bk.ru, list.ru, inbox.ru stay
  separate. Set only when ``is_valid``. Use it for matching, never for display;
* ``is_valid`` – syntactically deliverable (``email_validator`` without DNS) and not junk.
  Role mailboxes (``info@``, ``sales@`` …) ARE valid: a company can be written to there;
* ``is_personal`` – valid and not a role mailbox: usable as a personal identifier (dedupe,
  coverage of persons);
* ``status`` ∈ {valid, typo_fixed, invalid_syntax, junk, role, empty} (priority
  empty > invalid_syntax > junk > role > typo_fixed > valid);
* ``suggestion`` – a corrected address when a typo is only suspected (never applied);
* ``reason`` – None or a short code (``domain_typo``, ``trailing_dot``, ``junk_address``,
  ``junk_local_part``, ``placeholder_local_part`` (``noemail@``, ``нет@``, ``no_email1@``),
  ``junk_domain``, ``digits_local_part``, ``repeated_char_local_part``,
  ``role_address``, ``possible_typo``, ``multiple_addresses``, ``no_at_sign``, ``bad_tld``,
  ``mixed_scripts`` (a homoglyph such as a Cyrillic «а» in ``ivаn@…``) or the validator's message).

Speed: a strict ASCII regex (a subset of what ``email_validator`` accepts) validates the common
case; only addresses it rejects are passed to ``email_validator`` (~20 µs each).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from data_quality.normalize._common import config_section, distinct_non_null

COLUMNS = ["raw", "email", "email_key", "is_valid", "is_personal", "status", "suggestion", "reason"]
STATUSES = ("valid", "typo_fixed", "invalid_syntax", "junk", "role", "empty")

_ANGLE = re.compile(r"<([^<>]*@[^<>]*)>")
_WS = re.compile(r"\s+")
_MULTI = re.compile(r"[,;]|\s(?=\S+@)")
# Strict dot-atom local part and LDH domain with an alphabetic TLD of ≥ 2 letters.
_FAST = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_DIGITS = re.compile(r"^\d+$")
_PLACEHOLDER_NOISE = re.compile(r"[._-]+")
_TRAILING_DIGITS = re.compile(r"\d+$")


def _placeholder_form(local: str) -> str:
    """``No_Email123`` → ``noemail``: how a "no e-mail" placeholder is compared."""
    return _TRAILING_DIGITS.sub("", _PLACEHOLDER_NOISE.sub("", local.lower())).replace("ё", "е")


def _osa_distance_le1(a: str, b: str) -> bool:
    """True when a and b differ by at most one edit (insert, delete, substitute, transpose)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


class _Rules:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.typos: dict[str, tuple[str, str]] = {}
        for dom, spec in cfg["typo_domains"].items():
            if isinstance(spec, str):
                spec = {"to": spec, "action": "fix"}
            self.typos[str(dom).lower()] = (str(spec["to"]).lower(), str(spec.get("action", "fix")))
        self.popular = [str(d).lower() for d in cfg["popular_domains"]]
        self.popular_set = set(self.popular)
        self.aliases = {
            str(k).lower(): str(v).lower() for k, v in cfg["key_domain_aliases"].items()
        }
        self.key_rules = {str(k).lower(): dict(v or {}) for k, v in cfg["key_rules"].items()}
        self.junk_addresses = {str(x).lower() for x in cfg["junk_addresses"]}
        self.junk_locals = {str(x).lower() for x in cfg["junk_local_parts"]}
        self.placeholder_locals = {
            _placeholder_form(str(x).lower()) for x in cfg["placeholder_local_parts"]
        }
        self.junk_domains = {str(x).lower() for x in cfg["junk_domains"]}
        self.digit_local_max = int(cfg["junk_digit_local_max_len"])
        self.repeated_local = bool(cfg["junk_repeated_char_local"])
        self.roles = {str(x).lower() for x in cfg["role_local_parts"]}
        self._suggest = lru_cache(maxsize=65536)(self._suggest_uncached)

    def _suggest_uncached(self, domain: str) -> str | None:
        if domain in self.popular_set:
            return None
        for pop in self.popular:
            if _osa_distance_le1(domain, pop):
                return pop
        return None

    def suggest(self, domain: str) -> str | None:
        return self._suggest(domain)

    def key(self, local: str, domain: str) -> str:
        domain = self.aliases.get(domain, domain)
        rule = self.key_rules.get(domain)
        if rule:
            if rule.get("strip_plus_tag") and "+" in local:
                local = local.split("+", 1)[0]
            if rule.get("strip_dots"):
                local = local.replace(".", "")
            if rule.get("dash_equals_dot"):
                local = local.replace("-", ".")
        return f"{local}@{domain}"

    def junk_reason(self, local: str, domain: str) -> str | None:
        base = local.split("+", 1)[0]
        if f"{local}@{domain}" in self.junk_addresses or f"{base}@{domain}" in self.junk_addresses:
            return "junk_address"
        if domain in self.junk_domains:
            return "junk_domain"
        if base in self.junk_locals:
            return "junk_local_part"
        if _placeholder_form(base) in self.placeholder_locals:
            return "placeholder_local_part"
        if _DIGITS.match(base) and len(base) <= self.digit_local_max:
            return "digits_local_part"
        if self.repeated_local and len(set(base)) == 1:
            return "repeated_char_local_part"
        return None


_validator: list[Any] = []


def _validate(address: str) -> str | None:
    """None when ``email_validator`` accepts the address, else its message."""
    if not _validator:
        from email_validator import EmailNotValidError, validate_email

        _validator.extend([validate_email, EmailNotValidError])
    validate_email, error = _validator
    try:
        validate_email(address, check_deliverability=False)
    except error as exc:
        return str(exc)
    return None


def _mixed_scripts(part: str) -> bool:
    """Letters of two scripts in one local part or domain label (``ivаn`` with a Cyrillic «а»):
    a homoglyph, never a real mailbox; an all-Cyrillic IDN address (``иван@почта.рф``) is fine."""
    scripts = {unicodedata.name(ch, "?").split(" ", 1)[0] for ch in part if ch.isalpha()}
    return len(scripts) > 1


def _clean(raw: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    text = raw.strip()
    m = _ANGLE.search(text)
    if m:
        text = m.group(1)
    text = text.strip().lower()
    text = text.removeprefix("mailto:")
    parts = [p for p in _MULTI.split(text) if p.strip()]
    if len(parts) > 1 and sum("@" in p for p in parts) > 1:
        text = next(p for p in parts if "@" in p)
        notes.append("multiple_addresses")
    text = _WS.sub("", text).strip("\"'()[]<>")
    stripped = text.rstrip(".,;:")
    if stripped != text:
        notes.append("trailing_dot")
        text = stripped
    text = text.lstrip(".,;:")
    return text, notes


def _classify(raw: str, rules: _Rules) -> tuple:
    text, notes = _clean(raw)
    if not text:
        return (raw, None, None, False, False, "empty", None, None)
    fixed = "trailing_dot" in notes
    while "@@" in text:
        text, fixed = text.replace("@@", "@"), True
    if "@" not in text:
        return (raw, None, None, False, False, "invalid_syntax", None, "no_at_sign")
    local, domain = text.rsplit("@", 1)
    if "," in domain:  # "ivan@mail,ru"
        domain, fixed = domain.replace(",", "."), True
    if domain.endswith(".ру"):
        domain, fixed = domain[:-3] + ".ru", True
    suggestion = None
    typo = rules.typos.get(domain)
    if typo is not None:
        if typo[1] == "fix":
            domain, fixed = typo[0], True
        else:
            suggestion = f"{local}@{typo[0]}"
    elif domain not in rules.popular_set:
        pop = rules.suggest(domain)
        if pop is not None:
            suggestion = f"{local}@{pop}"
    address = f"{local}@{domain}"
    if not _FAST.match(address) or len(local) > 64 or len(address) > 254:
        if not address.isascii() and any(_mixed_scripts(part) for part in (local, *domain.split("."))):
            return (raw, None, None, False, False, "invalid_syntax", suggestion, "mixed_scripts")
        msg = _validate(address)
        if msg is not None:
            return (raw, None, None, False, False, "invalid_syntax", suggestion, msg)
        tld = domain.rsplit(".", 1)[-1]
        if len(tld) < 2:
            return (raw, None, None, False, False, "invalid_syntax", suggestion, "bad_tld")
    junk = rules.junk_reason(local, domain)
    if junk:
        return (raw, address, None, False, False, "junk", None, junk)
    key = rules.key(local, domain)
    base = local.split("+", 1)[0]
    if base in rules.roles:
        return (raw, address, key, True, False, "role", suggestion, "role_address")
    note = "multiple_addresses" if "multiple_addresses" in notes else None
    if fixed:
        reason = "trailing_dot" if notes == ["trailing_dot"] and typo is None else "domain_typo"
        return (raw, address, key, True, True, "typo_fixed", None, reason)
    if suggestion:
        return (raw, address, key, True, True, "valid", suggestion, "possible_typo")
    return (raw, address, key, True, True, "valid", None, note)


def normalize_emails(
    values: pd.Series | Iterable[str | None], config: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Normalise e-mail addresses; one output row per DISTINCT non-null input (join on ``raw``).

    ``config`` is the whole ``normalization.yaml`` dict or its ``emails`` section; missing keys
    fall back to the shipped defaults.
    """
    rules = _Rules(config_section("emails", config))
    rows = [_classify(raw, rules) for raw in distinct_non_null(values)]
    out = pd.DataFrame.from_records(rows, columns=COLUMNS)
    out["is_valid"] = out["is_valid"].astype(bool)
    out["is_personal"] = out["is_personal"].astype(bool)
    return out


def email_key(address: str, config: dict[str, Any] | None = None) -> str | None:
    """Matching key of one address (None unless valid) – convenience for callers and tests."""
    out = normalize_emails([address], config)
    return None if out.empty else out.iloc[0]["email_key"]
