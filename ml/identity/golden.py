"""Golden records (`customers`) by configurable survivorship rules, with provenance."""

from __future__ import annotations

from typing import Any

import duckdb

# group -> (candidate filter, value used for frequency, validity expression, columns taken)
GROUPS: dict[str, dict[str, Any]] = {
    "name": {"where": "coalesce(full_name_clean, first_name, last_name) IS NOT NULL",
             "freq": "coalesce(name_key, lower(full_name_clean))",
             "valid": "CASE WHEN NOT is_placeholder_name THEN 1 ELSE 0 END",
             "cols": {"full_name": "coalesce(full_name_clean, concat_ws(' ', last_name, first_name, middle_name))",
                      "first_name": "first_name", "last_name": "last_name", "middle_name": "middle_name"}},
    "phone": {"where": "phone IS NOT NULL", "freq": "phone", "valid": "phone_rank",
              "cols": {"phone_e164": "phone"}},
    "email": {"where": "email_key IS NOT NULL", "freq": "email_key", "valid": "1",
              "cols": {"email": "coalesce(email, email_key)"}},
    "birth_date": {"where": "birth_date IS NOT NULL", "freq": "birth_date", "valid": "1",
                   "cols": {"birth_date": "birth_date"}},
    "address": {"where": "address IS NOT NULL", "freq": "coalesce(address_key, address)", "valid": "1",
                "cols": {"address": "address", "postcode": "postcode"}},
    "city": {"where": "city IS NOT NULL", "freq": "coalesce(city_key, lower(city))", "valid": "1",
             "cols": {"city": "city"}},
    "company": {"where": "company IS NOT NULL", "freq": "lower(company)", "valid": "1",
                "cols": {"company": "company"}},
    "manager": {"where": "manager IS NOT NULL", "freq": "lower(manager)", "valid": "1",
                "cols": {"manager": "manager"}},
}
CRITERIA = {
    "valid": "valid DESC",
    "most_frequent": "freq DESC",
    "most_recent": "record_ts DESC NULLS LAST",
    "source_priority": "source_priority ASC",
}


def build_customers(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], target: str) -> None:
    """Reads `_idr_assign(rid, customer_id)` + `_idr_rec`; writes table `target`."""
    rules = cfg["survivorship"]["rules"]
    # phone candidates: primary phone ranks above the extra one
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_gin AS
        SELECT a.customer_id, r.*, r.phone_e164 AS phone, 2 AS phone_rank
        FROM _idr_assign a JOIN _idr_rec r USING (rid)
    """)
    selects, joins = [], []
    for group, spec in GROUPS.items():
        order = [CRITERIA[c] for c in rules.get(group, [])]
        order += ["source", "source_record_id"]
        src = "_idr_gin"
        if group == "phone":
            src = ("(SELECT * FROM _idr_gin UNION ALL "
                   "SELECT * REPLACE (phone_e164_extra AS phone, 1 AS phone_rank) FROM _idr_gin "
                   "WHERE phone_e164_extra IS NOT NULL)")
        cols = ", ".join(f"{expr} AS {name}" for name, expr in spec["cols"].items())
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _idr_g_{group} AS
            SELECT customer_id, {cols}, record_key AS {group}_source FROM (
                SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY {', '.join(order)}) AS rn
                FROM (SELECT *, {spec['valid']} AS valid,
                             count(*) OVER (PARTITION BY customer_id, {spec['freq']}) AS freq
                      FROM {src} WHERE {spec['where']}))
            WHERE rn = 1
        """)
        selects.append(", ".join(f"g_{group}.{name}" for name in spec["cols"]) + f", g_{group}.{group}_source")
        joins.append(f"LEFT JOIN _idr_g_{group} g_{group} USING (customer_id)")
    con.execute(f"""
        CREATE OR REPLACE TABLE {target} AS
        SELECT b.customer_id, {', '.join(selects)},
               g_phone.phone_e164 IS NOT NULL AS has_valid_phone,
               g_email.email IS NOT NULL AS has_valid_email,
               b.record_count, b.sources, b.first_seen_at, b.last_seen_at
        FROM (SELECT customer_id, count(*) AS record_count, list(DISTINCT source ORDER BY source) AS sources,
                     min(record_ts) AS first_seen_at, max(record_ts) AS last_seen_at
              FROM _idr_gin GROUP BY 1) b
        {' '.join(joins)}
        ORDER BY b.customer_id
    """)
    for group in GROUPS:
        con.execute(f"DROP TABLE _idr_g_{group}")
    con.execute("DROP TABLE _idr_gin")
