"""`sohoa init --engine`, `sohoa reindex --engine` and the search filters, end to end.

Real Tesseract, SQLite and both engines; one paper scanned per archive.
"""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from tests.conftest import make_scan, page_lines

needs_tantivy = pytest.mark.skipif(find_spec("tantivy") is None, reason="tantivy not installed")


def engine_of(archive_dir):
    return (archive_dir / "index.engine").read_text().strip()


def test_new_archive_defaults_to_whoosh(sohoa, archive_dir):
    assert sohoa("init").stdout == f"created {archive_dir} (search engine: whoosh)\n"
    assert engine_of(archive_dir) == "whoosh"
    assert (archive_dir / "catalog.sqlite").is_file()
    assert sohoa("init").stdout == f"already set up: {archive_dir} (search engine: whoosh)\n"


def test_archive_opened_without_init_searches_with_whoosh(sohoa, archive_dir):
    assert sohoa("search", "nguyen").stdout == "no papers found\n"
    assert engine_of(archive_dir) == "whoosh"


@needs_tantivy
def test_init_with_tantivy_is_kept(sohoa, archive_dir):
    assert sohoa("init", "--engine", "tantivy").stdout == f"created {archive_dir} (search engine: tantivy)\n"
    assert sohoa("init").stdout == f"already set up: {archive_dir} (search engine: tantivy)\n"
    assert sohoa("search", "nguyen").stdout == "no papers found\n"
    assert engine_of(archive_dir) == "tantivy"


def test_unknown_engine_is_a_usage_error(sohoa):
    result = sohoa("init", "--engine", "lucene", expect=2)
    assert "lucene" in result.stderr and result.stdout == ""


@pytest.fixture
def scanned(sohoa, tmp_path):
    """An archive with one paper: a birth certificate of Đặng Thị Hương."""
    paper = make_scan(tmp_path / "giay-khai-sinh.png", page_lines("GIẤY KHAI SINH", "Đặng Thị Hương"), dpi=200)
    (row,) = sohoa.jsonl("scan", paper)
    return row["id"]


@needs_tantivy
def test_reindex_switches_engine_and_keeps_results(sohoa, archive_dir, scanned):
    before = sohoa.json("search", "dang", "thi", "huong")
    assert [h["id"] for h in before] == [scanned]

    out = sohoa("reindex", "--engine", "tantivy").stdout
    assert out == f"reindexed 1 papers in {archive_dir / 'index'} (search engine: tantivy)\n"
    assert engine_of(archive_dir) == "tantivy"
    after = sohoa.json("search", "dang", "thi", "huong")
    assert [(h["id"], h["snippet"], h["matched"]) for h in after] == [
        (h["id"], h["snippet"], h["matched"]) for h in before]

    # a filled archive is not switched by init: that is what reindex is for
    result = sohoa("init", "--engine", "whoosh", expect=2)
    assert "sohoa reindex --engine whoosh" in result.stderr
    assert engine_of(archive_dir) == "tantivy"
    sohoa("reindex", "--engine", "whoosh")
    assert engine_of(archive_dir) == "whoosh"
    assert [h["id"] for h in sohoa.json("search", "dang")] == [scanned]


def test_search_filters(sohoa, scanned):
    # The paper has no issue or expiry date: date ranges leave it out, --valid keeps it
    # (no expiry, not replaced).
    assert [h["id"] for h in sohoa.json("search", "huong", "--valid")] == [scanned]
    assert sohoa.json("search", "huong", "--expires-to", "2000-01-01") == []
    assert sohoa.json("search", "huong", "--issued-from", "01/01/2999") == []
    # fields extracted from the paper: its type and holder
    (hit,) = sohoa.json("search", "type:khai", "holder:huong")
    assert (hit["id"], hit["matched"]) == (scanned, ["doc_type", "holder_name"])
    assert sohoa.json("search", "type:huong") == []


def test_bad_filter_date_is_a_usage_error(sohoa):
    result = sohoa("search", "huong", "--issued-from", "31/02/2024", expect=2)
    assert "--issued-from" in result.stderr and "YYYY-MM-DD" in result.stderr
