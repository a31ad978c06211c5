"""Hand-made warehouses for the customer-analytics marts, reusable by other tests.

`MartsFixture` builds the upstream tables the marts read — staging.stg_* (the columns of the
staging models), core.customer_identity, core.customers and optionally ml.* — into a DuckDB file.
Dates are given as "days before the as-of date" so the expected values stay readable.
`handmade_fixture()` is the reference data set whose exact RFM / RFCM / cycle / lifecycle values
are asserted in tests/integration/test_marts.py (the expectations are written next to each customer).
`run_dbt()` seeds and builds the analytics models only (the staging models read Python-written
tables that a hand-made warehouse does not have).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from clientpulse_config.dbt_vars import analytics_vars

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt"
DBT_BIN = Path(sys.executable).with_name("dbt")
AS_OF = date(2026, 6, 30)
# The analytics models: the intermediate models built after identity resolution, the marts and
# customer_360 (dbt layer tags, see dbt/dbt_project.yml).
ANALYTICS_SELECT = ["tag:post_identity", "tag:marts", "tag:serving"]


def ago(days: int, as_of: date = AS_OF) -> date:
    return as_of - timedelta(days=days)


def ts(d: date, hour: int = 12) -> datetime:
    return datetime(d.year, d.month, d.day, hour)


@dataclass
class MartsFixture:
    as_of: date = AS_OF
    customers: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    mails: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)  # rows of staging.stg_actions_log
    identity: list[tuple[str, str, str]] = field(default_factory=list)
    ml: dict[str, list[dict]] = field(default_factory=dict)
    _seq: int = 0

    def _id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq:05d}"

    def _link(self, customer_id: str, source: str, record_id: str) -> None:
        self.identity.append((customer_id, source, record_id))

    def customer(self, customer_id: str, name: str, email: str | None = None, phone: str | None = None,
                 first_seen_days_ago: int | None = None) -> MartsFixture:
        first = ago(first_seen_days_ago, self.as_of) if first_seen_days_ago is not None else None
        self.customers.append(dict(
            customer_id=customer_id, full_name=name, first_name=name.split()[0], last_name=name.split()[-1],
            phone_e164=phone, email=email, has_valid_phone=phone is not None, has_valid_email=email is not None,
            manager="Менеджер", first_seen_at=ts(first) if first else None, last_seen_at=None,
        ))
        self._link(customer_id, "crm_contact", f"crm-{customer_id}")
        return self

    def order(self, customer_id: str, days_ago: int, amount: float, category: str = "A",
              status_class: str = "completed") -> str:
        oid = self._id("O")
        d = ago(days_ago, self.as_of)
        self.orders.append(dict(
            order_id=oid, contact_id=f"crm-{customer_id}", order_date=d, order_ts=ts(d), order_date_raw=d.isoformat(),
            amount=float(amount), quantity=1.0, status=status_class, status_class=status_class, category=category,
            discount=None, _source_file="orders.csv", _line=self._seq,
        ))
        self._link(customer_id, "order", oid)
        return oid

    def ticket(self, customer_id: str, days_ago: int, category: str = "complaint", complaint: bool = True,
               refund: bool = False, handling_minutes: float = 30, closed_days_ago: int | None = None) -> str:
        tid = self._id("T")
        created = ago(days_ago, self.as_of)
        closed = ago(closed_days_ago, self.as_of) if closed_days_ago is not None else created
        self.tickets.append(dict(
            ticket_id=tid, created_at=ts(created), closed_at=ts(closed, 18), contact_id=f"crm-{customer_id}",
            email_raw=None, email_key=None, phone_raw=None, phone_e164=None, category=category,
            is_complaint=complaint, is_billing_price=False, is_refund=refund, status="closed", reopen_count=0,
            handling_minutes=float(handling_minutes), text="Обращение", _source_file="tickets.csv", _line=self._seq,
        ))
        self._link(customer_id, "ticket", tid)
        return tid

    def call(self, customer_id: str, days_ago: int, duration_sec: float, direction: str = "inbound") -> str:
        cid = self._id("C")
        self.calls.append(dict(
            call_id=cid, started_at=ts(ago(days_ago, self.as_of)), phone_raw=None, phone_e164=None, phone_kind="mobile",
            direction=direction, status="answered", duration_sec=float(duration_sec), manager="Менеджер",
            transcript=None, _source_file="calls.csv", _line=self._seq,
        ))
        self._link(customer_id, "call", cid)
        return cid

    def mail(self, customer_id: str, days_ago: int, direction: str = "inbound") -> str:
        mid = self._id("M")
        self.mails.append(dict(
            message_id=mid, sent_at=ts(ago(days_ago, self.as_of)), from_address=None, to_address=None,
            subject="Тема", body="Текст", direction=direction, _source_file="mail.csv", _line=self._seq,
            customer_address_raw=None, customer_email=None, customer_email_key=None,
        ))
        self._link(customer_id, "mail", mid)
        return mid

    def event(self, customer_id: str, days_ago: int, event_type: str) -> str:
        eid = self._id("E")
        self.events.append(dict(
            event_id=eid, occurred_at=ts(ago(days_ago, self.as_of)), contact_id=f"crm-{customer_id}", email_key=None,
            phone_e164=None, event_type=event_type, _source_file="events.csv", _line=self._seq,
        ))
        self._link(customer_id, "event", eid)
        return eid

    def action(self, customer_id: str | None, days_ago: int, action: str, response: str = "none",
               responded_days_ago: int | None = None, channel: str = "email", **ids: str | None) -> str:
        """One row of the actions log (what was sent from a list); ``ids`` may give contact_id,
        email or phone_e164 instead of the customer id."""
        aid = self._id("A")
        responded = ts(ago(responded_days_ago, self.as_of), 15) if responded_days_ago is not None else None
        self.actions.append(dict(
            action_id=aid, customer_id=customer_id, contact_id=ids.get("contact_id"), email=ids.get("email"),
            phone_e164=ids.get("phone_e164"), action=action, sent_at=ts(ago(days_ago, self.as_of), 10),
            channel=channel, response=response, responded_at=responded, _source_file="actions/actions_log.csv",
            _line=self._seq,
        ))
        return aid

    # ------------------------------------------------------------------ writing
    def write(self, path: Path) -> Path:
        import pandas as pd

        specs = {
            "staging.stg_orders": (self.orders, {
                "order_id": "VARCHAR", "contact_id": "VARCHAR", "order_date": "DATE", "order_ts": "TIMESTAMP",
                "order_date_raw": "VARCHAR", "amount": "DOUBLE", "quantity": "DOUBLE", "status": "VARCHAR",
                "status_class": "VARCHAR", "category": "VARCHAR", "discount": "DOUBLE", "_source_file": "VARCHAR",
                "_line": "BIGINT"}),
            "staging.stg_support_tickets": (self.tickets, {
                "ticket_id": "VARCHAR", "created_at": "TIMESTAMP", "closed_at": "TIMESTAMP", "contact_id": "VARCHAR",
                "email_raw": "VARCHAR", "email_key": "VARCHAR", "phone_raw": "VARCHAR", "phone_e164": "VARCHAR",
                "category": "VARCHAR", "is_complaint": "BOOLEAN", "is_billing_price": "BOOLEAN", "is_refund": "BOOLEAN",
                "status": "VARCHAR", "reopen_count": "INTEGER", "handling_minutes": "DOUBLE", "text": "VARCHAR",
                "_source_file": "VARCHAR", "_line": "BIGINT"}),
            "staging.stg_phone_calls": (self.calls, {
                "call_id": "VARCHAR", "started_at": "TIMESTAMP", "phone_raw": "VARCHAR", "phone_e164": "VARCHAR",
                "phone_kind": "VARCHAR", "direction": "VARCHAR", "status": "VARCHAR", "duration_sec": "DOUBLE",
                "manager": "VARCHAR", "transcript": "VARCHAR", "_source_file": "VARCHAR", "_line": "BIGINT"}),
            "staging.stg_mail_messages": (self.mails, {
                "message_id": "VARCHAR", "sent_at": "TIMESTAMP", "from_address": "VARCHAR", "to_address": "VARCHAR",
                "subject": "VARCHAR", "body": "VARCHAR", "direction": "VARCHAR", "_source_file": "VARCHAR",
                "_line": "BIGINT", "customer_address_raw": "VARCHAR", "customer_email": "VARCHAR",
                "customer_email_key": "VARCHAR"}),
            "staging.stg_marketing_events": (self.events, {
                "event_id": "VARCHAR", "occurred_at": "TIMESTAMP", "contact_id": "VARCHAR", "email_key": "VARCHAR",
                "phone_e164": "VARCHAR", "event_type": "VARCHAR", "_source_file": "VARCHAR", "_line": "BIGINT"}),
            "staging.stg_actions_log": (self.actions, {
                "action_id": "VARCHAR", "customer_id": "VARCHAR", "contact_id": "VARCHAR", "email": "VARCHAR",
                "phone_e164": "VARCHAR", "action": "VARCHAR", "sent_at": "TIMESTAMP", "channel": "VARCHAR",
                "response": "VARCHAR", "responded_at": "TIMESTAMP", "_source_file": "VARCHAR", "_line": "BIGINT"}),
            "staging.stg_chat_messages": ([], {
                "message_id": "VARCHAR", "direction": "VARCHAR", "sent_at": "TIMESTAMP", "_source_file": "VARCHAR",
                "_line": "BIGINT", "unmatched_reason": "VARCHAR", "crm_contact_id": "VARCHAR",
                "customer_phone_e164": "VARCHAR", "customer_email_key": "VARCHAR"}),
            "core.customers": (self.customers, {
                "customer_id": "VARCHAR", "full_name": "VARCHAR", "first_name": "VARCHAR", "last_name": "VARCHAR",
                "company": "VARCHAR",
                "phone_e164": "VARCHAR", "email": "VARCHAR", "has_valid_phone": "BOOLEAN", "has_valid_email": "BOOLEAN",
                "manager": "VARCHAR", "first_seen_at": "TIMESTAMP", "last_seen_at": "TIMESTAMP"}),
            "core.customer_identity": (
                [dict(customer_id=c, source=s, source_record_id=r, match_rule="handmade", match_score=1.0)
                 for c, s, r in self.identity],
                {"customer_id": "VARCHAR", "source": "VARCHAR", "source_record_id": "VARCHAR", "match_rule": "VARCHAR",
                 "match_score": "DOUBLE"}),
        }
        con = duckdb.connect(str(path))
        try:
            for schema in ("staging", "core", "ml"):
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table, (rows, cols) in specs.items():
                con.execute(f"DROP TABLE IF EXISTS {table}")
                con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in cols.items())})")
                if rows:
                    frame = pd.DataFrame(rows, columns=list(cols))
                    con.execute(f"INSERT INTO {table} SELECT * FROM frame")
            for table, rows in self.ml.items():
                frame = pd.DataFrame(rows)  # noqa: F841
                con.execute(f"CREATE OR REPLACE TABLE ml.{table} AS SELECT * FROM frame")
        finally:
            con.close()
        return path


def handmade_fixture(as_of: date = AS_OF) -> MartsFixture:
    """The reference customers (as of 2026-06-30). Expected values: see tests/integration/test_marts.py."""
    f = MartsFixture(as_of=as_of)
    # C01 champion: 8 monthly orders (gaps 30), last 10 days ago
    f.customer("C01", "Анна Иванова", email="anna@example.ru", phone="+79120000001", first_seen_days_ago=400)
    for d in (10, 40, 70, 100, 130, 160, 190, 220):
        f.order("C01", d, 10000, "A")
    # C02 sleeping: gaps 60, last 85 days ago; unsubscribed -> contact by phone
    f.customer("C02", "Борис Петров", email="boris@example.ru", phone="+79120000002", first_seen_days_ago=300)
    for d in (85, 145, 205, 265):
        f.order("C02", d, 5000, "B")
    f.event("C02", 200, "unsubscribe")
    # C03 hot inactive: gaps 30, last 80 days ago, abandoned a cart 5 days ago
    f.customer("C03", "Вера Смирнова", email="vera@example.ru", first_seen_days_ago=200)
    for d in (80, 110, 140, 170):
        f.order("C03", d, 3000, "C")
    f.event("C03", 5, "cart_abandon")
    # C04 near death: gaps 60, last 200 days ago
    f.customer("C04", "Глеб Кузнецов", phone="+79120000004", first_seen_days_ago=330)
    for d in (200, 260, 320):
        f.order("C04", d, 4000, "B")
    # C05 dead: two orders 2.5 years ago, no engagement
    f.customer("C05", "Дарья Волкова", email="darya@example.ru", first_seen_days_ago=1000)
    for d in (900, 960):
        f.order("C05", d, 1000, "D")
    # C06 new: one order 5 days ago
    f.customer("C06", "Егор Соколов", email="egor@example.ru", first_seen_days_ago=6)
    f.order("C06", 5, 2000, "A")
    # C07 toxic: 3 orders (gaps 40) + 1 return, 4 complaint tickets, 6 long calls
    f.customer("C07", "Жанна Морозова", email="zhanna@example.ru", first_seen_days_ago=400)
    for d in (50, 90, 130):
        f.order("C07", d, 1500, "C")
    f.order("C07", 45, 1500, "C", status_class="returned")
    for d in (20, 100, 200, 300):
        f.ticket("C07", d, handling_minutes=40, closed_days_ago=max(d - 1, 1))
    for d in (15, 60, 120, 180, 240, 280):
        f.call("C07", d, 6000)
    # C08 should have bought: gaps 40, last 45 days ago, no contact channel
    f.customer("C08", "Захар Лебедев", first_seen_days_ago=170)
    for d in (45, 85, 125, 165):
        f.order("C08", d, 2500, "E")
    # C09 can't lose them: 6 big orders long ago (gaps 30), opened an e-mail 20 days ago
    f.customer("C09", "Ирина Козлова", email="irina@example.ru", first_seen_days_ago=600)
    for d in (400, 430, 460, 490, 520, 550):
        f.order("C09", d, 20000, "F")
    f.event("C09", 20, "email_open")
    # C10 sleeping (deep sleep): one gap of 100 days, last 130 days ago, phone only
    f.customer("C10", "Кирилл Новиков", phone="+79120000010", first_seen_days_ago=240)
    for d in (130, 230):
        f.order("C10", d, 6000, "B")
    # C11 no purchases, demanding: 2 complaints, 5 e-mails within 2 months of tenure
    f.customer("C11", "Лариса Павлова", email="larisa@example.ru", first_seen_days_ago=60)
    f.ticket("C11", 40, handling_minutes=50, closed_days_ago=39)
    f.ticket("C11", 10, handling_minutes=50, closed_days_ago=9)
    for d in (41, 30, 11):
        f.mail("C11", d, "inbound")
    for d in (40, 10):
        f.mail("C11", d, "outbound")
    # C12 only a cancelled order: no purchases
    f.customer("C12", "Максим Орлов", email="max@example.ru", first_seen_days_ago=20)
    f.order("C12", 15, 7000, "A", status_class="cancelled")
    return f


def add_future_rows(f: MartsFixture, days_after: int = 3) -> MartsFixture:
    """Rows dated after the as-of date for every source: the marts must not change."""
    d = -days_after
    for cid in ("C01", "C02", "C05", "C11", "C12"):
        f.order(cid, d, 99999, "A")
        f.order(cid, d - 1, 500, "A", status_class="returned")
        f.ticket(cid, d, handling_minutes=999, closed_days_ago=d - 1)
        f.call(cid, d, 99999)
        f.mail(cid, d, "outbound")
        f.event(cid, d, "cart_abandon")
        f.event(cid, d, "email_click")
    return f


def run_dbt(warehouse: Path, as_of: date | str, args: list[str] | None = None, extra_vars: dict | None = None,
            select: list[str] | None = None, seed: bool = True) -> subprocess.CompletedProcess:
    """`dbt seed` + `dbt build` of the analytics models against ``warehouse`` (raises on failure)."""
    env = {**os.environ, "CLIENTPULSE_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    variables = json.dumps({**analytics_vars(as_of), **(extra_vars or {})})
    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--vars", variables]
    # each run gets its own target dir so parallel test sessions do not trample target/
    target = warehouse.parent / "dbt_target"
    common += ["--target-path", str(target), "--log-path", str(target / "logs")]
    result = None
    commands = ([["seed"]] if seed else []) + [args or ["build", "--select", *(select or ANALYTICS_SELECT)]]
    for cmd in commands:
        result = subprocess.run([str(DBT_BIN), *cmd, *common], capture_output=True, text=True, env=env, cwd=DBT_DIR)
        if result.returncode != 0:
            raise RuntimeError(f"dbt {' '.join(cmd)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return result
