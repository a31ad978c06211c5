"""Complexity guard: Python-level work of the per-customer steps as the base grows 4x.

Counts function calls with cProfile (deterministic, no clock): a vectorised step makes about the
same number of Python calls for 4x the customers (the work is inside pandas / NumPy / DuckDB); a
per-customer Python loop makes ~4x; a loop that filters the whole frame per customer makes ~4x
calls but quadratic work, so the vectorised steps must stay near 1x (health included: its factors
are columns over all customers, reasons formatted once per distinct value). Steps that are a linear
Python loop by design (one union per Splink link) are held to "not more than linear". Wall-clock ratios are measured by `bench/bench_e2e.py`, never here.
"""

from __future__ import annotations

import cProfile
import pstats

import numpy as np
import pandas as pd
import pytest

from ml.health import health_scores
from ml.signals import customer_trends, score_messages, ticket_patterns

AS_OF = "2025-06-30"
N = 400
TEXTS = ["Здравствуйте, вопрос по счёту", "Спасибо, всё отлично!", "Верните деньги, это последний раз!",
         "Прошу выгрузить все наши данные", "Отчёт опять не работает, очень недоволен", "Добрый день"]


def calls(fn, *args) -> int:
    prof = cProfile.Profile()
    prof.enable()
    fn(*args)
    prof.disable()
    return pstats.Stats(prof).total_calls


def _signals(n: int, template: pd.DataFrame) -> pd.DataFrame:
    """n customers x 6 scored messages over the last 120 days (the scored template repeated)."""
    rng = np.random.default_rng(n)
    rows = template.loc[np.tile(np.arange(len(template)), n)].reset_index(drop=True)
    rows["customer_id"] = np.repeat([f"C{i:06d}" for i in range(n)], len(template))
    rows["message_id"] = np.arange(len(rows))
    rows["sent_at"] = pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 120, len(rows)), unit="D")
    return rows


def _tickets(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n + 1)
    k = 5 * n
    created = pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 100, k), unit="D")
    return pd.DataFrame({"customer_id": [f"C{i:06d}" for i in rng.integers(0, n, k)],
                         "created_at": created, "closed_at": created + pd.to_timedelta(rng.integers(1, 200, k), unit="h"),
                         "category": rng.choice(["billing", "bug", "Тарифы", "other"], k),
                         "reopen_count": rng.integers(0, 3, k)})


@pytest.fixture(scope="module")
def template() -> pd.DataFrame:
    frame = pd.DataFrame({"message_id": range(len(TEXTS)), "customer_id": "X", "channel": "mail",
                          "sent_at": pd.Timestamp(AS_OF), "direction": "inbound", "text": TEXTS})
    return score_messages(frame)


def test_trends_and_ticket_patterns_are_vectorised(template):
    small, big = _signals(N, template), _signals(4 * N, template)
    ratio = calls(customer_trends, big, AS_OF, {}) / calls(customer_trends, small, AS_OF, {})
    assert ratio < 1.5, f"customer_trends: {ratio:.2f}x Python calls for 4x customers"
    ratio = calls(ticket_patterns, _tickets(4 * N), AS_OF, {}) / calls(ticket_patterns, _tickets(N), AS_OF, {})
    assert ratio < 1.5, f"ticket_patterns: {ratio:.2f}x Python calls for 4x customers"


def test_health_is_vectorised(template):
    inputs = {}
    for n in (N, 4 * N):
        inputs[n] = (customer_trends(_signals(n, template), AS_OF, {}), ticket_patterns(_tickets(n), AS_OF, {}))
    c_small = calls(health_scores, *inputs[N], AS_OF)
    c_big = calls(health_scores, *inputs[4 * N], AS_OF)
    # the per-customer loop (health_scores_by_customer) made ~3.6x here
    assert c_big / c_small < 1.5, f"health_scores: {c_big / c_small:.2f}x Python calls for 4x customers"


def test_identity_resolution_is_vectorised():
    """Deterministic graph, Splink and ids in DuckDB: Python calls grow far slower than the records."""
    import duckdb

    from ml.identity import resolve_identities

    def run(n: int) -> int:
        rng = np.random.default_rng(n)
        person = rng.integers(0, n // 3, n)
        first = np.array(["ivan", "anna", "oleg", "olga", "petr", "irina"])[person % 6]
        last = np.array([f"fam{i % 97}ov" for i in person])
        phone = np.where(rng.random(n) < 0.7, [f"+7916{p:07d}" for p in person], None)
        records = pd.DataFrame({"source": "crm_contact", "source_record_id": [f"R{i}" for i in range(n)],
                                "phone_e164": phone, "first_name_key": first, "last_name_key": last,
                                "first_name_canonical_key": first, "name_key": [f"{a} {b}" for a, b in zip(first, last)],
                                "birth_date": pd.to_datetime("1970-01-01") + pd.to_timedelta(person % 9000, unit="D"),
                                "record_ts": pd.Timestamp("2024-01-01")})
        con = duckdb.connect()
        con.execute("SET threads = 1")
        con.register("_src", records)
        con.execute("CREATE TABLE records AS SELECT * FROM _src")
        try:
            return calls(resolve_identities, con, "records")
        finally:
            con.close()

    ratio = run(4 * 1500) / run(1500)
    # one union-find step per Splink link is Python (linear in links); everything else is SQL
    assert ratio < 2.0, f"resolve_identities: {ratio:.2f}x Python calls for 4x records"


def test_alerts_are_vectorised():
    """Every customer's decision is columns; only the crossings (none here) and the managers'
    digests are Python."""
    from ml.alerts import build_alerts

    def verdict(n: int) -> pd.DataFrame:
        rng = np.random.default_rng(n)
        return pd.DataFrame({
            "customer_id": [f"C{i:06d}" for i in range(n)], "full_name": "Иванова Мария",
            "manager": rng.choice(["Иванова Анна", "Петров Пётр", None], n),
            "risk_stage": rng.choice(["active", "at_risk", "potential_churn"], n), "risk_score": rng.random(n),
            "value_at_risk": rng.uniform(0, 1e4, n), "lifecycle_state": rng.choice(["active", "sleeping"], n),
            "reason_codes": [["silence_30"], ["ultimatum", "silence_90"], []] * (n // 3) + [[]] * (n % 3),
            "silence_days": rng.integers(0, 400, n).astype(float), "cycle_days": 30.0})

    n = 5 * N  # the per-customer pass made 1.9x (first run) and 3.0x (next run) calls here
    build_alerts(verdict(30), None, AS_OF)  # loads the name morphology once
    for first in (True, False):
        small, big = verdict(n), verdict(4 * n)
        before = {k: None if first else v[["customer_id", "risk_stage", "risk_score"]] for k, v in ((n, small), (4 * n, big))}
        ratio = calls(build_alerts, big, before[4 * n], AS_OF) / calls(build_alerts, small, before[n], AS_OF)
        assert ratio < 1.5, f"build_alerts (first run {first}): {ratio:.2f}x Python calls for 4x customers"
