"""Benchmark of ml.signals: quality on the labelled set and throughput on N perturbed messages.

    .venv/bin/python bench/bench_signals.py                 # quality + throughput on 2,000,000 messages
    .venv/bin/python bench/bench_signals.py --n 200000      # quicker
    .venv/bin/python bench/bench_signals.py --quality-only

Quality: per-marker precision / recall / F1, macro F1, tone label and tone sign accuracy on the
dev and holdout parts of tests/data/messages_eval.csv and messages_eval_v2.csv.

The throughput corpus is built by resampling tests/data/messages_eval.csv and perturbing every
copy (random greeting / signature / order number / amount / name, random case of the first
letter), so almost every text is distinct: the VADER result cache does not make it free.
Called by ``make bench``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.signals import score_messages
from ml.signals.evaluation import EVAL_PATH, EVAL_V2_PATH, evaluate, load_eval

RU_OPEN = ["", "", "Здравствуйте! ", "Добрый день. ", "Привет! ", "Коллеги, ", "Добрый вечер, "]
RU_CLOSE = ["", "", " С уважением, {name}.", " Спасибо.", " {name}, отдел закупок.", " Заказ №{num}.",
            " Договор {num} от {day}.{month}.2024.", " Тел. +7 9{num7}."]
EN_OPEN = ["", "", "Hi team, ", "Hello, ", "Dear support, ", "Good morning. "]
EN_CLOSE = ["", "", " Regards, {name}.", " Thanks.", " Order #{num}.", " Account {num}, {name}."]
NAMES_RU = ["Иван Петров", "Анна", "Ольга Смирнова", "Дмитрий", "Сергей Кузнецов", "Мария", "Алексей"]
NAMES_EN = ["John", "Emma Brown", "Maria", "Alex Smith", "Oliver", "Sophie Turner"]


def build_corpus(n: int, seed: int = 7) -> pd.DataFrame:
    base = load_eval()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), n)
    texts = base["text"].to_numpy()[idx]
    langs = base["language"].to_numpy()[idx]
    o = rng.integers(0, 1000, size=(n, 6))
    out = []
    for i in range(n):
        t, ru = texts[i], langs[i] != "en"
        opens, closes, names = (RU_OPEN, RU_CLOSE, NAMES_RU) if ru else (EN_OPEN, EN_CLOSE, NAMES_EN)
        r = o[i]
        close = closes[r[1] % len(closes)].format(
            name=names[r[2] % len(names)], num=1000 + r[3] * 7 + r[4], num7=str(1000000 + r[3] * 997 + r[5])[:9],
            day=1 + r[4] % 28, month=1 + r[5] % 12)
        t = opens[r[0] % len(opens)] + t + close
        if r[5] % 3 == 0:
            t = t[0].lower() + t[1:]
        out.append(t)
    return pd.DataFrame({
        "message_id": np.arange(n), "customer_id": rng.integers(0, n // 20 + 1, n),
        "channel": np.array(["mail", "ticket", "call"])[rng.integers(0, 3, n)],
        "sent_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s"),
        "direction": np.array(["inbound", "outbound", None], dtype=object)[rng.integers(0, 3, n)],
        "text": out,
    })


def _print_quality(name: str, res: dict) -> None:
    m = res["markers"]
    names = "" if res.get("name_accuracy") is None else f"  competitor names exact={res['name_accuracy']:.3f}"
    print(f"\n[{name}] n={res['n']}  tone accuracy={res['tone_accuracy']:.3f} "
          f"(ru {res['tone_accuracy_ru']:.3f}, en {res['tone_accuracy_en']:.3f})  "
          f"tone sign accuracy={res['tone_sign_accuracy']:.3f}  language accuracy={res['language_accuracy']:.3f}{names}")
    print(f"{'marker':<20}{'support':>8}{'P':>7}{'R':>7}{'F1':>7}")
    for row in m.itertuples():
        print(f"{row.marker:<20}{row.support:>8}{row.precision:>7.2f}{row.recall:>7.2f}{row.f1:>7.2f}")
    print(f"{'macro F1':<20}{'':>8}{'':>7}{'':>7}{res['macro_f1']:>7.2f}   (markers with support)")


def quality_table() -> dict[str, dict]:
    """Both labelled sets, split by dev (rules written on it) and holdout. The v2 set (messages_eval_v2.csv)
    adds sarcasm, competitors by construction, billing phrasing and hard negatives (docs/methods.md)."""
    results = {}
    for label, path in (("v1", EVAL_PATH), ("v2", EVAL_V2_PATH)):
        data = load_eval(path)
        print(f"\n== quality on {path.relative_to(path.parents[2])} (dev = used while writing the rules; holdout = not) ==")
        for name, part in (("all", data), ("dev", data[data["split"] == "dev"]),
                           ("holdout", data[data["split"] == "holdout"])):
            res = results[f"{label}/{name}"] = evaluate(part.reset_index(drop=True))
            _print_quality(f"{label} {name}", res)
    return results


def throughput(n: int) -> float:
    t0 = time.perf_counter()
    corpus = build_corpus(n)
    t_build = time.perf_counter() - t0
    distinct = corpus["text"].nunique()
    c0 = os.times()
    t0 = time.perf_counter()
    out = score_messages(corpus)
    dt = time.perf_counter() - t0
    c1 = os.times()
    cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) + (
        c1.children_system - c0.children_system)
    assert len(out) == n
    rate = n / dt
    print(f"\n== throughput: {n:,} messages ({distinct:,} distinct texts; corpus built in {t_build:.1f}s), "
          f"{os.cpu_count()} cores ==")
    cores = os.cpu_count() or 1
    print(f"score_messages wall: {dt:.1f}s  ->  {rate:,.0f} messages/s")
    print(f"CPU time (self + workers): {cpu:.1f}s = {cpu / n * 1e6:.0f} µs/message  ->  "
          f"{n / (cpu / cores):,.0f} messages/s if the {cores} cores were ours alone")
    print(f"load average during the run: {os.getloadavg()[0]:.1f}")
    print(out["language"].value_counts().to_dict(), out["tone_label"].value_counts().to_dict())
    return rate


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--quality-only", action="store_true")
    args = ap.parse_args(argv)
    quality_table()
    if not args.quality_only:
        throughput(args.n)


if __name__ == "__main__":
    main()
