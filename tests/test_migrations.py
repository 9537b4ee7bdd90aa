"""Schema migrations: an archive made by schema version 1 opens with this Sohoa and migrates forward,
keeping every record and paper; a catalog from a newer Sohoa is refused, untouched.

tests/fixtures/archive-v1 was written by the first released schema; its index folder is left out on
purpose (derived data). Tests work on copies and never change the fixture.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from digitize.catalog import SCHEMA_VERSION
from tests.conftest import Sohoa

FIXTURE = Path(__file__).parent / "fixtures" / "archive-v1"
TABLES = {"records": "record_code", "components": "record_code, name", "papers": "id", "pages": "paper_id, page_no",
          "attachments": "paper_id, record_code"}


def v1_columns() -> dict[str, str]:
    """Each table's columns as schema version 1 made them (later versions may add more)."""
    with sqlite3.connect(f"file:{FIXTURE / 'catalog.sqlite'}?mode=ro", uri=True) as db:
        return {t: ", ".join(r[1] for r in db.execute(f"PRAGMA table_info({t})")) for t in TABLES}


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def v1_content(catalog: Path) -> dict[str, list[tuple]]:
    columns = v1_columns()
    with sqlite3.connect(catalog) as db:
        return {t: db.execute(f"SELECT {columns[t]} FROM {t} ORDER BY {order}").fetchall() for t, order in TABLES.items()}


@pytest.fixture
def old_archive(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(FIXTURE, root)
    monkeypatch.setenv("SOHOA_ARCHIVE", str(root))
    return root


@pytest.fixture(scope="module", autouse=True)
def fixture_untouched():
    before = fingerprint(FIXTURE)
    yield
    assert fingerprint(FIXTURE) == before


def test_a_version_1_archive_migrates_forward_keeping_everything(old_archive):
    with sqlite3.connect(old_archive / "catalog.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    before = v1_content(old_archive / "catalog.sqlite")
    sohoa = Sohoa()

    report = sohoa.json("check", expect=1)  # opening it migrates it

    assert report["schema_version"] == SCHEMA_VERSION
    assert v1_content(old_archive / "catalog.sqlite") == before
    assert len(before["records"]) == 20 and len(before["papers"]) == 1
    # What the old archive lacks is reported, not invented: the archived file's checksum was never
    # recorded, and the index was never copied.
    assert sorted((p["kind"], p["paper_id"]) for p in report["problems"]) == [("no-checksum", 1), ("not-indexed", 1)]

    repaired = sohoa.json("check", "--repair")

    assert repaired["ok"] and repaired["files_verified"] == 1
    (hit,) = sohoa.json("search", "Bến", "Nghé")
    assert (hit["id"], hit["record_code"]) == (1, "000.02.31.H29-260106-0030")
    assert "Nguyễn Văn An" in sohoa("text", 1).stdout
    with sqlite3.connect(old_archive / "catalog.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_opening_twice_migrates_once(old_archive):
    Sohoa()("check", "--repair")
    again = Sohoa().json("check")
    assert again["ok"] and again["schema_version"] == SCHEMA_VERSION


def test_a_newer_catalog_is_refused_and_left_untouched(old_archive):
    catalog = old_archive / "catalog.sqlite"
    with sqlite3.connect(catalog) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = fingerprint(old_archive)

    result = Sohoa()("search", "Nguyễn", expect=7)

    assert result.stderr.strip() == (f"sohoa: {catalog}: catalog schema version {SCHEMA_VERSION + 1} is newer than "
                                      f"this Sohoa understands ({SCHEMA_VERSION}); upgrade Sohoa to open this archive")
    assert fingerprint(old_archive) == before
