"""Ingestion throughput: synthetic big CSVs (written by DuckDB) through ``ingest_landing``.

    python bench/bench_ingest.py                      # 1M contacts + 10M orders (make bench)
    python bench/bench_ingest.py --contacts 100000 --orders 1000000

Prints one row per file: rows, seconds, rows/s, reader (csv:duckdb = fast path). A second
table times a file with one broken row (row-by-row fallback) and an idempotent re-run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_quality.landing import ingest_landing


def make_contacts(path: Path, n: int, delim: str = ";") -> None:
    with duckdb.connect() as con:
        con.execute(f"""
            COPY (SELECT lpad(i::VARCHAR, 8, '0') AS "ID", 'Имя' || (i % 977) AS "Имя",
                         'Фамилия' || (i % 5003) AS "Фамилия", 'Отчество' || (i % 97) AS "Отчество",
                         '8 (9' || lpad((i % 100)::VARCHAR, 2, '0') || ') ' || lpad((i % 9999999)::VARCHAR, 7, '0')
                             AS "Мобильный телефон",
                         'user' || i || '@mail.ru' AS "Рабочий e-mail",
                         lpad(((i % 28) + 1)::VARCHAR, 2, '0') || '.0' || ((i % 9) + 1) || '.19' || (50 + i % 50)
                             AS "Дата рождения",
                         'Город ' || (i % 300) AS "Город", 'ул. Ленина, ' || (i % 200) AS "Адрес",
                         lpad((i % 999999)::VARCHAR, 6, '0') AS "Индекс", 'ООО Компания ' || (i % 1000) AS "Компания",
                         '2024-0' || ((i % 9) + 1) || '-1' || (i % 10) AS "Дата создания",
                         'Менеджер ' || (i % 20) AS "Ответственный", '' AS "Комментарий"
                  FROM range({n}) t(i))
            TO '{path}' (HEADER, DELIMITER '{delim}', QUOTE '"')""")


def make_orders(path: Path, n: int, contacts: int) -> None:
    with duckdb.connect() as con:
        con.execute(f"""
            COPY (SELECT 'o' || i AS order_id, lpad((i % {max(contacts, 1)})::VARCHAR, 8, '0') AS contact_id,
                         '2024-' || lpad(((i % 12) + 1)::VARCHAR, 2, '0') || '-' || lpad(((i % 28) + 1)::VARCHAR, 2, '0')
                             AS order_date,
                         ((i * 7919) % 100000)::VARCHAR || ',' || lpad((i % 100)::VARCHAR, 2, '0') AS amount,
                         (1 + i % 5)::VARCHAR AS quantity, 'completed' AS status, 'cat' || (i % 30) AS category,
                         '' AS discount
                  FROM range({n}) t(i))
            TO '{path}' (HEADER, DELIMITER ',', QUOTE '"')""")


def run(contacts: int, orders: int, workdir: Path) -> list[tuple]:
    land = workdir / "landing"
    (land / "crm").mkdir(parents=True, exist_ok=True)
    make_contacts(land / "crm" / "contacts.csv", contacts)
    make_orders(land / "crm" / "orders.csv", orders, contacts)
    out = []
    with duckdb.connect(str(workdir / "bench.duckdb")) as con:
        t0 = time.perf_counter()
        rep = ingest_landing(con, land)
        total = time.perf_counter() - t0
        for f in rep.files:
            out.append((f.path, f.landed_rows, f.raw_rows, f.rejected_rows, f.seconds, f.reader))
        out.append(("TOTAL (first run)", sum(f.landed_rows for f in rep.files),
                    sum(f.raw_rows for f in rep.files), sum(f.rejected_rows for f in rep.files), total, ""))
        t0 = time.perf_counter()
        ingest_landing(con, land)
        out.append(("re-run, nothing changed", 0, 0, 0, time.perf_counter() - t0, "registry"))
    # dirty file: same contacts with one broken line appended -> row-by-row reader
    dirty = workdir / "dirty"
    (dirty / "crm").mkdir(parents=True, exist_ok=True)
    src = land / "crm" / "contacts.csv"
    dst = dirty / "crm" / "contacts.csv"
    dst.write_bytes(src.read_bytes() + b'99999999;"broken\n')
    with duckdb.connect(str(workdir / "bench_dirty.duckdb")) as con:
        rep = ingest_landing(con, dirty)
        f = rep.files[0]
        out.append(("dirty " + f.path, f.landed_rows, f.raw_rows, f.rejected_rows, f.seconds, f.reader))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        rows = run(args.contacts, args.orders, args.workdir or Path(tmp))
    print(f"{'file':<28} {'landed':>11} {'raw':>11} {'rejected':>9} {'seconds':>8} {'rows/s':>11}  reader")
    for name, landed, raw, rej, secs, reader in rows:
        rate = f"{landed / secs:,.0f}" if landed and secs else "-"
        print(f"{name:<28} {landed:>11,} {raw:>11,} {rej:>9,} {secs:>8.2f} {rate:>11}  {reader}")


if __name__ == "__main__":
    main()
