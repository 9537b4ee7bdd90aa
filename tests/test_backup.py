"""`sohoa backup FILE`: catalog snapshot + archived files + manifest, consistent even while a scan runs."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import tarfile
import time

from tests.conftest import SOHOA, make_scan, page_lines, small_batch
from tests.conftest import run_sohoa as run


def test_backup_holds_the_catalog_every_paper_and_a_manifest_of_checksums(sohoa, archive_dir, tmp_path):
    for n, name in enumerate(["Nguyễn Văn An", "Đặng Thị Hương"]):
        make_scan(tmp_path / "batch" / f"p{n}.png", page_lines("GIẤY KHAI SINH", name), dpi=200)
    sohoa("scan", tmp_path / "batch")

    summary = sohoa.json("backup", tmp_path / "b.tar")

    assert (summary["papers"], summary["files"]) == (2, 3)
    with tarfile.open(tmp_path / "b.tar") as tar:
        names = tar.getnames()
        assert names[0] == "catalog.sqlite" and names[-1] == "manifest.json"
        manifest = json.load(tar.extractfile("manifest.json"))
        for name, meta in manifest["files"].items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == meta["sha256"]
        tar.extract("catalog.sqlite", tmp_path / "x", filter="data")
    with sqlite3.connect(archive_dir / "catalog.sqlite") as live, sqlite3.connect(tmp_path / "x" / "catalog.sqlite") as copy:
        query = "SELECT id, sha256, pdf_path, pdf_sha256 FROM papers ORDER BY id"
        assert copy.execute(query).fetchall() == live.execute(query).fetchall()
        assert {r[2] for r in live.execute(query)} == set(names[1:-1])
    assert manifest["format"] == "sohoa-backup" and manifest["papers"] == 2 and manifest["created_by"] == "clerk1"
    assert [e["action"] for e in sohoa.json("audit")] == ["scan", "scan", "backup"]
    assert not list(tmp_path.glob(".b.tar*"))  # written under a temporary name, then renamed


def test_a_backup_taken_during_a_scan_restores_to_a_consistent_archive(tmp_path):
    archive = tmp_path / "archive"
    batch = small_batch(tmp_path / "batch", count=16)
    scan = subprocess.Popen([str(SOHOA), "scan", str(tmp_path / "batch")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "SOHOA_ARCHIVE": str(archive)})
    try:
        while not (archive / "catalog.sqlite").exists() or _papers(archive) < 3:
            assert scan.poll() is None, scan.stderr.read()
            time.sleep(0.05)
        made = run(archive, "backup", tmp_path / "mid-scan.tar", "--json")
        assert made.returncode == 0, made.stderr
        still_scanning = scan.poll() is None
    finally:
        assert scan.wait(120) == 0
    taken = json.loads(made.stdout)["papers"]
    assert 3 <= taken <= len(batch)
    assert still_scanning or taken == len(batch)

    restored = run(tmp_path / "unused", "restore", tmp_path / "mid-scan.tar", "--archive", tmp_path / "restored")

    assert restored.returncode == 0, restored.stderr
    assert run(tmp_path / "restored", "check").returncode == 0
    assert run(archive, "check").returncode == 0
    assert _papers(tmp_path / "restored") == taken


def _papers(root) -> int:
    with sqlite3.connect(root / "catalog.sqlite", timeout=30) as db:
        try:
            return db.execute("SELECT count(*) FROM papers").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is still being created
            return 0


def test_backup_into_a_folder_is_refused(sohoa, tmp_path):
    result = sohoa("backup", tmp_path, expect=2)
    assert "is a folder" in result.stderr
