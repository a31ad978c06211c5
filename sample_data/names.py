"""Name banks with pre-rendered spelling variants.

All string surgery (typos, ё→е, transliteration, case) happens once per bank entry; rows then
pick a variant by index, which keeps million-row rendering vectorised.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import params as P
from .arrowkit import by_kind, cat, take

# variant kinds, shared by every name bank
CANON, YO_FOLD, TYPO, TRANSLIT, UPPER, LOWER, DIM1, DIM2 = range(8)
N_KINDS = 8

_TR = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
               ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))


def translit(text: str) -> str:
    """Passport-style Latin transliteration (Иван Петров → Ivan Petrov)."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _TR:
            t = _TR[low]
            out.append(t.capitalize() if ch != low else t)
        else:
            out.append(ch)
    return "".join(out)


def typo(word: str, rng: np.random.Generator) -> str:
    """One keyboard-style slip: drop, double, swap or confuse a vowel."""
    if len(word) < 3:
        return word + word[-1]
    i = int(rng.integers(1, len(word) - 1))
    op = int(rng.integers(0, 4))
    if op == 0:
        return word[:i] + word[i + 1:]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    if op == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    swaps = {"о": "а", "а": "о", "е": "и", "и": "е", "ё": "е", "я": "а", "ы": "и"}
    for j in range(i, len(word)):
        if word[j] in swaps:
            return word[:j] + swaps[word[j]] + word[j + 1:]
    return word[:i] + word[i + 1:]


@dataclass
class NameBank:
    """Flat array of N_KINDS × V variants; row value = forms[kind * V + entry]."""
    forms: pa.Array
    size: int

    def render(self, entry: np.ndarray, kind: np.ndarray) -> pa.Array:
        return take(self.forms, np.asarray(kind, np.int64) * self.size + entry)

    def canon(self, entry: np.ndarray) -> pa.Array:
        return take(self.forms, np.asarray(entry, np.int64))


def make_bank(words: list[str], dims: list[tuple[str, ...]] | None, rng: np.random.Generator) -> NameBank:
    variants: list[list[str]] = []
    for i, w in enumerate(words):
        d = dims[i] if dims else ()
        d1 = d[0] if d else w
        d2 = d[1] if len(d) > 1 else d1
        variants.append([w, w.replace("ё", "е").replace("Ё", "Е"), typo(w, rng), translit(w), w.upper(),
                         w.lower(), d1, d2])
    flat = [variants[e][k] for k in range(N_KINDS) for e in range(len(words))]
    return NameBank(pa.array(flat, pa.string()), len(words))


def female_surname(s: str) -> str:
    if s.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return s + "а"
    if s.endswith(("ский", "цкий", "ской")):
        return s[:-2] + "ая"
    if s.endswith("ой"):
        return s[:-2] + "ая"
    return s


def patronymics(name: str) -> tuple[str, str]:
    if name in P.PATRONYMIC_EXCEPTIONS:
        return P.PATRONYMIC_EXCEPTIONS[name]
    if name.endswith("ий"):
        return name[:-2] + "ьевич", name[:-2] + "ьевна"
    if name.endswith("ь"):
        return name[:-1] + "евич", name[:-1] + "евна"
    if name.endswith(("ей", "ай")):
        return name[:-1] + "евич", name[:-1] + "евна"
    if name.endswith("а"):
        return name[:-1] + "ич", name[:-1] + "ична"
    return name + "ович", name + "овна"


@dataclass
class Banks:
    first: NameBank      # male names then female names
    n_male: int
    last: NameBank       # entry = surname * 2 + gender
    middle: NameBank     # entry = father's name * 2 + gender
    first_login: pa.Array  # lower-case translit of canonical first names
    last_login: pa.Array   # entry = surname * 2 + gender


def build_banks(rng: np.random.Generator) -> Banks:
    firsts = [n for n, _ in P.MALE_NAMES] + [n for n, _ in P.FEMALE_NAMES]
    dims = [d for _, d in P.MALE_NAMES] + [d for _, d in P.FEMALE_NAMES]
    lasts = [form for s in P.SURNAMES for form in (s, female_surname(s))]
    middles = [form for n, _ in P.MALE_NAMES for form in patronymics(n)]
    return Banks(
        first=make_bank(firsts, dims, rng), n_male=len(P.MALE_NAMES),
        last=make_bank(lasts, None, rng), middle=make_bank(middles, None, rng),
        first_login=pa.array([translit(n).lower() for n in firsts]),
        last_login=pa.array([translit(n).lower() for n in lasts]))


def fill_templates(templates: list[str], tpl_idx: np.ndarray, fields: dict[str, pa.Array]) -> pa.Array:
    """Render `str.format`-style templates per row; fields are full-length arrays."""
    parsed = [list(string.Formatter().parse(t)) for t in templates]

    def builder(k: int):
        def build(rows: np.ndarray) -> pa.Array:
            idx = pa.array(rows)
            parts: list = []
            for literal, field, _, _ in parsed[k]:
                if literal:
                    parts.append(literal)
                if field:
                    parts.append(fields[field].take(idx))
            if not any(isinstance(p, pa.Array) for p in parts):
                return pa.array(["".join(parts)] * len(rows), pa.string())
            return cat(*parts)
        return build

    return by_kind(np.asarray(tpl_idx), [builder(k) for k in range(len(templates))])
