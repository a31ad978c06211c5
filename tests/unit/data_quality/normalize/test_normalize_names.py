"""normalize_names on tricky real-world inputs (RU and EN)."""

from __future__ import annotations

import pandas as pd
import pytest

from data_quality.normalize.names import normalize_names
from data_quality.normalize.translit import name_token_key

N = None
# full_name → (last, first, middle, first_name_key, last_name_key, canonical_key, name_key)
PARSED = [
    ("Иванов Иван Петрович", ("Иванов", "Иван", "Петрович", "ivan", "ivanov", "ivan", "ivan ivanov")),
    ("Иван Петрович Иванов", ("Иванов", "Иван", "Петрович", "ivan", "ivanov", "ivan", "ivan ivanov")),
    ("Иван Иванов", ("Иванов", "Иван", N, "ivan", "ivanov", "ivan", "ivan ivanov")),
    ("Иванов Иван", ("Иванов", "Иван", N, "ivan", "ivanov", "ivan", "ivan ivanov")),
    ("  иванов   иван  петрович ", ("Иванов", "Иван", "Петрович", "ivan", "ivanov", "ivan", "ivan ivanov")),
    ("ИВАНОВ ИВАН ПЕТРОВИЧ", ("Иванов", "Иван", "Петрович", "ivan", "ivanov", "ivan", "ivan ivanov")),
    ("ИВАНОВ И.П.", ("Иванов", "И.", "П.", "i", "ivanov", "i", "i ivanov")),
    ("И.П. Сидоров", ("Сидоров", "И.", "П.", "i", "sidorov", "i", "i sidorov")),
    ("Ivan Petrov", ("Petrov", "Ivan", N, "ivan", "petrov", "ivan", "ivan petrov")),
    ("Petrov Ivan", ("Petrov", "Ivan", N, "ivan", "petrov", "ivan", "ivan petrov")),
    ("Иван Петров", ("Петров", "Иван", N, "ivan", "petrov", "ivan", "ivan petrov")),
    ("Ваня Петров", ("Петров", "Ваня", N, "vania", "petrov", "ivan", "ivan petrov")),
    ("Саша Петров", ("Петров", "Саша", N, "sasha", "petrov", "aleksandr", "aleksandr petrov")),
    ("Alex Petrov", ("Petrov", "Alex", N, "aleks", "petrov", "aleksandr", "aleksandr petrov")),
    ("Петрова Катя", ("Петрова", "Катя", N, "katia", "petrova", "ekaterina", "ekaterina petrova")),
    (
        "Екатерина Петрова",
        ("Петрова", "Екатерина", N, "ekaterina", "petrova", "ekaterina", "ekaterina petrova"),
    ),
    ("Фёдор Достоевский", ("Достоевский", "Фёдор", N, "fedor", "dostoevski", "fedor", "dostoevski fedor")),
    ("Fyodor Dostoyevsky", ("Dostoyevsky", "Fyodor", N, "fedor", "dostoevski", "fedor", "dostoevski fedor")),
    ("Юлия Соловьёва", ("Соловьёва", "Юлия", N, "iulia", "soloveva", "iulia", "iulia soloveva")),
    ("Julia Solovyeva", ("Solovyeva", "Julia", N, "iulia", "soloveva", "iulia", "iulia soloveva")),
    ("Евгений Хабибуллин", ("Хабибуллин", "Евгений", N, "evgeni", "habibulin", "evgeni", "evgeni habibulin")),
    (
        "Yevgeny Khabibullin",
        ("Khabibullin", "Yevgeny", N, "evgeni", "habibulin", "evgeni", "evgeni habibulin"),
    ),
    ("Alexey Kuznetsov", ("Kuznetsov", "Alexey", N, "aleksei", "kuznetsov", "aleksei", "aleksei kuznetsov")),
    (
        "мария-луиза сидорова-петрова",
        (
            "Сидорова-Петрова",
            "Мария-Луиза",
            N,
            "marialuiza",
            "sidorovapetrova",
            "marialuiza",
            "marialuiza sidorovapetrova",
        ),
    ),
    ("Мамедов Али Гусейн оглы", ("Мамедов", "Али", "Гусейн оглы", "ali", "mamedov", "ali", "ali mamedov")),
    ("John Smith", ("Smith", "John", N, "iohn", "smith", "iohn", "iohn smith")),
    ("Anna Maria Smith", ("Smith", "Anna", "Maria", "ana", "smith", "ana", "ana smith")),
    ("Юрий Волк", ("Волк", "Юрий", N, "iuri", "volk", "iuri", "iuri volk")),
    ("Заяц Ирина", ("Заяц", "Ирина", N, "irina", "zaiats", "irina", "irina zaiats")),
    ("Ольга", (N, "Ольга", N, "olga", N, "olga", "olga")),
    ("Кузнецова", ("Кузнецова", N, N, N, "kuznetsova", N, "kuznetsova")),
    ("Анна Сергеевна", (N, "Анна", "Сергеевна", "ana", N, "ana", "ana")),
    ("Иван +7 916 482-17-35", (N, "Иван", N, "ivan", N, "ivan", "ivan")),
    ("Петров Иван (ivan@mail.ru)", ("Петров", "Иван", N, "ivan", "petrov", "ivan", "ivan petrov")),
    ("Ronald McDonald", ("McDonald", "Ronald", N, "ronald", "mkdonald", "ronald", "mkdonald ronald")),
]

