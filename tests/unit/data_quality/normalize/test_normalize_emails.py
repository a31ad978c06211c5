"""normalize_emails on tricky real-world inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from data_quality.normalize.emails import email_key, normalize_emails

V, F, S, J, R, E = "valid", "typo_fixed", "invalid_syntax", "junk", "role", "empty"

CASES = [
    # raw, email, email_key, is_valid, is_personal, status, suggestion, reason
    ("Ivan.Petrov@Gmail.com ", "ivan.petrov@gmail.com", "ivanpetrov@gmail.com", True, True, V, None, None),
    (
        "ivan.petrov+shop@googlemail.com",
        "ivan.petrov+shop@googlemail.com",
        "ivanpetrov@gmail.com",
        True,
        True,
        V,
        None,
        None,
    ),
    (
        "i.v.a.n.petrov@gmail.com",
        "i.v.a.n.petrov@gmail.com",
        "ivanpetrov@gmail.com",
        True,
        True,
        V,
        None,
        None,
    ),
    ("ivan-petrov+x@ya.ru", "ivan-petrov+x@ya.ru", "ivan.petrov@yandex.ru", True, True, V, None, None),
    ("Ivan.Petrov@Yandex.com", "ivan.petrov@yandex.com", "ivan.petrov@yandex.ru", True, True, V, None, None),
    ("ivan.petrov+1@mail.ru", "ivan.petrov+1@mail.ru", "ivan.petrov+1@mail.ru", True, True, V, None, None),
    ("olga@bk.ru", "olga@bk.ru", "olga@bk.ru", True, True, V, None, None),
    ("Иван Петров <Ivan@Mail.Ru>", "ivan@mail.ru", "ivan@mail.ru", True, True, V, None, None),
    ("mailto:olga@bk.ru", "olga@bk.ru", "olga@bk.ru", True, True, V, None, None),
    ("ivan @ mail.ru", "ivan@mail.ru", "ivan@mail.ru", True, True, V, None, None),
    (
        "olga@list.ru; olga2@inbox.ru",
        "olga@list.ru",
        "olga@list.ru",
        True,
        True,
        V,
        None,
        "multiple_addresses",
    ),
    ("иван@почта.рф", "иван@почта.рф", "иван@почта.рф", True, True, V, None, None),
    ("1234@yandex.ru", "1234@yandex.ru", "1234@yandex.ru", True, True, V, None, None),
    ("ivan@mail.r", "ivan@mail.ru", "ivan@mail.ru", True, True, F, None, "domain_typo"),
    ("olga@mail.ru.", "olga@mail.ru", "olga@mail.ru", True, True, F, None, "trailing_dot"),
    ("olga@yandex.ru.", "olga@yandex.ru", "olga@yandex.ru", True, True, F, None, "trailing_dot"),
    ("petr@yandx.ru", "petr@yandex.ru", "petr@yandex.ru", True, True, F, None, "domain_typo"),
    ("petr@gmail.con", "petr@gmail.com", "petr@gmail.com", True, True, F, None, "domain_typo"),
    ("p.etr@gmial.com", "p.etr@gmail.com", "petr@gmail.com", True, True, F, None, "domain_typo"),
    ("ivan@rambler.r", "ivan@rambler.ru", "ivan@rambler.ru", True, True, F, None, "domain_typo"),
    ("ivan@mail,ru", "ivan@mail.ru", "ivan@mail.ru", True, True, F, None, "domain_typo"),
    ("ivan@@mail.ru", "ivan@mail.ru", "ivan@mail.ru", True, True, F, None, "domain_typo"),
    ("ivan@mail.ру", "ivan@mail.ru", "ivan@mail.ru", True, True, F, None, "domain_typo"),
    ("ivan@gmail.co", "ivan@gmail.co", "ivan@gmail.co", True, True, V, "ivan@gmail.com", "possible_typo"),
    ("ivan@gmali.com", "ivan@gmali.com", "ivan@gmali.com", True, True, V, "ivan@gmail.com", "possible_typo"),
    ("ivan@yandex.ry", "ivan@yandex.ru", "ivan@yandex.ru", True, True, F, None, "domain_typo"),
    ("info@romashka.ru", "info@romashka.ru", "info@romashka.ru", True, False, R, None, "role_address"),
    ("Sales@Company.RU", "sales@company.ru", "sales@company.ru", True, False, R, None, "role_address"),
    (
        "office+crm@firma.ru",
        "office+crm@firma.ru",
        "office+crm@firma.ru",
        True,
        False,
        R,
        None,
        "role_address",
    ),
    ("1@mail.ru", "1@mail.ru", None, False, False, J, None, "junk_address"),
    ("a@a.ru", "a@a.ru", None, False, False, J, None, "junk_address"),
    ("test@mail.ru", "test@mail.ru", None, False, False, J, None, "junk_address"),
    ("test@firma.ru", "test@firma.ru", None, False, False, J, None, "junk_local_part"),
    ("noreply@shop.ru", "noreply@shop.ru", None, False, False, J, None, "junk_local_part"),
    ("no-reply@shop.ru", "no-reply@shop.ru", None, False, False, J, None, "junk_local_part"),
    ("asd@asd.ru", "asd@asd.ru", None, False, False, J, None, "junk_local_part"),
    ("123@yandex.ru", "123@yandex.ru", None, False, False, J, None, "digits_local_part"),
    ("7@gmail.com", "7@gmail.com", None, False, False, J, None, "digits_local_part"),
    ("aaaa@gmail.com", "aaaa@gmail.com", None, False, False, J, None, "repeated_char_local_part"),
    ("user@example.com", "user@example.com", None, False, False, J, None, "junk_domain"),
    ("ivan@example.com", "ivan@example.com", None, False, False, J, None, "junk_domain"),
    ("", None, None, False, False, E, None, None),
    ("   ", None, None, False, False, E, None, None),
    ("ivan.petrov", None, None, False, False, S, None, "no_at_sign"),
    ("ivan@x.y", None, None, False, False, S, None, "bad_tld"),
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return normalize_emails(pd.Series([c[0] for c in CASES])).set_index("raw")


@pytest.mark.parametrize(
    "raw,email,key,is_valid,is_personal,status,suggestion,reason", CASES, ids=[repr(c[0]) for c in CASES]
)
def test_email_case(table, raw, email, key, is_valid, is_personal, status, suggestion, reason):
    row = table.loc[raw]
    got = (
        row["email"],
        row["email_key"],
        bool(row["is_valid"]),
        bool(row["is_personal"]),
        row["status"],
        row["suggestion"],
        row["reason"],
    )
    assert got == (email, key, is_valid, is_personal, status, suggestion, reason)


@pytest.mark.parametrize(
    "raw",
    ["ivan..petrov@mail.ru", ".ivan@mail.ru@", "ivan@", "@mail.ru", "ivan@mail", "ivan petrov@mail ru x"],
)
def test_invalid_syntax(raw):
    row = normalize_emails([raw]).iloc[0]
    assert (
        row["status"] == "invalid_syntax"
        and not row["is_valid"]
        and row["email"] is None
        and row["email_key"] is None
    )


@pytest.mark.parametrize(
    "raw",
    ["noemail@mail.ru", "NoEmail@Mail.Ru", "no-email@gmail.com", "no_email@yandex.ru", "no.email@bk.ru",
     "noemail123@mail.ru", "nomail@list.ru", "nomail1@firma.ru", "none@mail.ru", "нет@mail.ru",
     "Нет@почта.рф", "empty@inbox.ru", "no@mail.ru", "no@firma.ru", "null@mail.ru", "noemail+crm@gmail.com",
     "нет-почты@mail.ru"],
)
def test_placeholder_mailboxes_are_junk_on_any_domain(raw):
    row = normalize_emails([raw]).iloc[0]
    assert (row["status"], row["reason"], bool(row["is_valid"]), row["email_key"]) == (
        "junk", "placeholder_local_part", False, None)


@pytest.mark.parametrize("raw", ["nobody.smith@mail.ru", "nomad@mail.ru", "nonna@mail.ru", "noel@gmail.com",
                                 "ivan.no@mail.ru", "nina@mail.ru", "nikita.none@mail.ru", "nonoemail@mail.ru"])
def test_words_that_merely_start_like_a_placeholder_stay_valid(raw):
    assert normalize_emails([raw]).iloc[0]["status"] == "valid"


def test_placeholder_list_is_configuration():
    out = normalize_emails(["nemail@mail.ru", "noemail@mail.ru"],
                           config={"placeholder_local_parts": ["nemail"]}).set_index("raw")
    assert out.loc["nemail@mail.ru", "reason"] == "placeholder_local_part"
    assert out.loc["noemail@mail.ru", "status"] == "valid"


def test_mail_ru_family_not_merged():
    keys = {email_key(f"olga@{d}") for d in ("mail.ru", "bk.ru", "list.ru", "inbox.ru")}
    assert len(keys) == 4


def test_distinct_and_columns():
    out = normalize_emails(pd.Series(["a.b@gmail.com", None, "a.b@gmail.com", "ab@gmail.com"]))
    assert len(out) == 2
    assert list(out.columns) == [
        "raw",
        "email",
        "email_key",
        "is_valid",
        "is_personal",
        "status",
        "suggestion",
        "reason",
    ]
    assert out["email_key"].nunique() == 1


def test_config_suggest_instead_of_fix_and_custom_junk():
    cfg = {
        "typo_domains": {"gmail.con": {"to": "gmail.com", "action": "suggest"}},
        "junk_local_parts": ["ivan"],
    }
    out = normalize_emails(["petr@gmail.con", "ivan@firma.ru"], config=cfg).set_index("raw")
    assert out.loc["petr@gmail.con", "status"] == "valid"
    assert out.loc["petr@gmail.con", "suggestion"] == "petr@gmail.com"
    assert out.loc["ivan@firma.ru", "status"] == "junk"
