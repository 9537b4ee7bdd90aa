"""The test PostgreSQL server (tests/postgres.py) itself: it runs with the contrib extensions the
postgres catalog and search engine need, and each test gets a database of its own."""

from __future__ import annotations

import pytest

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the `postgresql` extra")


def test_each_test_gets_its_own_empty_database(postgres_server):
    first, second = postgres_server.database(), postgres_server.database()
    assert first != second
    with psycopg.connect(first, autocommit=True) as db:
        db.execute("CREATE TABLE t (x int)")
    with psycopg.connect(second) as db:
        assert db.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'").fetchone()[0] == 0


def test_the_server_has_unaccent_and_pg_trgm_and_a_c_collation(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("CREATE EXTENSION unaccent")
        db.execute("CREATE EXTENSION pg_trgm")
        assert db.execute("SELECT unaccent('Đăng ký khai sinh')").fetchone()[0] == "Dang ky khai sinh"
        assert db.execute("SELECT similarity('nguyen', 'nguyn')").fetchone()[0] > 0.3
        # Python's str order is the catalog's order (coverage groups are sorted in Python)
        assert db.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()").fetchone()[0] == "C"
