"""Customer-resolved facts for the ML assets, read from the warehouse up to the as-of date.

Every query has a total ORDER BY: DuckDB returns rows in scan order, which differs between runs,
and samplers with a fixed seed give the same sample only on the same row order.

Each fact joins its customer through core.customer_identity; a record id landed twice counts once
(the same rule as int_identity_records), and nothing dated after the as-of date is read, so the
models never see the future.
"""

import datetime as dt

import duckdb
import pandas as pd

from dagster_project.warehouse import ensure_schema, table_exists

FACT_QUERIES = {
    # int_customer_orders (dbt): line items summed, an order landed twice counted once, <= as_of
    "orders": """
        SELECT customer_id, order_date, amount, status_class AS status,
               nullif(category, '(none)') AS category, discount
        FROM intermediate.int_customer_orders
        WHERE order_date <= $as_of
        ORDER BY customer_id, order_date, order_id
    """,
    "tickets": """
        SELECT i.customer_id, t.created_at, t.closed_at, t.category, t.reopen_count, t.handling_minutes,
               t.is_complaint
        FROM staging.stg_support_tickets t
        JOIN core.customer_identity i ON i.source = 'ticket' AND i.source_record_id = t.ticket_id
        WHERE t.created_at IS NOT NULL AND cast(t.created_at AS date) <= $as_of
        QUALIFY row_number() OVER (PARTITION BY t.ticket_id ORDER BY t._source_file, t._line) = 1
        ORDER BY i.customer_id, t.created_at, t.ticket_id
    """,
    "events": """
        SELECT i.customer_id, e.occurred_at, e.event_type
        FROM staging.stg_marketing_events e
        JOIN core.customer_identity i ON i.source = 'event' AND i.source_record_id = e.event_id
        WHERE e.occurred_at IS NOT NULL AND cast(e.occurred_at AS date) <= $as_of
        ORDER BY i.customer_id, e.occurred_at, e.event_id
    """,
    "calls": """
        SELECT i.customer_id, c.started_at, c.duration_sec, c.direction
        FROM staging.stg_phone_calls c
        JOIN core.customer_identity i ON i.source = 'call' AND i.source_record_id = c.call_id
        WHERE c.started_at IS NOT NULL AND cast(c.started_at AS date) <= $as_of
        ORDER BY i.customer_id, c.started_at, c.call_id
    """,
    "customers": """
        SELECT customer_id, first_seen_at FROM core.customers
        WHERE first_seen_at IS NULL OR cast(first_seen_at AS date) <= $as_of
        ORDER BY customer_id
    """,
}

MESSAGE_TEXTS_QUERY = """
    SELECT 'mail:' || m.message_id AS message_id, i.customer_id, 'mail' AS channel, m.sent_at, m.direction,
           concat_ws(E'\\n', m.subject, m.body) AS text, NULL AS thread_id
    FROM staging.stg_mail_messages m
    JOIN core.customer_identity i ON i.source = 'mail' AND i.source_record_id = m.message_id
    WHERE m.sent_at IS NOT NULL AND cast(m.sent_at AS date) <= $as_of
    UNION ALL
    SELECT 'ticket:' || t.ticket_id, i.customer_id, 'ticket', t.created_at, 'inbound', t.text, 'ticket:' || t.ticket_id
    FROM staging.stg_support_tickets t
    JOIN core.customer_identity i ON i.source = 'ticket' AND i.source_record_id = t.ticket_id
    WHERE t.text IS NOT NULL AND t.created_at IS NOT NULL AND cast(t.created_at AS date) <= $as_of
    UNION ALL
    SELECT 'call:' || c.call_id, i.customer_id, 'call', c.started_at, c.direction, c.transcript, NULL
    FROM staging.stg_phone_calls c
    JOIN core.customer_identity i ON i.source = 'call' AND i.source_record_id = c.call_id
    WHERE c.transcript IS NOT NULL AND c.started_at IS NOT NULL AND cast(c.started_at AS date) <= $as_of
    UNION ALL
    -- chats: one customer per chat (stg_chat_messages); media-only messages carry no text to score
    SELECT 'chat:' || h.message_id, i.customer_id, 'chat', h.sent_at, h.direction, h.text, 'chat:' || h.chat_id
    FROM staging.stg_chat_messages h
    JOIN core.customer_identity i ON i.source = 'chat' AND i.source_record_id = h.message_id
    WHERE h.sent_at IS NOT NULL AND cast(h.sent_at AS date) <= $as_of
    ORDER BY 1
"""


def load_customer_facts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, pd.DataFrame]:
    data = {name: con.execute(sql, {"as_of": as_of}).df() for name, sql in FACT_QUERIES.items()}
    if table_exists(con, "ml", "message_signals"):
        data["messages"] = con.execute(
            "SELECT customer_id, sent_at, tone, direction FROM ml.message_signals "
            "WHERE customer_id IS NOT NULL AND cast(sent_at AS date) <= $as_of ORDER BY customer_id, sent_at, message_id",
            {"as_of": as_of},
        ).df()
    return data


def load_message_texts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    return con.execute(MESSAGE_TEXTS_QUERY, {"as_of": as_of}).df()


def known_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every name the golden records know (full, first, last): masked in any text that leaves."""
    from dagster_project.warehouse import table_exists

    if not table_exists(con, "core", "customers"):
        return []
    rows = con.execute(
        "SELECT DISTINCT n FROM (SELECT unnest([full_name, first_name, last_name]) AS n FROM core.customers) "
        "WHERE n IS NOT NULL AND length(trim(n)) > 1").fetchall()
    return [r[0] for r in rows]



def replace_snapshot(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame, as_of: dt.date) -> None:
    """Keep one snapshot per as-of date: re-running a date replaces its rows, other dates stay."""
    frame = frame.assign(as_of=as_of)
    ensure_schema(con, schema)
    con.register("_snapshot", frame)
    try:
        if table_exists(con, schema, table):
            con.execute(f'DELETE FROM "{schema}"."{table}" WHERE as_of = $as_of', {"as_of": as_of})
            con.execute(f'INSERT INTO "{schema}"."{table}" BY NAME SELECT * FROM _snapshot')
        else:
            con.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM _snapshot')
    finally:
        con.unregister("_snapshot")
