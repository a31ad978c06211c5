"""Person names in free text and in alerts: what must not leave the machine.

Names are found two ways, because neither alone is enough (docs/operations.md "What data leaves"):
- the base's own golden records (``NameIndex``): every first name and surname the pipeline knows,
  matched in any grammatical case (pymorphy3 normal form and nominative of the word in the text);
- Russian morphology: a capitalised word that pymorphy3 reads as a first name, surname or
  patronymic (grammemes Name / Surn / Patr), so «Ивану Петрову» or «Кузнецовой Марии» is masked
  even when the person is not in the base.
Adjacent capitalised words and initials join the name they touch («Саша Кузнецов», «Иванов И. И.»).
A false positive costs a masked word; a false negative sends a name outside, so the rules lean
to masking.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

PERSON_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})
# a pymorphy3 reading at least this likely makes a word a name on its own; a less likely reading
# (e.g. «Роман» the novel, «Битрикс») only extends a name next to it
NAME_SCORE = 0.25
SURNAME_SCORE = 0.1

_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*\.?")     # letters of any script, an optional dot
_CYRILLIC = re.compile(r"[А-ЯЁа-яё]")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _key(word: str) -> str:
    return word.casefold().replace("ё", "е")


@lru_cache(maxsize=200_000)
def _readings(word: str) -> tuple[float, frozenset[str]]:
    """(best score of a name/surname/patronymic reading, the word's dictionary forms)."""
    if not _CYRILLIC.search(word):
        return 0.0, frozenset({_key(word)})
    best, forms = 0.0, {_key(word)}
    for p in _morph().parse(word):
        forms.add(_key(p.normal_form))
        grammemes = set(p.tag.grammemes)
        if grammemes & PERSON_GRAMMEMES:
            floor = SURNAME_SCORE if "Surn" in grammemes else NAME_SCORE
            # scaled so that a reading at its floor scores NAME_SCORE: one threshold below
            best = max(best, p.score * NAME_SCORE / floor)
            nominative = p.inflect({"nomn"})
            if nominative is not None:
                forms.add(_key(nominative.word))
    return best, frozenset(forms)


class NameIndex:
    """The first names and surnames of the base's golden records, in their dictionary forms."""

    def __init__(self, full_names: Iterable[str] = ()):
        self.tokens: set[str] = set()
        for name in full_names:
            if isinstance(name, str):
                self.tokens.update(_key(t) for t in re.findall(r"[^\W\d_]{2,}", name))

    def __len__(self) -> int:
        return len(self.tokens)

    def knows(self, word: str) -> bool:
        if not self.tokens:
            return False
        if _key(word) in self.tokens:
            return True
        return bool(_CYRILLIC.search(word)) and not _readings(word)[1].isdisjoint(self.tokens)


def _strength(word: str, index: NameIndex | None) -> int:
    """2: a name by itself; 1: may belong to a name next to it (an initial, a capitalised word with
    an unlikely name reading, any capitalised non-Cyrillic word); 0: not a name (lower case, an
    all-capitals abbreviation such as ООО or VAT, a Russian word with no name reading)."""
    core = word.rstrip(".")
    if len(core) == 1:
        return 1 if core.isupper() and word.endswith(".") else 0
    if not core[0].isupper() or core.isupper():
        return 0
    word = core
    if index is not None and index.knows(word):
        return 2
    score = _readings(word)[0]
    if score >= NAME_SCORE:
        return 2
    return 1 if score > 0 or not _CYRILLIC.search(word) else 0


def person_spans(text: str, index: NameIndex | None = None) -> list[tuple[int, int]]:
    """Character spans of person names: runs of capitalised words separated by spaces, kept when
    they hold at least one word that is a name by itself, trimmed to the name-like words."""
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD_RE.finditer(text)]
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int, int]] = []

    def close():
        while run and run[-1][2] == 0:
            run.pop()
        while run and run[0][2] == 0:
            run.pop(0)
        if any(s == 2 for *_, s in run):
            spans.append((run[0][0], run[-1][1]))
        run.clear()

    for start, end, word in words:
        gap = text[run[-1][1]:start] if run else ""
        if run and (gap.strip() or "\n" in gap):
            close()
        strength = _strength(word, index)
        if strength == 0:
            close()
            continue
        if word.endswith(".") and len(word) > 2:
            end -= 1                                   # a sentence's full stop is not part of the name
        run.append((start, end, strength))
    close()
    return spans


def _name_parts(full_name: str) -> tuple[str | None, str | None]:
    """(first name, surname) of a golden record's full name in either order («Иванова Мария»,
    «Мария Иванова», "John Smith"): the word with the likeliest first-name reading is the first name."""
    words = [w for w in re.findall(r"[A-Za-zА-ЯЁа-яё][A-Za-zА-ЯЁа-яё'-]*", full_name or "")]
    if not words:
        return None, None
    first = 0
    if _CYRILLIC.search(full_name):
        def name_score(w: str) -> float:
            return max((p.score for p in _morph().parse(w) if "Name" in p.tag.grammemes), default=0.0)
        scores = [name_score(w) for w in words]
        first = max(range(len(words)), key=lambda i: (scores[i], -i))
    rest = [w for i, w in enumerate(words) if i != first
            and not any("Patr" in p.tag.grammemes for p in _morph().parse(w)[:1])]
    return words[first], (rest[0] if rest else None)


def mask_person(full_name: str | None) -> str | None:
    """«Иванова Мария Петровна» → «Мария И.»: enough for a manager who knows the customer, too little
    to identify a stranger. None when there is no name."""
    if not isinstance(full_name, str) or not full_name.strip():
        return None
    first, surname = _name_parts(full_name)
    if first is None:
        return None
    return f"{first} {surname[0]}." if surname else first


def mask_contact(contact: str | None) -> str | None:
    """A phone keeps its country code and last two digits, an e-mail its first letter and domain."""
    if not isinstance(contact, str) or not contact.strip():
        return None
    value = contact.strip()
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 6:
        head = "+" + digits[:1] if value.startswith("+") else ""
        return f"{head} ***-**-{digits[-2:]}".strip()
    return "***"
