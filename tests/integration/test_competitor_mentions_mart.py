"""marts.mart_competitor_mentions on hand-made ml.message_signals rows (the model's SQL, its
source macros replaced by the relations and date they stand for and its cross-database macros
rendered as their DuckDB text, `default__` of dbt/macros/cross_db; dbt parse checks the Jinja)."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import jinja2

DBT = Path(__file__).resolve().parents[2] / "dbt"
SQL = DBT / "models" / "marts" / "signals" / "mart_competitor_mentions.sql"


def _cross_db_macros():
    """The macros of dbt/macros/cross_db as DuckDB renders them: dispatch picks `default__`."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((DBT / "macros" / "cross_db").glob("*.sql")))
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    holder = {}
    env.globals.update({"return": lambda value: value,
                        "adapter": type("Adapter", (), {"dispatch": staticmethod(
                            lambda name, package: getattr(holder["module"], f"default__{name}"))})})
    holder["module"] = env.from_string(text).module
    return env, holder["module"]


def _render(as_of: str) -> str:
    sql = SQL.read_text(encoding="utf-8")
    sql = re.sub(r"\{\{ optional_source\('ml', 'message_signals'.*?\}\}", "(select * from message_signals)", sql)
    sql = sql.replace("{{ as_of_date() }}", f"date '{as_of}'").replace("{{ source('core', 'customers') }}", "qcr")
    env, macros = _cross_db_macros()
    sql = env.from_string(sql).render({name: getattr(macros, name) for name in dir(macros) if not name.startswith("_")})
    assert "{{" not in sql
    return sql


def test_new_names_counted_per_name_without_outbound_future_or_own_company():
    con = duckdb.connect()
    con.execute("""create table message_signals as select * from (values
        ('mail:1', 'c1', timestamp '2025-01-01 10:00', 'inbound',  'Контур'),
        ('ticket:2', 'c2', timestamp '2025-01-05 09:00', null,     'Контур;Pyrus'),
        ('mail:3', 'c1', timestamp '2025-01-02 12:00', 'inbound',  'контур'),
        ('mail:4', 'c3', timestamp '2025-01-06 08:00', 'inbound',  'Ромашка'),
        ('mail:5', 'c4', timestamp '2025-02-06 08:00', 'outbound', 'Attio'),
        ('mail:6', 'c1', timestamp '2025-04-06 08:00', 'inbound',  'Attio'),
        ('mail:7', null, timestamp '2025-01-07 08:00', 'inbound',  'Saby'),
        ('mail:8', 'c5', timestamp '2025-01-08 08:00', 'inbound',  '')
        ) t(message_id, customer_id, sent_at, direction, competitor_new_names)""")
    con.execute("""create table qcr as select * from (values ('c3', 'ООО "Ромашка"'), ('c1', null), ('c2', 'Контур-Сервис'))
        t(customer_id, company)""")
    rows = con.execute(_render("2025-03-01")).fetchall()
    cols = [d[0] for d in con.description]
    out = {r[0]: dict(zip(cols, r)) for r in rows}
    assert set(out) == {"контур", "pyrus"}              # Ромашка is c3's own company; Attio outbound / future
    k = out["контур"]
    assert (k["name"], k["customers"], k["mentions"]) == ("Контур", 2, 3)
    assert str(k["first_seen_at"]) == "2025-01-01 10:00:00" and str(k["last_seen_at"]) == "2025-01-05 09:00:00"
    assert k["example_message_id"] == "mail:1"
    assert out["pyrus"]["customers"] == 1 and str(out["pyrus"]["as_of"]) == "2025-03-01"
    assert [r[0] for r in rows] == ["контур", "pyrus"]  # most customers first


def test_name_is_the_most_frequent_spelling_and_the_lowest_of_a_tie():
    con = duckdb.connect()
    con.execute("""create table message_signals as select * from (values
        ('mail:1', 'c1', timestamp '2025-01-01 10:00', 'inbound', 'attio'),
        ('mail:2', 'c2', timestamp '2025-01-02 10:00', 'inbound', 'Attio'),
        ('mail:3', 'c3', timestamp '2025-01-03 10:00', 'inbound', 'kontur;Kontur'),
        ('mail:4', 'c4', timestamp '2025-01-04 10:00', 'inbound', 'kontur')
        ) t(message_id, customer_id, sent_at, direction, competitor_new_names)""")
    con.execute("create table qcr as select 'c9' as customer_id, 'x' as company")
    names = dict(con.execute(f"select name_key, name from ({_render('2025-03-01')})").fetchall())
    assert names == {"attio": "Attio", "kontur": "kontur"}  # a tie: the lowest text; else the most frequent
