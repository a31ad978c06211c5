"""Optional outside text model: an OpenAI-compatible chat-completions endpoint (urllib), OFF by default.

Personal data never leaves: ``anonymize`` replaces e-mails (also written as ``ivan(at)yandex.ru``),
passport and СНИЛС numbers, cards, phones, INN, addresses and person names (the base's golden records
and Russian morphology, ``ml.pii``) with placeholders ([EMAIL_1], [DOC_1], [CARD_1], [PHONE_1],
[INN_1], [ADDRESS_1], [NAME_1]) before a request.

Config (config/signals.yaml or any dict)::

    llm: {enabled: false, base_url: "http://host:port/v1", model: "...", timeout: 30}

The key is a run setting (CLIENTPULSE_LLM_API_KEY), passed in by the asset.
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ml.pii import NameIndex, person_spans

MARKER_KEYS = ("passive_aggressive", "ultimatum", "competitor", "data_export", "price_complaint",
               "billing_complaint", "refund_request")

_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# e-mails spelt to dodge filters: ivan(at)yandex.ru, ivan [at] yandex [dot] ru, ivan собака mail точка ru
_EMAIL_SPELT_RE = re.compile(
    r"(?i)\b[\w.+-]+\s*[(\[{]\s*(?:at|собака)\s*[)\]}]\s*[\w-]+"
    r"(?:\s*(?:[(\[{]\s*(?:dot|точка)\s*[)\]}]|\.)\s*[\w-]+)+"
    r"|\b[\w.+-]+\s+(?:at|собака)\s+[\w-]+(?:\s+(?:dot|точка)\s+[\w-]+)+")
# passport (series 4 digits + number 6 digits) and СНИЛС (123-456-789 01, or 11 digits after the word)
_DOC_RE = re.compile(
    r"(?i)(?<=паспорт)[^\d\n]{0,25}\d{2}\s?\d{2}[^\d\n]{0,12}\d{6}(?!\d)"
    r"|(?<!\d)\d{4}\s\d{6}(?!\d)"
    r"|(?<!\d)\d{3}-\d{3}-\d{3}[\s-]\d{2}(?!\d)"
    r"|(?<=снилс)\W{0,5}\d{11}(?!\d)")
_CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+7|8|\+\d{1,3})[\s\-(]*\d{3}[\s\-)]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)"
    r"|(?<![\w+])\+\d[\d\s\-()]{8,16}\d(?!\d)"
    r"|(?<![\w+])\(?\d{3}\)?[\s-]\d{3}[\s-]\d{4}(?!\d)")
_INN_RE = re.compile(r"(?i)(?:\bинн\s*:?\s*|\binn\s*:?\s*)(\d{10}|\d{12})\b|(?<!\d)(\d{12}|\d{10})(?!\d)")
_ADDR_RE = re.compile(
    r"(?i)(?:\b(?:г\.|город)\s*[А-ЯЁ][\w-]+,?\s*)?"
    r"\b(?:ул\.|улица|пр-т|пр\.|проспект|пер\.|переулок|ш\.|шоссе|б-р|бульвар|наб\.|набережная|пл\.|площадь)"
    r"\s*[А-ЯЁA-Z0-9][\w\s.-]{0,40}?,?\s*(?:д\.|дом)\s*\d+[\wа-я/]*(?:,?\s*(?:корп\.|к\.|стр\.)\s*\d+)?"
    r"(?:,?\s*(?:кв\.|квартира|оф\.|офис)\s*\d+)?"
    # a street and a house number without «д.» («улица Ленина 5», «Ленинский проспект, 12»)
    r"|\b(?:ул\.|улица|пр-т|проспект|пер\.|переулок|шоссе|бульвар|набережная|площадь)\s+[А-ЯЁ][\w-]+(?:\s+[А-ЯЁ][\w-]+)?,?\s+\d+[а-яa-z]?(?:/\d+)?\b"
    r"|\b[А-ЯЁ][\w-]+\s+(?:улица|проспект|переулок|шоссе|бульвар|проезд|набережная),?\s+(?:д\.\s*)?\d+[а-яa-z]?(?:/\d+)?\b"
    r"|\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.?)\b"
    r"|\b(?:[A-Z][a-z]+\s){1,3}(?:Street|Avenue|Road|Boulevard|Lane|Drive),?\s+\d{1,5}[A-Za-z]?\b")
_PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:ович|евич|ич|овна|евна|ична|инична)(?:а|у|ем|ой|е|ы)?"
_FIO_RE = re.compile(rf"\b[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+\s+{_PATRONYMIC}\b|\b[А-ЯЁ][а-яё]+\s+{_PATRONYMIC}(?:\s+[А-ЯЁ][а-яё]+)?\b")
_INTRO_RE = re.compile(   # the lead phrase in any case, the name capitalised
    r"(?i:меня зовут|с уважением,?|my name is|regards,?|sincerely,?|thanks,?|спасибо,?|this is|i'm|i am|"
    r"dear|hi|hello|cheers,?|best,?)\s+"
    r"((?:[A-ZА-ЯЁ][a-zа-яё]+)(?:\s+[A-ZА-ЯЁ][a-zа-яё]+){0,2})")
_TITLE_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|г-н|г-жа)\.?\s+([A-ZА-ЯЁ][a-zа-яё]+(?:\s+[A-ZА-ЯЁ][a-zа-яё]+)?)")
_NOT_NAMES = {"Team", "Support", "Команда", "Поддержка", "Коллеги", "Всем", "All", "Everyone", "For", "Заранее",
              "Sir", "Madam", "There", "Again", "Not", "Very", "So", "Sorry", "Writing", "Calling", "Going", "The"}


def _keep_words(found: str, mask) -> str:
    """«серия 4510 номер 123456» → «серия [DOC_1]»: the words before the first digit stay."""
    first = re.search(r"\d", found).start()
    return found[:first] + mask(found[first:])


def anonymize(text: str, known_names: Iterable[str] | NameIndex = ()) -> tuple[str, dict[str, str]]:
    """Replace personal data with numbered placeholders. Returns (text, {placeholder: original}).

    Order: e-mails (plain and spelt out), passport / СНИЛС numbers, cards (any 13-19 digit run),
    phones, INN (10/12 digits), addresses (Russian street + house, English number + street), names
    (``known_names`` — golden-record full names or a prebuilt ``NameIndex`` — in any grammatical
    case, capitalised words Russian morphology reads as a name, surname or patronymic, full Russian
    names with patronymic, names after «меня зовут» / «С уважением» / "I'm" / "Regards," / "Mr.").
    The same original gets the same placeholder.
    """
    if not isinstance(text, str) or not text:
        return text, {}
    mapping: dict[str, str] = {}
    reverse: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}

    def ph(kind: str, original: str) -> str:
        key = (kind, original.strip().lower())
        if key not in reverse:
            counters[kind] = counters.get(kind, 0) + 1
            tag = f"[{kind}_{counters[kind]}]"
            reverse[key] = tag
            mapping[tag] = original.strip()
        return reverse[key]

    text = _EMAIL_RE.sub(lambda m: ph("EMAIL", m.group(0)), text)
    text = _EMAIL_SPELT_RE.sub(lambda m: ph("EMAIL", m.group(0)), text)
    text = _DOC_RE.sub(lambda m: _keep_words(m.group(0), lambda digits: ph("DOC", digits)), text)
    # every 13-19 digit run is masked (Luhn-valid or not): a false card costs nothing, a leaked one does
    text = _CARD_RE.sub(lambda m: ph("CARD", m.group(0)), text)
    text = _PHONE_RE.sub(lambda m: ph("PHONE", m.group(0)), text)

    def inn(m: re.Match) -> str:
        digits = m.group(1) or m.group(2)
        return m.group(0).replace(digits, ph("INN", digits))

    text = _INN_RE.sub(inn, text)
    text = _ADDR_RE.sub(lambda m: ph("ADDRESS", m.group(0)), text)
    index = known_names if isinstance(known_names, NameIndex) else NameIndex(known_names)
    spans = person_spans(text, index)
    tags = [ph("NAME", text[start:end]) for start, end in spans]
    for (start, end), tag in zip(reversed(spans), reversed(tags)):
        text = text[:start] + tag + text[end:]
    text = _FIO_RE.sub(lambda m: ph("NAME", m.group(0)), text)

    def intro(m: re.Match) -> str:
        name = m.group(1)
        words = name.split()
        while words and words[-1] in _NOT_NAMES:
            words.pop()
        if not words or words[0] in _NOT_NAMES or name.startswith("["):
            return m.group(0)
        kept = " ".join(words)
        return m.group(0).replace(kept, ph("NAME", kept), 1)

    text = _INTRO_RE.sub(intro, text)
    text = _TITLE_RE.sub(lambda m: m.group(0).replace(m.group(1), ph("NAME", m.group(1))), text)
    return text, mapping


def deanonymize(text: str, mapping: dict[str, str]) -> str:
    for tag, original in mapping.items():
        text = text.replace(tag, original)
    return text


SYSTEM_PROMPT = (
    "You analyse customer messages to a B2B/B2C company (Russian or English). Placeholders like [NAME_1] "
    "replace personal data. Reply with ONE JSON object only: {\"tone\": number in [-1, 1], "
    "\"markers\": {\"passive_aggressive\": bool, \"ultimatum\": bool, \"competitor\": bool, "
    "\"data_export\": bool, \"price_complaint\": bool, \"billing_complaint\": bool, \"refund_request\": bool}, "
    "\"evidence\": [short quotes]}."
)


@dataclass
class LLMResult:
    tone: float | None
    markers: dict[str, bool]
    evidence: list[str]
    ok: bool
    error: str = ""
    raw: str = ""


class TextModel(Protocol):
    def analyze(self, text: str, known_names: Iterable[str] = ()) -> LLMResult: ...


def parse_reply(content: str) -> LLMResult:
    """Defensive parse of the model's reply: code fences, prose around the JSON, wrong types."""
    raw = content or ""
    s = raw.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", s, re.DOTALL)
    if fence:
        s = fence.group(1).strip()
    start, end = s.find("{"), s.rfind("}")
    if start < 0 or end <= start:
        return LLMResult(None, {}, [], False, "no JSON object in reply", raw)
    try:
        obj = json.loads(s[start:end + 1])
    except ValueError as exc:
        return LLMResult(None, {}, [], False, f"invalid JSON: {exc}", raw)
    if not isinstance(obj, dict):
        return LLMResult(None, {}, [], False, "reply is not an object", raw)
    tone = obj.get("tone")
    try:
        tone = max(-1.0, min(1.0, float(tone))) if tone is not None else None
    except (TypeError, ValueError):
        tone = None
    markers_in = obj.get("markers") if isinstance(obj.get("markers"), dict) else {}

    def truthy(v) -> bool:
        if isinstance(v, str):
            return v.strip().lower() in ("true", "yes", "1", "да")
        return bool(v)

    markers = {k: truthy(markers_in.get(k, False)) for k in MARKER_KEYS}
    ev = obj.get("evidence")
    evidence = [str(x) for x in ev] if isinstance(ev, list) else ([str(ev)] if ev else [])
    return LLMResult(tone, markers, evidence, tone is not None, "" if tone is not None else "no tone", raw)


