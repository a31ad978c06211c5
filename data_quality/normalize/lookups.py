"""Contact lookups from the raw tables: each distinct phone / e-mail / name parsed once.

The lookups go to the `normalized` schema; dbt staging joins them back onto every raw row, so
the SQL models stay declarative and the expensive parsing happens once per value.
"""

from __future__ import annotations

import duckdb
import pandas as pd

# (raw table, column) pairs whose values are phones / e-mails.
PHONE_COLUMNS = [("crm_contacts", "phone"), ("phone_calls", "phone"), ("support_tickets", "phone"), ("marketing_events", "phone"),
                 ("actions_log", "phone"), ("chat_messages", "phone")]
EMAIL_COLUMNS = [
    ("crm_contacts", "email"),
    ("mail_messages", "from_address"),
    ("mail_messages", "to_address"),
    ("support_tickets", "email"),
    ("marketing_events", "email"),
    ("actions_log", "email"),
    ("chat_messages", "email"),
]
TEXT_COLUMNS = [("crm_contacts", "comment")]
# Raw tables whose further phone / e-mail headers land in `_more_contacts` (config/sources.yaml
# `contact_columns`): {"phone": [...], "email": [...]}.
MORE_CONTACT_TABLES = ("crm_contacts", "phone_calls", "support_tickets", "marketing_events")


def more_contacts(con) -> pd.DataFrame:
    """One row per further contact value of a raw row, in header priority order (position 1..n)."""
    selects = [
        f"""SELECT '{t}' AS source_table, _source_file, _line, '{kind}' AS kind, unnest(v) AS raw,
                   CAST(generate_subscripts(v, 1) AS INTEGER) AS position
            FROM (SELECT _source_file, _line, CAST(json_extract(_more_contacts, '$.{kind}') AS VARCHAR[]) AS v
                  FROM raw."{t}" WHERE _more_contacts IS NOT NULL) WHERE v IS NOT NULL"""
        for t in MORE_CONTACT_TABLES for kind in ("phone", "email")
    ]
    return con.execute(" UNION ALL ".join(selects) + " ORDER BY ALL").df()


def manager_lookup(spellings: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Group the spellings of one manager by surname key; show the most used full spelling.

    «Смирнова Ольга», «Ольга Смирнова», «Смирнова О.» and «smirnova» share the key `smirnova`; the
    display name is the most frequent spelling with at least two words. Two managers with one
    surname would merge — the alias seed `dq_manager_aliases` overrides any spelling.
    """
    from data_quality.normalize.names import normalize_names

    if spellings.empty:
        return pd.DataFrame({"raw": pd.Series(dtype=str), "manager_key": pd.Series(dtype=str), "manager": pd.Series(dtype=str)})
    names = normalize_names(spellings["raw"], config=config)
    frame = spellings.assign(
        manager_key=names["last_name_key"].fillna(names["first_name_key"]).fillna(spellings["raw"].str.strip().str.lower()),
        words=spellings["raw"].str.split().str.len(),
    )
    display = (
        frame.assign(full=lambda f: f["words"] >= 2)
        .sort_values(["manager_key", "full", "n", "raw"], ascending=[True, False, False, True])
        .drop_duplicates("manager_key")[["manager_key", "raw"]]
        .rename(columns={"raw": "manager"})
    )
    return frame[["raw", "manager_key"]].merge(display, on="manager_key", how="left")


def _distinct(con, pairs: list[tuple[str, str]]) -> pd.Series:
    selects = [f'SELECT "{col}" AS v FROM raw."{table}" WHERE "{col}" IS NOT NULL' for table, col in pairs]
    return con.execute(" UNION ".join(selects)).df()["v"]


def build_lookups(con: duckdb.DuckDBPyConnection, config: dict) -> dict[str, pd.DataFrame]:
    """Every lookup table of the `normalized` schema, by table name."""
    from data_quality.normalize.emails import normalize_emails
    from data_quality.normalize.extract import extract_contacts
    from data_quality.normalize.names import normalize_names
    from data_quality.normalize.phones import normalize_phones
    from data_quality.normalize.translit import name_token_key

    texts = con.execute(
        " UNION ALL ".join(
            f"""SELECT '{t}' AS source_table, _source_file, _line, "{c}" AS text
                FROM raw."{t}" WHERE "{c}" IS NOT NULL AND trim("{c}") <> ''"""
            for t, c in TEXT_COLUMNS
        )
    ).df()
    mined = extract_contacts(texts["text"].reset_index(drop=True)) if len(texts) else pd.DataFrame(
        columns=["row", "kind", "raw", "position"]
    )
    text_contacts = (
        mined.merge(texts[["source_table", "_source_file", "_line"]], left_on="row", right_index=True)
        [["source_table", "_source_file", "_line", "kind", "raw", "position"]]
    )

    extra_contacts = more_contacts(con)
    raw_phones = pd.concat([_distinct(con, PHONE_COLUMNS), text_contacts.loc[text_contacts["kind"] == "phone", "raw"],
                            extra_contacts.loc[extra_contacts["kind"] == "phone", "raw"]])
    raw_emails = pd.concat([_distinct(con, EMAIL_COLUMNS), text_contacts.loc[text_contacts["kind"] == "email", "raw"],
                            extra_contacts.loc[extra_contacts["kind"] == "email", "raw"]])
    phones = normalize_phones(raw_phones.drop_duplicates(), config=config)
    emails = normalize_emails(raw_emails.drop_duplicates(), config=config)

    contacts = con.execute(
        'SELECT _source_file, _line, full_name, first_name, last_name, middle_name FROM raw.crm_contacts'
    ).df()
    names = normalize_names(
        contacts["full_name"], contacts["first_name"], contacts["last_name"], contacts["middle_name"], config=config
    )
    names = names.rename(columns={"is_placeholder": "is_placeholder_name"})
    if "middle_name_key" not in names.columns:
        names["middle_name_key"] = [name_token_key(m) if isinstance(m, str) and m else None for m in names["middle_name"]]
    names = pd.concat([contacts[["_source_file", "_line"]], names], axis=1)

    managers = manager_lookup(
        con.execute(
            "SELECT manager AS raw, count(*) AS n FROM (SELECT manager FROM raw.crm_contacts UNION ALL "
            "SELECT manager FROM raw.phone_calls) WHERE nullif(trim(manager), '') IS NOT NULL GROUP BY 1"
        ).df(),
        config,
    )
    return {
        "phone_lookup": phones,
        "email_lookup": emails.rename(columns={"status": "email_status"}),
        "contact_names": names,
        "text_contacts": text_contacts,
        "extra_contacts": extra_contacts,
        "manager_lookup": managers,
    }