PLACEHOLDERS = [
    ("Клиент", "placeholder_word"),
    ("клиент 123", "placeholder_word"),
    ("Клиент №45", "placeholder_word"),
    ("Покупатель", "placeholder_word"),
    ("Без имени", "placeholder_word"),
    ("Новый контакт", "placeholder_word"),
    ("Неизвестно", "placeholder_word"),
    ("Контакт", "placeholder_word"),
    ("Client", "placeholder_word"),
    ("Customer", "placeholder_word"),
    ("NoName", "placeholder_word"),
    ("Заявка с сайта", "placeholder_word"),
    ("test", "test"),
    ("тест", "test"),
    ("Тест Тестович", "test"),
    ("Весёлый Енот", "animal_name"),
    ("Рыжая Лиса", "animal_name"),
    ("Быстрый Гепард", "animal_name"),
    ("ООО Ромашка", "company"),
    ("ООО «Ромашка»", "company"),
    ("ИП Иванов И.И.", "company"),
    ("Romashka LLC", "company"),
    ("+7 916 482 17 35", "phone_in_name"),
    ("89164821735", "phone_in_name"),
    ("ivan@mail.ru", "email_in_name"),
    ("12345", "digits"),
    ("А", "too_short"),
    ("И. П.", "too_short"),
    ("???", "too_short"),
]


@pytest.fixture(scope="module")
def parsed() -> pd.DataFrame:
    return normalize_names(pd.Series([p[0] for p in PARSED], index=[p[0] for p in PARSED]))


@pytest.mark.parametrize("full,expected", PARSED, ids=[p[0] for p in PARSED])
def test_split_and_keys(parsed, full, expected):
    row = parsed.loc[full]
    cols = [
        "last_name",
        "first_name",
        "middle_name",
        "first_name_key",
        "last_name_key",
        "first_name_canonical_key",
        "name_key",
    ]
    assert tuple(row[c] for c in cols) == expected
    assert not row["is_placeholder"] and row["placeholder_reason"] is None
    assert row["full_name_clean"] == " ".join(x for x in expected[:3] if x)


@pytest.fixture(scope="module")
def placeholders() -> pd.DataFrame:
    return normalize_names(pd.Series([p[0] for p in PLACEHOLDERS], index=[p[0] for p in PLACEHOLDERS]))


@pytest.mark.parametrize("full,reason", PLACEHOLDERS, ids=[p[0] for p in PLACEHOLDERS])
def test_placeholders(placeholders, full, reason):
    row = placeholders.loc[full]
    assert bool(row["is_placeholder"]) and row["placeholder_reason"] == reason
    assert row[["first_name", "last_name", "full_name_clean", "name_key"]].isna().all()


def test_swapped_order_gives_same_name_key():
    out = normalize_names(
        pd.Series(["Иванов Иван", "Иван Иванов", "Ivanov Ivan", "Ваня Иванов", "Ivan Ivanov"])
    )
    assert out["name_key"].nunique() == 1


def test_separate_fields_row_aligned_and_swapped_fields():
    idx = pd.Index([10, 20, 30, 40, 50])
    out = normalize_names(
        None,
        first_name=pd.Series(["иван", "Иванов", "Иван Иванов", None, "Клиент"], index=idx),
        last_name=pd.Series(["ИВАНОВ", "Иван", None, "Петров", None], index=idx),
        middle_name=pd.Series([None, "Петрович", None, None, None], index=idx),
    )
    assert list(out.index) == list(idx)
    assert out.loc[10, ["last_name", "first_name"]].tolist() == ["Иванов", "Иван"]
    assert out.loc[20, "full_name_clean"] == "Иванов Иван Петрович"
    assert out.loc[30, ["last_name", "first_name"]].tolist() == ["Иванов", "Иван"]
    assert out.loc[40, ["last_name", "first_name"]].tolist() == ["Петров", None]
    assert out.loc[50, "placeholder_reason"] == "placeholder_word"


def test_fields_win_over_full_name_and_empty_is_not_placeholder():
    out = normalize_names(
        pd.Series(["Клиент", None]), pd.Series(["Ольга", None]), pd.Series(["Смирнова", None])
    )
    assert out.loc[0, "full_name_clean"] == "Смирнова Ольга"
    assert not out.loc[1, "is_placeholder"] and out.loc[1, "name_key"] is None


def test_duplicates_share_one_parse_and_keep_index():
    s = pd.Series(["Иван Иванов"] * 3 + ["Клиент"] * 2, index=list("abcde"))
    out = normalize_names(s)
    assert list(out.index) == list("abcde")
    assert out["is_placeholder"].tolist() == [False, False, False, True, True]


def test_config_extra_placeholder_and_diminutive():
    cfg = {"placeholder_phrases": ["лид с авито"], "diminutives": {"шурочка": "александра"}}
    out = normalize_names(pd.Series(["Лид с Авито", "Шурочка Иванова"]), config=cfg)
    assert out.loc[0, "placeholder_reason"] == "placeholder_word"
    assert out.loc[1, "first_name_canonical_key"] == "aleksandra"


@pytest.mark.parametrize(
    "cyr,lat",
    [
        ("Иван", "Ivan"),
        ("Юлия", "Yulia"),
        ("Юлия", "Julia"),
        ("Алексей", "Aleksei"),
        ("Ксения", "Xenia"),
        ("Наталья", "Natalia"),
        ("Сергей", "Sergey"),
        ("Щукин", "Shchukin"),
        ("Чайковский", "Tchaikovsky"),
        ("Андреев", "Andreyev"),
        ("Пётр", "Pyotr"),
        ("Виктор", "Victor"),
        ("Дмитриевич", "Dmitriyevich"),
        ("Юрий", "Iurii"),
    ],
)
def test_latin_spellings_share_key(cyr, lat):
    assert name_token_key(cyr) == name_token_key(lat)
    assert name_token_key(cyr).isascii()
