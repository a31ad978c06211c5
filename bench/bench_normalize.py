"""Benchmark the contact normalisers on synthetic contact rows.

    .venv/bin/python bench/bench_normalize.py [--rows 1000000] [--seed 0]

Builds N synthetic CRM contact rows (phones in many RU/foreign shapes with ~60 % distinct,
e-mails with typos/junk/role addresses, names in several orders with placeholders), then times
normalize_phones, normalize_emails and normalize_names and prints a table. Not a timed test.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

FIRST = [
    "Иван",
    "Ольга",
    "Сергей",
    "Анна",
    "Дмитрий",
    "Екатерина",
    "Алексей",
    "Мария",
    "Саша",
    "Катя",
    "Ivan",
    "Olga",
    "Юлия",
    "Никита",
    "Татьяна",
]
ROOTS = [
    a + b
    for a in [
        "Иван",
        "Петр",
        "Смирн",
        "Кузнец",
        "Поп",
        "Сокол",
        "Лебед",
        "Козл",
        "Новик",
        "Мороз",
        "Волк",
        "Зайц",
        "Павл",
        "Семен",
        "Голуб",
        "Виноград",
        "Богдан",
        "Ворон",
        "Федор",
        "Михайл",
    ]
    for b in ["", "ищ", "ян", "ушк", "ец", "ач", "енк", "ейк", "ар", "ин", "ал", "ор", "уш", "ик", "ев"]
]
ENDINGS = ["ов", "ова", "ев", "ин", "ина", "ский", "ская", "енко", "ук", "ых"]
LAST_M = [r + e for r in ROOTS for e in ENDINGS]
MIDDLE = ["Петрович", "Сергеевна", "Иванович", "Алексеевна", ""]
DOMAINS = [
    "mail.ru",
    "gmail.com",
    "yandex.ru",
    "bk.ru",
    "list.ru",
    "inbox.ru",
    "ya.ru",
    "rambler.ru",
    "gmail.con",
    "mail.r",
    "yandx.ru",
    "company.ru",
]
PLACEHOLDERS = ["Клиент", "Новый контакт", "Весёлый Енот", "ООО Ромашка", "test", "Покупатель"]


def synth(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pool = int(n * 0.6)
    nat = rng.integers(9_000_000_000, 9_999_999_999, pool).astype(str)
    shape = rng.integers(0, 7, pool)
    fmt = [
        lambda x: f"8 ({x[:3]}) {x[3:6]}-{x[6:8]}-{x[8:]}",
        lambda x: f"+7{x}",
        lambda x: x,
        lambda x: f"+7 {x[:3]} {x[3:6]} {x[6:]}",
        lambda x: f"8{x}",
        lambda x: f"+49 30 {x[3:]}" if x[-1] == "0" else f"8-{x[:3]}-{x[3:6]}-{x[6:]}",  # ~1.5 % foreign
        lambda x: f"{x[6:]}",
    ]
    phones = np.array([fmt[s](x) for s, x in zip(shape, nat)], dtype=object)
    phone_col = phones[rng.integers(0, pool, n)]
    phone_col[rng.random(n) < 0.05] = "11111"
    phone_col[rng.random(n) < 0.15] = None

    logins = np.array([f"user{i}{'.x' if i % 3 else ''}" for i in range(pool)], dtype=object)
    doms = np.array(DOMAINS, dtype=object)[rng.integers(0, len(DOMAINS), pool)]
    emails = np.char.add(np.char.add(logins.astype(str), "@"), doms.astype(str)).astype(object)
    emails[rng.random(pool) < 0.03] = "1@mail.ru"
    emails[rng.random(pool) < 0.02] = "info@company.ru"
    email_col = emails[rng.integers(0, pool, n)]
    email_col[rng.random(n) < 0.3] = None

    f = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), n)]
    last_idx = rng.integers(0, len(LAST_M), n)
    surnames = np.array(LAST_M, dtype=object)[last_idx]
    m = np.array(MIDDLE, dtype=object)[rng.integers(0, len(MIDDLE), n)]
    order = rng.integers(0, 3, n)
    full = np.where(
        order == 0, surnames + " " + f + " " + m, np.where(order == 1, f + " " + surnames, surnames + " " + f)
    )
    full = pd.Series(full).str.strip().to_numpy(dtype=object)
    ph = rng.random(n) < 0.1
    full[ph] = np.array(PLACEHOLDERS, dtype=object)[rng.integers(0, len(PLACEHOLDERS), ph.sum())]
    return pd.DataFrame({"phone": phone_col, "email": email_col, "full_name": full})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    df = synth(args.rows, args.seed)
    t_gen = time.perf_counter() - t0

    from data_quality.normalize import normalize_emails, normalize_names, normalize_phones

    rows = []
    for label, col, fn in [
        ("phones", "phone", lambda s: normalize_phones(s)),
        ("emails", "email", lambda s: normalize_emails(s)),
        ("names", "full_name", lambda s: normalize_names(s)),
    ]:
        s = df[col]
        t, c = time.perf_counter(), time.process_time()
        out = fn(s)
        dt, cpu = time.perf_counter() - t, time.process_time() - c
        distinct = s.dropna().nunique()
        rows.append((label, int(s.notna().sum()), distinct, len(out), dt, cpu, s.notna().sum() / dt))
    total, total_cpu = sum(r[4] for r in rows), sum(r[5] for r in rows)
    print(f"synthetic rows: {args.rows:,} (generated in {t_gen:.1f} s)")
    print(
        f"{'normaliser':<10} {'non-null':>10} {'distinct':>10} {'out rows':>10} {'wall s':>8} {'cpu s':>8} {'rows/s':>10}"
    )
    for label, nn, d, o, dt, cpu, rps in rows:
        print(f"{label:<10} {nn:>10,} {d:>10,} {o:>10,} {dt:>8.1f} {cpu:>8.1f} {rps:>10,.0f}")
    print(
        f"{'total':<10} {'':>10} {'':>10} {'':>10} {total:>8.1f} {total_cpu:>8.1f}   target <= 60 s (cpu s: time on a shared machine)"
    )


if __name__ == "__main__":
    main()
