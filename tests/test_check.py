"""`sohoa check [--repair]`: the archive tells the truth about its own health, and mends what it can."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from digitize.catalog import SCHEMA_VERSION
from index import open_index
from tests.conftest import Sohoa, make_scan, page_lines

NAMES = ["Nguyễn Văn An", "Đặng Thị Hương", "Trần Thị Ngọc Ánh", "Lê Minh Tuấn"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("check")
    for n, name in enumerate(NAMES):
        make_scan(base / "batch" / f"p{n}.png", page_lines("GIẤY KHAI SINH", name), dpi=200)
    Sohoa()("scan", base / "batch", "--archive", base / "archive")
    return base / "archive"


@pytest.fixture
def archive(pristine, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(pristine, root)
    monkeypatch.setenv("SOHOA_ARCHIVE", str(root))
    return root


def kinds(report) -> list[tuple[str, int | None]]:
    return sorted((p["kind"], p["paper_id"]) for p in report["problems"])


def pdf_of(root: Path, paper_id: int) -> Path:
    with sqlite3.connect(root / "catalog.sqlite") as db:
        return root / db.execute("SELECT pdf_path FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]


def test_a_healthy_archive_passes(archive):
    result = Sohoa()("check")
    assert "4 catalogued, 4 files verified" in result.stdout and "OK: no problems found" in result.stdout
    report = Sohoa().json("check")
    assert report == {"ok": True, "schema_version": SCHEMA_VERSION, "papers": 4, "files_verified": 4,
                      "index_entries": 4, "problems": [], "repaired": []}


def test_every_kind_of_damage_is_found_and_repair_mends_all_but_lost_files(archive):
    sohoa = Sohoa()
    altered, lost = pdf_of(archive, 1), pdf_of(archive, 2)
    original = altered.read_bytes()
    altered.write_bytes(original + b"%")  # one byte more: a damaged copy
    lost_bytes = lost.read_bytes()
    lost.unlink()
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        db.execute("UPDATE papers SET pdf_sha256 = NULL WHERE id = 3")  # as if archived before checksums
        db.execute("UPDATE papers SET indexed = 0 WHERE id = 4")  # changed since it was indexed
    with open_index(archive / "index") as index:
        index.add([{"id": 99, "text": "a paper the catalog never had"}])
    old_orphan = archive / "papers" / "00" / ("0" * 64 + ".pdf")
    old_orphan.parent.mkdir()
    old_orphan.write_bytes(original)
    hour_ago = time.time() - 3600
    os.utime(old_orphan, (hour_ago, hour_ago))
    young_orphan = archive / "papers" / "00" / ("1" * 64 + ".pdf")
    young_orphan.write_bytes(b"%PDF-1.4 being written by a scan")

    before = sohoa.json("check", expect=1)

    assert kinds(before) == [("bad-checksum", 1), ("extra-index", 99), ("missing-file", 2), ("no-checksum", 3),
                             ("orphan", None), ("orphan", None), ("stale-index", 4)]
    assert {p["path"] for p in before["problems"] if p["kind"] == "orphan"} == {
        "papers/00/" + "0" * 64 + ".pdf", "papers/00/" + "1" * 64 + ".pdf"}
    text = sohoa("check", expect=1).stdout
    assert "7 problem(s) found" in text and "restore it from a backup" in text

    after = sohoa.json("check", "--repair", expect=1)

    # What a repair cannot mend without a backup stays reported; nothing else does.
    assert kinds(after) == [("bad-checksum", 1), ("missing-file", 2), ("orphan", None)]
    assert any("left papers/00/111" in r for r in after["repaired"])  # a running scan's file is not touched
    assert young_orphan.exists() and not old_orphan.exists()
    assert (archive / "orphans" / "papers" / "00" / old_orphan.name).read_bytes() == original
    assert altered.read_bytes() == original + b"%"  # never rewritten, never deleted
    assert after["index_entries"] == 4

    altered.write_bytes(original)  # the operator restores the two files from a backup
    lost.write_bytes(lost_bytes)
    young_orphan.unlink()
    assert sohoa.json("check")["ok"]


def test_repair_indexes_papers_the_index_lost(archive):
    shutil.rmtree(archive / "index")
    sohoa = Sohoa()
    report = sohoa.json("check", expect=1)
    assert kinds(report) == [("not-indexed", n) for n in (1, 2, 3, 4)]
    repaired = sohoa.json("check", "--repair")
    assert repaired["ok"] and repaired["repaired"] == ["indexed 4 paper(s)"]
    assert [h["source_name"] for h in sohoa.json("search", "Đặng", "Thị", "Hương")][:1] == ["p1.png"]


def test_a_damaged_index_is_rebuilt(archive):
    for f in (archive / "index").glob("*.toc"):
        f.write_bytes(b"garbage")
    sohoa = Sohoa()
    assert kinds(sohoa.json("check", expect=1)) == [("index", None)]
    repaired = sohoa.json("check", "--repair")
    assert repaired["ok"] and repaired["repaired"][0].startswith("rebuilt the index")
