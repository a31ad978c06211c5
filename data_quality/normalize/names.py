"""Person-name normalisation: split, proper-case, placeholder detection, matching keys.

``normalize_names`` is row-aligned with its inputs (same index); each DISTINCT combination of
(full_name, first_name, last_name, middle_name) is parsed once.

Input precedence: when any of first/last/middle is filled those fields are used (a lone filled
field holding several words is parsed like a full name; «Иван» in last_name and «Иванов» in
first_name are swapped back); otherwise ``full_name`` is split. Splitting uses the first-name list
(``diminutives.csv`` + ``names.extra_first_names``, compared by ASCII key, so Latin-written
Russian names count), patronymic suffixes (-ович/-евна/-ична…, оглы/кызы) and surname endings
(-ов/-ова/-ин/-ский…). Orders handled: «Фамилия Имя Отчество», «Имя Отчество Фамилия»,
«Имя Фамилия», «Фамилия Имя», «ФАМИЛИЯ И.П.», «И.П. Фамилия», Latin «Ivan Petrov». With no clue
two words are read as «Имя Фамилия» (amoCRM's and the Latin order).

Placeholders (``is_placeholder`` True, name columns None): ``placeholder_word`` («Клиент»,
«Новый контакт 15», «Client»), ``test``, ``company`` («ООО Ромашка», «ИП …»), ``animal_name``
(amoCRM/Bitrix «Весёлый Енот»), ``phone_in_name`` / ``email_in_name`` (the field holds only
contact data), ``digits``, ``too_short`` (fewer than ``min_letters`` letters, or initials
only). A phone or e-mail next to a real name is removed and the name kept. A fully empty
name is not a placeholder (all None, ``is_placeholder`` False).

Keys (ASCII, for fuzzy matching only): ``first_name_key`` / ``last_name_key`` via
:func:`data_quality.normalize.translit.name_token_key`; ``first_name_canonical_key`` maps
diminutives and Latin forms to the full name's key (Саша → aleksandr, Катя → ekaterina,
Alex → aleksandr; ambiguous diminutives such as Саша/Женя/Валя resolve to the male form listed
first in the CSV); ``name_key`` = sorted(canonical first key, last key) joined by a space, so
«Иванов Иван» == «Иван Иванов» == «Ivanov Vanya».
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from data_quality.normalize._common import config_section, fold_yo
from data_quality.normalize.translit import name_token_key

COLUMNS = [
    "first_name",
    "last_name",
    "middle_name",
    "full_name_clean",
    "first_name_key",
    "last_name_key",
    "first_name_canonical_key",
    "name_key",
    "is_placeholder",
    "placeholder_reason",
]
PLACEHOLDER_REASONS = (
    "placeholder_word",
    "animal_name",
    "phone_in_name",
    "email_in_name",
    "test",
    "too_short",
    "digits",
    "company",
)
HERE = Path(__file__).resolve().parent

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"\+?\d[\d\s()\-.]{5,}\d")
_DIGIT = re.compile(r"\d")
_JUNK_CHARS = re.compile(r"[^\w\s.'’`-]|_", re.UNICODE)
_WS = re.compile(r"\s+")
_INITIALS = re.compile(r"^(?:[^\W\d_]\.){1,3}[^\W\d_]?\.?$", re.UNICODE)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_QUOTES = re.compile(r"[«»\"“”„]")
_CLEAN = re.compile(r"^[^\W\d_]+(?:[ .'’-]{1,2}[^\W\d_]+)*\.?$", re.UNICODE)


def load_diminutives(path: str | Path | None = None) -> dict[str, str]:
    """{ASCII key of a diminutive / spelling: ASCII key of the full name} from the CSV."""
    rows = _read_csv(str(path or HERE / "diminutives.csv"))
    mapping: dict[str, str] = {}
    for canonical, _gender, variants in rows:
        ckey = name_token_key(canonical)
        mapping.setdefault(ckey, ckey)
        for v in variants:
            mapping.setdefault(name_token_key(v), ckey)
    return mapping


@lru_cache(maxsize=8)
def _read_csv(path: str) -> list[tuple[str, str, list[str]]]:
    with open(path, encoding="utf-8") as fh:
        return [
            (
                r["canonical"].strip(),
                r.get("gender", ""),
                [v.strip() for v in (r.get("variants") or "").split("|") if v.strip()],
            )
            for r in csv.DictReader(fh)
        ]


def _norm(text: str) -> str:
    return fold_yo(text).lower()


class _Rules:
    def __init__(self, cfg: dict[str, Any]) -> None:
        words = lambda key: {_norm(str(x)) for x in cfg[key]}
        self.phrases = words("placeholder_phrases")
        self.ph_words = words("placeholder_words")
        self.test_words = words("test_words")
        self.company = words("company_markers")
        self.animals = words("animals")
        self.adj_endings = tuple(sorted(words("adjective_endings"), key=len, reverse=True))
        self.patr = tuple(words("patronymic_suffixes"))
        self.surname = tuple(words("surname_suffixes"))
        self.min_letters = int(cfg["min_letters"])
        dim_file = cfg["diminutives_file"]
        dim_path = Path(dim_file) if Path(dim_file).is_absolute() else HERE / dim_file
        self.canonical = load_diminutives(dim_path)
        extra = cfg.get("diminutives") or {}  # optional inline {diminutive: canonical}
        for dim, full in extra.items():
            self.canonical[name_token_key(str(dim))] = name_token_key(str(full))
        self.first_keys = set(self.canonical) | {
            name_token_key(str(x)) for x in cfg["extra_first_names"]
        }

        self._info: dict[str, tuple[bool, bool, bool, bool]] = {}

    def info(self, tok: str) -> tuple[bool, bool, bool, bool]:
        """(initial, first name, patronymic, surname) of a raw token, cached."""
        got = self._info.get(tok)
        if got is None:
            low = _norm(tok)
            ini = _is_initial(tok)
            first = not ini and self.is_first(low)
            patr = not ini and (self.is_patronymic(low) or " " in low)
            sur = not ini and not first and not patr and self.is_surname(low)
            got = self._info[tok] = (ini, first, patr, sur)
        return got

    # token predicates (token already lower-cased, ё folded)
    def is_first(self, tok: str) -> bool:
        return name_token_key(tok) in self.first_keys

    def is_patronymic(self, tok: str) -> bool:
        return len(tok) >= 5 and tok.endswith(self.patr)

    def is_surname(self, tok: str) -> bool:
        return len(tok) >= 4 and tok.endswith(self.surname)


def _is_initial(tok: str) -> bool:
    return bool(_INITIALS.match(tok)) or (len(tok) == 1 and tok.isalpha())


@lru_cache(maxsize=200_000)
def _proper(part: str) -> str:
    if not part:
        return part
    if _is_initial(part):
        return part.upper() if part.endswith(".") else part.upper() + "."
    if part.isupper() or part.islower():
        out = []
        for word in part.lower().split(" "):
            segs = re.split(r"([-'’])", word)
            out.append("".join(s[:1].upper() + s[1:] if s not in "-'’" else s for s in segs))
        return " ".join(out)
    return part


def _tokens(text: str) -> list[str]:
    toks: list[str] = []
    for tok in text.split(" "):
        tok = tok.strip(".-'’`") if not _INITIALS.match(tok) else tok
        if not tok:
            continue
        if _INITIALS.match(tok) and tok.count(".") > 1:  # "И.П." → "И.", "П."
            toks.extend(p + "." for p in tok.split(".") if p)
        else:
            toks.append(tok)
    return toks


def _placeholder(raw_text: str, rules: _Rules) -> tuple[str | None, str]:
    """(reason or None, cleaned text with contact data and digits removed)."""
    note = None
    text = raw_text
    had_quotes = False
    if _CLEAN.match(text):  # the common case: letters, single spaces, . - '
        text = text.strip()
    else:
        if _EMAIL.search(text):
            text, note = _EMAIL.sub(" ", text), "email_in_name"
        if _PHONE.search(text):
            text, note = _PHONE.sub(" ", text), note or "phone_in_name"
        if _DIGIT.search(text):
            text, note = _DIGIT.sub(" ", text), note or "digits"
        had_quotes = bool(_QUOTES.search(text))
        text = _WS.sub(" ", _JUNK_CHARS.sub(" ", text)).strip()
    norm = _norm(text)
    toks = [t.strip(".") for t in norm.split(" ") if t.strip(".")]
    if not toks:
        return (note or "too_short"), ""
    if norm.strip(". ") in rules.phrases or all(t in rules.ph_words for t in toks):
        return "placeholder_word", text
    if any(t in rules.test_words for t in toks):
        return "test", text
    if had_quotes or any(t in rules.company for t in toks):
        return "company", text
    if len(toks) == 2:
        for a, b in ((toks[0], toks[1]), (toks[1], toks[0])):
            if b in rules.animals and a.endswith(rules.adj_endings) and not rules.is_first(a):
                return "animal_name", text
    letters = len(text) - sum(text.count(c) for c in " .-'’")
    if letters < rules.min_letters or all(_is_initial(t) or len(t) == 1 for t in text.split(" ")):
        return "too_short", text
    return None, text


def _split_full(toks: list[str], rules: _Rules) -> tuple[str, str, str]:
    """(last, first, middle) from the tokens of a full name."""
    # "Мамедов Али Гусейн оглы": the particle belongs to the patronymic
    merged: list[str] = []
    for t in toks:
        if merged and _norm(t) in ("оглы", "кызы", "улы", "уулу", "ogly", "kyzy"):
            merged[-1] = f"{merged[-1]} {t}"
        else:
            merged.append(t)
    toks = merged
    infos = [rules.info(t) for t in toks]
    ini = [i[0] for i in infos]
    first = [i[1] for i in infos]
    patr = [i[2] for i in infos]
    sur = [i[3] for i in infos]
    n = len(toks)
    if n == 1:
        return (toks[0], "", "") if sur[0] else ("", toks[0], "")
    if n == 2:
        a, b = toks
        if ini[1] and not ini[0]:
            return a, b, ""
        if ini[0] and not ini[1]:
            return b, a, ""
        if patr[1] and not patr[0]:
            return "", a, b
        if patr[0] and not patr[1]:
            return "", b, a
        if first[0] != first[1]:
            return (b, a, "") if first[0] else (a, b, "")
        if sur[0] != sur[1]:
            return (a, b, "") if sur[0] else (b, a, "")
        return b, a, ""
    if n == 3:
        a, b, c = toks
        if ini[1] and ini[2]:
            return a, b, c
        if ini[0] and ini[1]:
            return c, a, b
        if patr[2]:
            if first[0] and not first[1]:
                return b, a, c
            return a, b, c
        if patr[1]:
            return c, a, b
        if first[1] and not first[0]:
            return a, b, c
        if first[0]:
            return c, a, b
        return a, b, c
    # 4+ words: surname first when the second word is a first name, else the last word
    if first[1] and not first[0]:
        return toks[0], toks[1], " ".join(toks[2:])
    return toks[-1], toks[0], " ".join(toks[1:-1])


_EMPTY: tuple = (None, None, None, None, None, None, None, None, False, None)


def _parse(full: str, first: str, last: str, middle: str, rules: _Rules) -> tuple:
    fields = [x.strip() for x in (last, first, middle)]
    filled = [f for f in fields if f]
    use_fields = bool(filled)
    raw_text = " ".join(filled) if use_fields else full.strip()
    if not raw_text:
        return _EMPTY
    reason, text = _placeholder(raw_text, rules)
    if reason is not None and not (
        reason in ("phone_in_name", "email_in_name", "digits")
        and text
        and _placeholder(text, rules)[0] is None
    ):
        return (None, None, None, None, None, None, None, None, True, reason)
    if use_fields and len(filled) > 1:
        cleaned = [
            _WS.sub(" ", _JUNK_CHARS.sub(" ", _DIGIT.sub(" ", _PHONE.sub(" ", _EMAIL.sub(" ", f))))).strip()
            for f in fields
        ]
        l_, f_, m_ = cleaned
        lt, ft = _norm(l_), _norm(f_)
        if l_ and f_ and rules.is_first(lt) and not rules.is_first(ft) and not _is_initial(f_):
            l_, f_ = f_, l_
        if f_ and not l_ and not m_:
            l_, f_, m_ = _split_full(_tokens(f_), rules)
    elif use_fields and len(_tokens(text)) == 1:
        # one word in one field: trust the field it was typed into
        l_, f_, m_ = [_tokens(text)[0] if f else "" for f in fields]
    else:
        l_, f_, m_ = _split_full(_tokens(text), rules)
    last_p, first_p, mid_p = _proper(l_), _proper(f_), _proper(m_)
    full_clean = " ".join(p for p in (last_p, first_p, mid_p) if p) or None
    fkey = name_token_key(first_p) if first_p else ""
    lkey = name_token_key(last_p) if last_p else ""
    ckey = rules.canonical.get(fkey, fkey) if fkey else ""
    name_key = " ".join(sorted(k for k in (ckey, lkey) if k)) or None
    return (
        first_p or None,
        last_p or None,
        mid_p or None,
        full_clean,
        fkey or None,
        lkey or None,
        ckey or None,
        name_key,
        False,
        None,
    )


def _col(values: Any, index: pd.Index) -> pd.Series:
    if values is None:
        return pd.Series("", index=index, dtype=object)
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), index=index, dtype=object)
    s = s.reindex(index) if not s.index.equals(index) else s
    return s.where(s.notna(), "").astype(str)


def normalize_names(
    full_name: pd.Series | None,
    first_name: pd.Series | None = None,
    last_name: pd.Series | None = None,
    middle_name: pd.Series | None = None,
    config: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Normalise person names row by row (output has the inputs' index; see module docstring).

    Any input may be None (column absent). ``config`` is the whole ``normalization.yaml`` dict
    or its ``names`` section; missing keys fall back to the shipped defaults.
    """
    ref = next((s for s in (full_name, first_name, last_name, middle_name) if isinstance(s, pd.Series)), None)
    if ref is None:
        ref = pd.Series(list(full_name or []), dtype=object)
        full_name = ref
    index = ref.index
    rules = _Rules(config_section("names", config))
    cols = [_col(c, index) for c in (full_name, first_name, last_name, middle_name)]
    combined = cols[0].str.cat(cols[1:], sep="\x1f")
    codes, uniques = pd.factorize(combined, sort=False)
    parsed = [_parse(*u.split("\x1f"), rules) for u in uniques]
    table = pd.DataFrame.from_records(parsed, columns=COLUMNS) if parsed else pd.DataFrame(columns=COLUMNS)
    out = table.iloc[codes].reset_index(drop=True)
    out.index = index
    out["is_placeholder"] = out["is_placeholder"].astype(bool)
    return out
