"""Nothing personal reaches the outside text model: names in every case, spelt e-mails, documents."""
from __future__ import annotations

import pandas as pd
import pytest

from ml.llm import LLMResult, anonymize, second_opinion
from ml.pii import NameIndex, person_spans


@pytest.mark.parametrize("text, personal", [
    ("Передайте Ивану Петрову, что счёт оплачен.", ["Ивану", "Петрову"]),
    ("Спасибо Кузнецовой Марии за помощь с отгрузкой", ["Кузнецовой", "Марии"]),
    ("Саша Кузнецов звонил вчера по поводу договора", ["Саша", "Кузнецов"]),
    ("С уважением,\nИрина Плотникова\nменеджер по закупкам", ["Ирина", "Плотникова"]),
    ("Hello, I'm John Smith from Acme, we need the invoice", ["John", "Smith"]),
    ("пишите на ivan(at)yandex.ru или petrov [at] mail [dot] ru", ["ivan", "yandex", "petrov"]),
    ("Доставка: улица Ленина 5, а счёт на Ленинский проспект, 12", ["Ленина 5", "проспект, 12"]),
    ("Ship the parts to 221B Baker Street, please", ["221B", "Baker"]),
    ("паспорт серия 4510 номер 123456, СНИЛС 123-456-789 01", ["4510", "123456", "789"]),
    ("мой снилс: 12345678901", ["12345678901"]),
])
def test_personal_data_is_masked(text, personal):
    safe, mapping = anonymize(text)
    for value in personal:
        assert value not in safe, (value, safe)
    assert mapping


def test_the_message_keeps_what_the_model_needs():
    text = "Добрый день! Заказ №123 так и не пришёл, мы тестируем Мегаплан. Москва ждёт."
    assert anonymize(text)[0] == text                    # no person here: nothing masked
    safe, _ = anonymize("Уважаемый Иван Иванович, в третий раз объясняю")
    assert safe.startswith("Уважаемый [NAME_1]") and "в третий раз объясняю" in safe


def test_golden_record_names_are_masked_where_morphology_cannot_tell():
    text = "Gunnhild Ødegaard and Mr Yamamoto asked about Zhukovskaya's order"
    index = NameIndex(["Gunnhild Ødegaard", "Zhukovskaya Olga"])
    safe, _ = anonymize(text, index)
    assert "Gunnhild" not in safe and "Zhukovskaya" not in safe and "Yamamoto" not in safe
    assert len(index) == 4


def test_spans_join_initials_and_surnames():
    text = "Документы подписал Иванов И. И. вчера"
    [(start, end)] = person_spans(text)
    assert text[start:end] == "Иванов И. И."


class _Recorder:
    """A text model that records what would have been sent."""

    def __init__(self):
        self.sent: list[str] = []

    def analyze(self, text, known_names=()):
        safe, _ = anonymize(text, known_names)
        self.sent.append(safe)
        return LLMResult(-0.5, {}, [], True)


def test_second_opinion_masks_the_bases_names_in_every_payload():
    signals = pd.DataFrame({"message_id": ["m1", "m2"], "tone_label": ["negative", "negative"],
                            "sent_at": pd.to_datetime(["2026-09-01", "2026-09-02"]), "direction": ["inbound", "inbound"]})
    texts = pd.DataFrame({"message_id": ["m1", "m2"],
                          "text": ["Ødegaard here: the invoice is wrong again", "Звонила Хабибуллина, недовольна"]})
    model = _Recorder()
    out = second_opinion(signals, texts, model, known_names=["Ødegaard Gunnhild", "Хабибуллина Гульнара"])
    assert len(out) == 2 and len(model.sent) == 2
    joined = " ".join(model.sent)
    assert "Ødegaard" not in joined and "Хабибуллина" not in joined and "invoice is wrong" in joined
