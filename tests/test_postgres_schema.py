"""The PostgreSQL catalog's schema (digitize/storage/postgres/schema.py) on a real server: the same
version as SQLite's, migrated once, transactions and savepoints, and the coverage counters' triggers."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg", reason="psycopg is in the `postgresql` extra")

from digitize.errors import ArchiveError, CatalogBusy  # noqa: E402
from digitize.storage.postgres.schema import PostgresDatabase  # noqa: E402
from digitize.storage.sqlite.schema import SCHEMA_VERSION  # noqa: E402


def test_a_new_catalog_is_at_the_current_version_and_reopens_there(postgres_url):
    first = PostgresDatabase(postgres_url)
    assert first.version == SCHEMA_VERSION and first.quick_check() == ["ok"]
    first.close()
    again = PostgresDatabase(postgres_url)
    assert again.version == SCHEMA_VERSION
    assert again.db.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1
    again.close()


def test_a_failing_nested_transaction_undoes_only_itself(postgres_url):
    database = PostgresDatabase(postgres_url)
    with database.transaction() as db:
        db.execute("INSERT INTO users (name, role, password_hash, created) VALUES ('a', 'clerk', 'h', 'now')")
        with pytest.raises(database.integrity_error):
            with database.transaction():
                db.execute("INSERT INTO users (name, role, password_hash, created) VALUES ('b', 'clerk', 'h', 'now')")
                db.execute("INSERT INTO users (name, role, password_hash, created) VALUES ('a', 'clerk', 'h', 'now')")
    assert [r[0] for r in database.db.execute("SELECT name FROM users")] == ["a"]
    database.close()


def test_triggers_keep_the_coverage_counters(postgres_url):
    database = PostgresDatabase(postgres_url)
    db = database.db

    def counters():
        return db.execute("SELECT missing, result_papers, reused FROM records").fetchone()

    db.execute("""INSERT INTO records (record_code, procedure_code, procedure_name, agency, channel, received_date,
                  applicant_name, requires_paper_result, updated_at) VALUES ('R1', 'P', 'p', 'A', 1, '2026-01-05',
                  'An', 1, 'now')""")
    db.execute("INSERT INTO components (record_code, name, position) VALUES ('R1', 'Tờ khai', 0), ('R1', 'Giấy', 1)")
    assert counters() == (2, 0, 0)
    db.execute("""INSERT INTO papers (sha256, source_name, source_path, pdf_path, page_count, text, ocr_languages,
                  scanned_by, scanned_at) VALUES ('s1', 'a', 'a', 'a', 1, '', 'vie', 'c', 'now'),
                  ('s2', 'b', 'b', 'b', 1, '', 'vie', 'c', 'now')""")
    db.execute("""INSERT INTO attachments (paper_id, record_code, component, is_result, reused, attached_by, attached_at)
                  VALUES (1, 'R1', 'Tờ khai', 0, 1, 'c', 'now'), (2, 'R1', '', 1, 0, 'c', 'now')""")
    assert counters() == (1, 1, 1)
    db.execute("DELETE FROM components WHERE name = 'Giấy'")
    assert counters() == (0, 1, 1)
    db.execute("DELETE FROM attachments")
    assert counters() == (1, 0, 0)
    db.execute("UPDATE papers SET indexed = 1")
    db.execute("INSERT INTO attachments (paper_id, record_code, attached_by, attached_at, is_result) "
               "VALUES (1, 'R1', 'c', 'now', 1)")
    db.execute("UPDATE records SET applicant_name = 'Bình'")  # a corrected register re-indexes its papers
    assert [r[0] for r in db.execute("SELECT indexed FROM papers ORDER BY id")] == [0, 1]
    database.close()


def test_a_lock_held_too_long_is_catalog_busy_and_undoes_the_write(postgres_url):
    holder, waiter = PostgresDatabase(postgres_url), PostgresDatabase(postgres_url, wait=0.5)
    holder.db.execute("INSERT INTO users (name, role, password_hash, created) VALUES ('a', 'clerk', 'h', 'now')")
    with holder.transaction():
        holder.db.execute("UPDATE users SET role = 'staff' WHERE name = 'a'")
        with pytest.raises(CatalogBusy, match="busy in another session"):
            with waiter.transaction():
                waiter.db.execute("UPDATE users SET disabled = 1 WHERE name = 'a'")
    assert waiter.db.execute("SELECT role, disabled FROM users").fetchone() == ("staff", 0)
    holder.close()
    waiter.close()


def test_an_unreachable_server_names_the_url_without_its_password():
    from tests.serving import free_port

    url = f"postgresql://clerk:s3cret@127.0.0.1:{free_port()}/sohoa"
    with pytest.raises(ArchiveError) as refused:
        PostgresDatabase(url, wait=1)
    assert f"postgresql://clerk@127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/sohoa" in str(refused.value)
    assert "s3cret" not in str(refused.value) and "\n" not in str(refused.value)
