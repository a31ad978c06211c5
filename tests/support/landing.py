"""Landing-folder helpers: write a file into a temporary landing folder, query the ingest
connection, assert that every landed file reconciles (rows = raw + rejected)."""

from __future__ import annotations

from pathlib import Path

from data_quality.landing import reconcile


def write(root: Path, rel: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return p


def q(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def ok(con):
    bad = [r for r in reconcile(con) if not r["ok"]]
    assert not bad, bad
