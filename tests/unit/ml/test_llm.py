"""Anonymisation and the OpenAI-compatible provider against a local fake server (no PII may arrive)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ml.llm import OpenAICompatibleProvider, anonymize, deanonymize, parse_reply, provider_from_config

TEXT = ("Здравствуйте! Меня зовут Иван Петров, тел. +7 (912) 345-67-89, почта ivan.petrov@mail.ru. "
        "ИНН 7707083893. Адрес: г. Москва, ул. Ленина, д. 5, кв. 12. Карта 4111 1111 1111 1111. "
        "Передайте Ольге Смирновой, что я уже объяснял вашему коллеге. С уважением, Пётр Иванович Сидоров")
PII = ["Иван", "Петров", "912", "345-67-89", "ivan.petrov", "mail.ru", "7707083893", "Ленина", "4111",
       "Ольге", "Смирнов", "Пётр", "Иванович", "Сидоров"]


def test_anonymize_ru():
    safe, mapping = anonymize(TEXT, known_names=["Ольга Смирнова"])
    for pii in PII:
        assert pii not in safe, (pii, safe)
    for tag in ("[EMAIL_1]", "[PHONE_1]", "[INN_1]", "[ADDRESS_1]", "[CARD_1]", "[NAME_1]"):
        assert tag in safe
    assert "я уже объяснял вашему коллеге" in safe           # the signal survives
    assert deanonymize(safe, mapping) == TEXT


def test_anonymize_en_and_repeated_values():
    text = "Hi, this is John Smith, call +1 415-555-0132 or john@acme.com. Ship to 221 Baker Street. john@acme.com again. Regards, Emma"
    safe, mapping = anonymize(text)
    assert safe.count("[EMAIL_1]") == 2 and "[EMAIL_2]" not in safe
    for pii in ("John", "Smith", "415", "acme", "Baker", "Emma"):
        assert pii not in safe
    assert mapping["[PHONE_1]"] == "+1 415-555-0132"


def test_anonymize_phone_shapes():
    for phone in ("8 912 345 67 89", "+79123456789", "8(912)345-67-89", "+7 912 345-67-89"):
        safe, _ = anonymize(f"мой номер {phone}, звоните")
        assert "[PHONE_1]" in safe and "345" not in safe, safe


def test_parse_reply_defensive():
    ok = parse_reply('Sure! ```json\n{"tone": -1.7, "markers": {"ultimatum": "true", "competitor": 0}, '
                     '"evidence": ["последний раз"]}\n```')
    assert ok.ok and ok.tone == -1.0 and ok.markers["ultimatum"] and not ok.markers["competitor"]
    assert set(ok.markers) == {"passive_aggressive", "ultimatum", "competitor", "data_export", "price_complaint",
                               "billing_complaint", "refund_request"}
    assert not parse_reply("I cannot help with that").ok
    assert not parse_reply('{"tone": "bad"').ok
    assert not parse_reply('{"tone": "n/a"}').ok


def test_off_by_default():
    assert provider_from_config({}) is None and provider_from_config({"llm": {"enabled": False}}) is None
    with pytest.raises(ValueError):
        provider_from_config({"llm": {"enabled": True}})


@pytest.fixture
def fake_llm():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
            seen.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
            user = body["messages"][-1]["content"]
            reply = {"tone": -0.6, "markers": {"passive_aggressive": "я уже объяснял" in user},
                     "evidence": ["[NAME_1] знает"]}
            out = {"choices": [{"message": {"role": "assistant", "content": json.dumps(reply, ensure_ascii=False)}}]}
            data = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()
    httpd.server_close()


def test_provider_sends_no_pii(fake_llm, monkeypatch):
    url, seen = fake_llm
    provider = provider_from_config({"llm": {"enabled": True, "base_url": url, "model": "m"}}, api_key="sk-test")
    res = provider.analyze(TEXT, known_names=["Ольга Смирнова"])
    assert res.ok and res.tone == -0.6 and res.markers["passive_aggressive"]
    (req,) = seen
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sk-test"
    assert req["body"]["model"] == "m"
    wire = json.dumps(req["body"], ensure_ascii=False)
    for pii in PII:
        assert pii not in wire, pii
    assert res.evidence == ["Ольге Смирновой знает"] or res.evidence[0].endswith("знает")


def test_provider_failure_is_reported_not_raised():
    res = OpenAICompatibleProvider("http://127.0.0.1:9/v1", "m", timeout=1).analyze("текст")
    assert not res.ok and "request failed" in res.error


def test_second_opinion_asks_only_about_flagged_inbound_messages_newest_first():
    import pandas as pd

    from ml.llm import LLMResult, second_opinion

    class FakeModel:
        def __init__(self):
            self.seen = []

        def analyze(self, text, known_names=()):
            self.seen.append(text)
            return LLMResult(-0.5, {"ultimatum": True}, ["последний раз"], True)

    signals = pd.DataFrame({
        "message_id": ["m1", "m2", "m3", "m4"],
        "sent_at": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-04"]),
        "direction": ["inbound", "inbound", "outbound", "inbound"],
        "tone_label": ["negative", "neutral", "negative", "neutral"],
        "is_ultimatum": [False, True, False, False],
    })
    texts = pd.DataFrame({"message_id": ["m1", "m2", "m3", "m4"], "text": ["плохо", "последний раз", "ответ", "ок"]})
    model = FakeModel()
    out = second_opinion(signals, texts, model, max_messages=5)
    assert list(out["message_id"]) == ["m2", "m1"]  # m3 is ours, m4 has no flag
    assert model.seen == ["последний раз", "плохо"]
    assert second_opinion(signals, texts, model, max_messages=1)["message_id"].tolist() == ["m2"]
    off = second_opinion(signals, texts, None)
    assert off.empty and list(off.columns) == ["message_id", "llm_tone", "llm_markers", "llm_evidence", "llm_ok", "llm_error"]
