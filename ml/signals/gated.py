"""Regex sets gated by required literals: a pattern runs only when one of its literals is in the text.

Python's ``re`` tries every alternative at every word boundary, so one big alternation of ~30
marker patterns costs ~20 µs per 200-character text. Most texts contain none of a pattern's
required literals (e.g. «выгруз», «refund», «списал»), which a C-level ``in`` check finds in
~0.1 µs. Literals are extracted from the parsed pattern soundly: only strings that every match
must contain; a pattern without such a literal (>= 2 chars) always runs.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

try:  # Python >= 3.11
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

_MIN_LIT = 3
_DIGITS_RE = re.compile(r"\d+")


def _best(cands: list[frozenset[str]]) -> frozenset[str] | None:
    cands = [c for c in cands if c and min(len(x) for x in c) >= _MIN_LIT]
    if not cands:
        return None
    # prefer the requirement whose shortest literal is longest (fewer false triggers), then fewer literals
    return max(cands, key=lambda c: (min(len(x) for x in c), -len(c)))


def _required(seq) -> frozenset[str] | None:
    """Set of literals of which every match of ``seq`` contains at least one (or None)."""
    cands: list[frozenset[str]] = []
    run: list[str] = []

    def flush():
        if len(run) >= _MIN_LIT:
            cands.append(frozenset({"".join(run)}))
        run.clear()

    for op, av in seq:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if op is _c.AT or op in (_c.ASSERT, _c.ASSERT_NOT):
            continue  # zero-width: contiguity of the run is preserved
        flush()
        if op is _c.SUBPATTERN:
            r = _required(av[-1])
            if r:
                cands.append(r)
        elif op is _c.BRANCH:
            parts = [_required(alt) for alt in av[1]]
            if all(parts):
                cands.append(frozenset().union(*parts))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            r = _required(av[2])
            if r:
                cands.append(r)
    flush()
    return _best(cands)


def required_literals(pattern: str) -> frozenset[str] | None:
    try:
        return _required(_p.parse(pattern))
    except (re.error, TypeError, ValueError, IndexError, AttributeError):  # pragma: no cover - always run
        return None


def trigrams(text: str) -> set[str]:
    """All 3-character substrings (kept for callers of the old gate; the engine no longer needs them)."""
    return {text[i:i + 3] for i in range(len(text) - 2)}


class LiteralScanner:
    """Which of a fixed set of literals occur in a text, without scanning the text per literal.

    Texts are split on single spaces into chunks (words with their punctuation). A literal without
    a space occurs in the text iff it occurs in one of its chunks, and the chunk -> literals answer
    is cached (mail vocabulary is small and Zipfian, so almost every chunk is a cache hit). A literal
    containing a space is checked with ``in`` only when one of its space-free pieces (itself a
    scanned literal) was found. The answer is exactly ``{lit for lit in literals if lit in text}``.
    """

    def __init__(self, literals, cache_size: int = 500_000):
        lits = set(literals)
        self.space_lits: dict[str, list[str]] = {}      # gate piece -> space literals
        self.ungated: list[str] = []                     # space literals without a usable piece
        word = {lit for lit in lits if " " not in lit}
        for lit in sorted(lits - word):
            pieces = [p for p in lit.split(" ") if len(p) >= _MIN_LIT]
            if pieces:
                piece = max(pieces, key=len)
                word.add(piece)
                self.space_lits.setdefault(piece, []).append(lit)
            else:
                self.ungated.append(lit)
        self.word_lits = tuple(sorted(word))
        self.wanted = frozenset(lits)
        self.pieces = frozenset(self.space_lits)
        self._cache: dict[str, frozenset[str]] = {}
        self._cache_size = cache_size
        self._empty = frozenset()
        self._digit_free = not any(_DIGITS_RE.search(lit) for lit in lits)

    def _chunk(self, chunk: str) -> frozenset[str]:
        if self._digit_free and _DIGITS_RE.search(chunk) is not None:
            # order numbers, amounts, dates make most chunks unique; no literal has a digit, so
            # «№1234,» answers as «№0,» does (one cached scan instead of one per number)
            key = _DIGITS_RE.sub("0", chunk)
            found = self._cache.get(key)
            if found is None:
                found = frozenset(lit for lit in self.word_lits if lit in key) or self._empty
                self._cache[key] = found
        else:
            found = frozenset(lit for lit in self.word_lits if lit in chunk) or self._empty
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[chunk] = found
        return found

    def present(self, text: str) -> set[str]:
        cache = self._cache
        chunks = text.split(" ")
        sets = list(map(cache.get, chunks))
        if None in sets:
            sets = [s if s is not None else self._chunk(c) for s, c in zip(sets, chunks)]
        found = set().union(*sets)
        if found:
            for piece in self.pieces.intersection(found):
                for lit in self.space_lits[piece]:
                    if lit in text:
                        found.add(lit)
        for lit in self.ungated:
            if lit in text:
                found.add(lit)
        return found


class GatedPatterns:
    """``finditer(text)`` over many (key, pattern) pairs, skipping patterns whose literals are absent.

    A pattern runs iff it has no required literal or one of its literals is in the text; which
    literals are present comes from a :class:`LiteralScanner` (shared by all pattern sets of an
    engine, so each text is scanned once). Patterns run in their original order.
    """

    def __init__(self, items: list[tuple[str, str]], flags: int = 0, scanner: LiteralScanner | None = None):
        self.items = []
        self.always: list[int] = []
        self.index: dict[str, list[int]] = {}           # literal -> pattern indices
        for i, (key, pat) in enumerate(items):
            lits = required_literals(pat)
            self.items.append((tuple(sorted(lits)) if lits else None, re.compile(pat, flags), key))
            if not lits:
                self.always.append(i)
            else:
                for lit in lits:
                    self.index.setdefault(lit, []).append(i)
        self.keys = frozenset(self.index)
        self.scanner = scanner if scanner is not None else LiteralScanner(self.keys)

    def candidates(self, present: set[str]) -> list[int]:
        hit = self.keys.intersection(present)
        if not hit:
            return self.always
        cand = set(self.always)
        index = self.index
        for lit in hit:
            cand.update(index[lit])
        return sorted(cand)

    def finditer(self, text: str, present: set[str] | None = None) -> Iterator[tuple[str, re.Match]]:
        if present is None:
            present = self.scanner.present(text)
        items = self.items
        for i in self.candidates(present):
            _lits, rx, key = items[i]
            for m in rx.finditer(text):
                yield key, m