class OpenAICompatibleProvider:
    """POST {base_url}/chat/completions with an anonymised text; parse the JSON reply."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 30.0):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    def analyze(self, text: str, known_names: Iterable[str] = ()) -> LLMResult:
        safe, mapping = anonymize(text, known_names)
        body = {"model": self.model, "temperature": 0,
                "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": safe}]}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                reply = json.loads(resp.read().decode("utf-8"))
            content = reply["choices"][0]["message"]["content"]
        except (urllib.error.URLError, TimeoutError, ValueError, KeyError, IndexError, TypeError) as exc:
            return LLMResult(None, {}, [], False, f"request failed: {type(exc).__name__}: {exc}")
        result = parse_reply(content if isinstance(content, str) else json.dumps(content))
        result.evidence = [deanonymize(e, mapping) for e in result.evidence]
        return result


def provider_from_config(config: dict | None, api_key: str | None = None) -> OpenAICompatibleProvider | None:
    """None unless ``config['llm']['enabled']`` is true (the default is off); the key comes from the
    run settings (CLIENTPULSE_LLM_API_KEY), never from the YAML."""
    llm = (config or {}).get("llm") or {}
    if not llm.get("enabled"):
        return None
    if not llm.get("base_url") or not llm.get("model"):
        raise ValueError("llm.enabled needs llm.base_url and llm.model")
    return OpenAICompatibleProvider(llm["base_url"], llm["model"], api_key, float(llm.get("timeout", 30)))


LLM_COLUMNS = ("message_id", "llm_tone", "llm_markers", "llm_evidence", "llm_ok", "llm_error")


def second_opinion(signals, texts, provider: TextModel | None, max_messages: int = 200,
                   known_names: Iterable[str] | NameIndex = ()):
    """Ask the outside model about the messages worth a second look, newest first; each text is
    anonymised with the base's known names (``known_names``: golden-record names or a ``NameIndex``).

    Worth a look = inbound with a negative rule-based tone or any marker. At most
    ``max_messages`` per run (cost and rate limits). With no provider (the default) the result is
    an empty frame with the same columns, so the table exists either way.
    """
    import pandas as pd

    dtypes = {"llm_tone": "float64", "llm_ok": "bool"}
    empty = pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "string")) for c in LLM_COLUMNS})
    if provider is None or signals is None or len(signals) == 0:
        return empty
    flags = [c for c in ("is_passive_aggressive", "is_ultimatum", "mentions_competitor", "asks_data_export",
                         "price_complaint", "billing_complaint", "refund_request") if c in signals]
    worth = signals["tone_label"].eq("negative") if "tone_label" in signals else pd.Series(False, index=signals.index)
    for c in flags:
        worth |= signals[c].fillna(False).astype(bool)
    if "direction" in signals:
        worth &= signals["direction"].fillna("inbound").ne("outbound")
    picked = signals.loc[worth].sort_values(["sent_at", "message_id"], ascending=[False, True]).head(max_messages)
    text_of = texts.set_index("message_id")["text"]
    index = known_names if isinstance(known_names, NameIndex) else NameIndex(known_names)
    rows = []
    for message_id in picked["message_id"]:
        result = provider.analyze(str(text_of.get(message_id) or ""), index)
        rows.append({"message_id": message_id, "llm_tone": result.tone, "llm_markers": json.dumps(result.markers),
                     "llm_evidence": json.dumps(result.evidence, ensure_ascii=False), "llm_ok": result.ok,
                     "llm_error": result.error})
    return pd.DataFrame(rows, columns=list(LLM_COLUMNS)) if rows else empty
