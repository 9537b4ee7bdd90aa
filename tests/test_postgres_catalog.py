"""`sohoa init --catalog postgresql://…`: an archive whose catalog is a PostgreSQL database, end to end
on a real server with real Tesseract: init, import the register, scan, search, coverage, check; the
archive records its catalog without the password, and later commands find it there."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg", reason="psycopg is in the `postgresql` extra")

from tests.conftest import RECORDS, make_scan, page_lines  # noqa: E402

CODE_AN, CODE_HUONG, _ = (r[0] for r in RECORDS)


@pytest.fixture
def pg_archive(sohoa, postgres_url, archive_dir, monkeypatch):
    monkeypatch.delenv("SOHOA_CATALOG", raising=False)
    done = sohoa("init", "--catalog", postgres_url)
    assert f"catalog: {postgres_url}" in done.stdout
    return archive_dir


@pytest.mark.slow
def test_init_import_scan_search_coverage_check_on_postgresql(sohoa, pg_archive, postgres_url, register_csv, tmp_path):
    assert (pg_archive / "catalog.url").read_text().strip() == postgres_url
    assert not (pg_archive / "catalog.sqlite").exists()

    sohoa("records", "import", register_csv)  # later commands open the catalog the archive records
    scan = make_scan(tmp_path / "tk.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương"))
    (paper,) = sohoa.jsonl("scan", scan, "--record", CODE_HUONG, "--component", "Tờ khai đăng ký khai sinh")

    hits = sohoa.json("search", "dang", "thi", "huong")
    assert [h["id"] for h in hits] == [paper["id"]]
    assert hits[0]["record_code"] == CODE_HUONG

    report = sohoa.json("coverage", "--by", "agency", "--rule", "lenient")
    rows = {r["group"]: r for r in report["rows"]}
    assert (rows["UBND phường Bến Nghé"]["received"], rows["UBND phường Bến Nghé"]["digitized"]) == (2, 1)
    assert (report["total"]["received"], report["total"]["digitized"]) == (3, 1)

    check = sohoa.json("check")
    assert check["ok"], check["problems"]
    assert check["papers"] == check["files_verified"] == 1
    assert not (pg_archive / "catalog.sqlite").exists()  # nothing fell back to SQLite


def test_the_archive_never_records_the_password(sohoa, archive_dir, postgres_server, monkeypatch):
    monkeypatch.delenv("SOHOA_CATALOG", raising=False)
    postgres_server.sql("CREATE ROLE clerk LOGIN PASSWORD 's3cret-Pw'")
    url = postgres_server.database()
    postgres_server.sql(f"ALTER DATABASE {url.rsplit('/', 1)[1]} OWNER TO clerk")
    with_password = url.replace("//sohoa@", "//clerk:s3cret-Pw@")

    done = sohoa("init", "--catalog", with_password)

    recorded = (archive_dir / "catalog.url").read_text().strip()
    assert recorded == url.replace("//sohoa@", "//clerk@")
    assert "s3cret" not in done.stdout + done.stderr
    # the test cluster trusts local connections: the recorded URL opens the catalog again
    assert sohoa.json("coverage")["total"]["received"] == 0


def test_a_catalog_other_than_the_recorded_one_is_refused(sohoa, pg_archive, postgres_server):
    other = postgres_server.database()
    refused = sohoa("records", "list", "--catalog", other, expect=2)
    assert "the archive's catalog is" in refused.stderr and "--catalog" in refused.stderr


def test_a_sqlite_archive_keeps_its_catalog(sohoa, archive_dir, postgres_url, monkeypatch):
    monkeypatch.delenv("SOHOA_CATALOG", raising=False)
    sohoa("init")
    refused = sohoa("init", "--catalog", postgres_url, expect=2)
    assert "catalog.sqlite (SQLite)" in refused.stderr
    assert not (archive_dir / "catalog.url").exists()


def test_an_unreachable_server_is_one_line_without_the_password(sohoa, archive_dir, monkeypatch):
    from tests.serving import free_port

    monkeypatch.delenv("SOHOA_CATALOG", raising=False)
    url = f"postgresql://clerk:s3cret-Pw@127.0.0.1:{free_port()}/sohoa"
    refused = sohoa("init", "--catalog", url, expect=7)
    (line,) = refused.stderr.splitlines()
    assert "cannot reach the PostgreSQL catalog postgresql://clerk@127.0.0.1:" in line and "s3cret" not in line
    assert not (archive_dir / "catalog.url").exists()


def test_a_url_that_is_not_postgresql_is_refused(sohoa, archive_dir):
    refused = sohoa("init", "--catalog", "mysql://root:pw@db/sohoa", expect=2)
    assert "--catalog takes a PostgreSQL URL" in refused.stderr and "pw" not in refused.stderr


def test_backup_of_a_postgresql_catalog_is_refused_in_one_line(sohoa, pg_archive, tmp_path):
    refused = sohoa("backup", tmp_path / "b.tar", expect=7)
    (line,) = refused.stderr.splitlines()
    assert "pg_dump" in line and not (tmp_path / "b.tar").exists()
