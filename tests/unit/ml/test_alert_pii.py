"""What a webhook alert carries about the customer (alerts.pii): masked by default."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ml.alerts import build_alerts
from ml.pii import mask_contact, mask_person

AS_OF = dt.date(2026, 9, 15)


def _verdict(full_name: str, contact: str) -> pd.DataFrame:
    return pd.DataFrame([{
        "customer_id": "CUST-000042", "as_of": AS_OF, "full_name": full_name, "manager": "Иванова Анна",
        "contact_channel": "phone", "contact": contact, "lifecycle_state": "sleeping", "risk_stage": "at_risk",
        "risk_score": 0.6, "value_tier": "gold", "expected_value": 5000.0, "value_at_risk": 2500.0, "action_level": 4,
        "action_color": "orange", "recommended_action": "Звонок менеджера", "reasons": ["ультиматум"],
        "reasons_text": "ультиматум", "reason_codes": ["ultimatum"], "dominant_reason": "ultimatum",
        "silence_days": 10.0, "contact_gap_days": 20.0, "contact_gaps": 5, "cycle_days": 30.0}])


def _previous() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["CUST-000042"], "as_of": [AS_OF - dt.timedelta(days=1)],
                         "risk_stage": ["active"], "risk_score": [0.1]})


def test_default_alert_message_carries_first_name_initial_and_masked_contact():
    out = build_alerts(_verdict("Плотникова Ирина Сергеевна", "+79161234567"), _previous(), AS_OF)
    message = out.alerts.iloc[0]["message"]
    assert message.startswith("Ирина П. (CUST-000042), менеджер Иванова Анна")
    assert "Плотникова" not in message and "Сергеевна" not in message
    assert "1234567" not in message and "Контакт: +7 ***-**-67." in message
    assert out.alerts.iloc[0]["full_name"] == "Плотникова Ирина Сергеевна"     # the warehouse keeps the record


def test_full_pii_and_customer_link_are_settings():
    config = {"alerts": {"pii": "full", "customer_url": "https://crm.example/c/{customer_id}"}}
    message = build_alerts(_verdict("Плотникова Ирина", "+79161234567"), _previous(), AS_OF, config).alerts.iloc[0]["message"]
    assert message.startswith("Плотникова Ирина (https://crm.example/c/CUST-000042)") and "+79161234567" in message


def test_mask_person_finds_the_first_name_in_either_order():
    assert mask_person("Иванова Мария Петровна") == "Мария И."
    assert mask_person("Мария Иванова") == "Мария И."
    assert mask_person("John Smith") == "John S."
    assert mask_person("Алексей") == "Алексей"
    assert mask_person("") is None and mask_person(None) is None


def test_mask_contact():
    assert mask_contact("+79161234567") == "+7 ***-**-67"
    assert mask_contact("ivan.petrov@mail.ru") == "i***@mail.ru"
    assert mask_contact("") is None


def test_an_unreachable_webhook_is_recorded_and_the_other_routes_still_post():
    from ml.alerts import Route
    from ml.notify import NotifyError, post_routed

    posted = []

    def post(frame, url, **_):
        if "down" in url:
            raise NotifyError("webhook delivery failed after 4 attempts: URLError")
        posted.append(url)
        return len(frame)

    failures: dict[str, str] = {}
    sent = post_routed({Route("south", "http://down/hook"): ["a", "b"], Route("north", "http://up/hook"): ["c"]},
                       post=post, failures=failures)
    assert sent == {"south": 0, "north": 1} and posted == ["http://up/hook"]
    assert failures == {"south": "webhook delivery failed after 4 attempts: URLError"}
    try:
        post_routed({Route("south", "http://down/hook"): ["a"]}, post=post)
    except NotifyError:
        pass
    else:
        raise AssertionError("without a failures dict the error is raised, as before")
