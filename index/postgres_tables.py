"""The postgres engine's database and the tables an index directory names; apart from the engine,
so that :mod:`index.base` can drop the tables of a directory it deletes without importing the engine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from .errors import IndexDamaged, SearchUnavailable

MARKER = "postgres.json"  # in the index directory: {"table": ..., "url": ...}


def without_password(url: str) -> str:
    """The URL with any password taken out (it belongs in PGPASSWORD or ~/.pgpass, not in a file)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as e:
        raise SearchUnavailable(f"not a PostgreSQL URL: {e}") from None
    if "password" not in params:
        return url
    params.pop("password")
    host, port, db, user = (params.pop(k, None) for k in ("host", "port", "dbname", "user"))
    rest = "&".join(f"{k}={v}" for k, v in params.items())
    return (f"postgresql://{user + '@' if user else ''}{host or ''}{':' + str(port) if port else ''}/{db or ''}"
            + (f"?{rest}" if rest else ""))


def connect(url: str, autocommit: bool = True) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SearchUnavailable(f"cannot reach the search database {without_password(url)}: {first}") from None


def table_of(path: Path) -> str:
    """The table the index directory ``path`` names (IndexDamaged if it names none)."""
    try:
        table = json.loads((path / MARKER).read_text(encoding="utf-8"))["table"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexDamaged(f"cannot read {path / MARKER}: {e}") from None
    if not isinstance(table, str) or not re.fullmatch(r"search_[0-9a-f]{16}", table):
        raise IndexDamaged(f"no table named in {path / MARKER}")
    return table


def drop_tables(path: Path, url: str | None) -> None:
    """Drop the tables of the index directory ``path``, which is about to be deleted."""
    table = table_of(path)
    if url:
        with connect(url) as db:
            for name in (table, table + "_words"):
                db.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
