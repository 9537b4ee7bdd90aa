"""A full disk stops a scan with one line and exit 8; nothing is half written, what was archived is
indexed, and the same command run again once there is room finishes the batch.

Two ways: a real small file system (a tmpfs, where this test may mount one) filled up, and ENOSPC
raised where the archive PDF is written (SOHOA_DISK_FULL_AT, digitize/crashpoints.py), which always runs.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from digitize.archive import RESERVE
from samples.render import render_page, save_multipage
from tests.conftest import assert_whole, run_sohoa, small_batch

pytestmark = pytest.mark.slow  # real processes killed, raced or starved of disk: `pytest -m 'not slow'` skips them

FULL = re.compile(r"^sohoa: (.+): the archive's disk is full: (\d+) papers? archived, (\d+) not attempted; "
                  r"free space and run the same command again$")


def _stopped(run, archive: Path, files: int) -> int:
    """The scan stopped for the full disk with its one line; returns how many papers it archived."""
    assert run.returncode == 8, run.stderr
    assert "Traceback" not in run.stderr
    (line,) = [x for x in run.stderr.splitlines() if not x.startswith("progress: ")]
    found = FULL.match(line)
    assert found, line
    archived, left = int(found[2]), int(found[3])
    assert found[1] == str(archive) and archived + left == files
    rows = [json.loads(x) for x in run.stdout.splitlines()]
    assert [r["status"] for r in rows] == ["new"] * archived
    return archived


def _nothing_half_written(archive: Path) -> list[tuple[int, int]]:
    """No work file or partial copy left; returns the catalogued papers as (id, indexed)."""
    assert list((archive / "tmp").iterdir()) == []
    assert [p for p in archive.rglob("*") if p.name.startswith(".paper-")] == []
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        papers = db.execute("SELECT id, indexed FROM papers ORDER BY id").fetchall()
    db.close()
    assert len(list((archive / "papers").rglob("*.pdf"))) == len(papers)  # no file without its row
    return papers


@pytest.mark.parametrize("point, archived", [("pdf-write:3", 2), ("ocr-worker:1", 0)])
def test_enospc_stops_the_scan_cleanly_and_a_rerun_finishes(tmp_path, point, archived):
    # pdf-write: an archive PDF is being written; ocr-worker: a worker process writing a page's work files.
    archive = tmp_path / "archive"
    batch = small_batch(tmp_path / "batch", count=10)

    run = run_sohoa(archive, "scan", tmp_path / "batch", "--json", disk_full=point)

    assert _stopped(run, archive, len(batch)) == archived
    assert _nothing_half_written(archive) == [(n, 1) for n in range(1, archived + 1)]  # and indexed
    hits = json.loads(run_sohoa(archive, "search", "Bình", "--json").stdout)
    assert sorted(h["source_name"] for h in hits) == [f.name for f in batch[:archived]]

    again = run_sohoa(archive, "scan", tmp_path / "batch", "--json")

    assert again.returncode == 0, again.stderr
    assert [json.loads(x)["status"] for x in again.stdout.splitlines()] == ["skipped"] * archived + ["new"] * (
        10 - archived)
    assert_whole(archive, batch)


@pytest.fixture
def small_disk(tmp_path, mount):
    """A real 40 MB file system (tmpfs) holding an archive with one paper already in it."""
    disk = mount("-t", "tmpfs", "-o", f"size={(RESERVE >> 20) + 8}m", "tmpfs", target=tmp_path / "disk")
    archive = disk / "archive"
    (first,) = small_batch(tmp_path / "first", count=1, start=99)
    assert run_sohoa(archive, "scan", first).returncode == 0
    return disk, archive


def _fill(disk: Path, leave: int) -> Path:
    """Fill the disk but for `leave` bytes."""
    filler = disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * (os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - leave))
    return filler


def test_a_real_disk_filling_up_stops_the_scan_with_the_papers_archived_indexed(small_disk, tmp_path):
    disk, archive = small_disk
    batch = small_batch(tmp_path / "batch", count=10)
    filler = _fill(disk, RESERVE + 200_000)  # room for a few papers, not for ten

    run = run_sohoa(archive, "scan", tmp_path / "batch", "--json")

    archived = _stopped(run, archive, len(batch))
    assert 1 <= archived < len(batch)
    papers = _nothing_half_written(archive)
    assert len(papers) == 1 + archived and all(indexed for _, indexed in papers)

    filler.unlink()  # free space, and run the same command again
    again = run_sohoa(archive, "scan", tmp_path / "batch", "--json")

    assert again.returncode == 0, again.stderr
    assert_whole(archive, batch + list((tmp_path / "first").iterdir()))


def test_a_disk_with_no_room_at_all_stops_with_one_line_whatever_write_fails(small_disk, tmp_path):
    # Below Sohoa's own reserve, the first write to fail may be the catalog's or a page's work image:
    # each is the one line and exit 8 — never a traceback, never "the catalog is damaged".
    disk, archive = small_disk
    speckled = [render_page([f"Trang {n} của Nguyễn Văn Bình"], dpi=200, size_mm=(210, 100), noise=0.3, seed=n)
                for n in (1, 2)]
    stack = save_multipage(speckled, tmp_path / "batch" / "stack.tif")  # its page images are work files
    first = list((tmp_path / "first").iterdir())

    filler = _fill(disk, 8192)
    run = run_sohoa(archive, "scan", stack)
    assert run.returncode == 8 and run.stderr == (
        f"sohoa: {archive}: the archive's disk is full; free space and run the same command again\n")
    filler.unlink()

    filler = _fill(disk, 300_000)  # the catalog opens; a page image does not fit
    run = run_sohoa(archive, "scan", stack, "--json")
    assert _stopped(run, archive, 1) == 0
    assert _nothing_half_written(archive) == [(1, 1)]
    filler.unlink()

    again = run_sohoa(archive, "scan", stack, "--json")

    assert again.returncode == 0, again.stderr
    assert_whole(archive, [stack, *first])


def test_any_command_meeting_a_full_disk_says_so_in_one_line(tmp_path, mount):
    archive = tmp_path / "archive"
    (first,) = small_batch(tmp_path / "first", count=1, start=99)
    assert run_sohoa(archive, "scan", first).returncode == 0
    disk = mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", target=tmp_path / "disk")
    _fill(disk, 4096)

    run = run_sohoa(archive, "backup", disk / "backup.tar")  # the backup's own disk is full

    assert run.returncode == 8, run.stderr
    (line,) = run.stderr.splitlines()
    assert line.startswith("sohoa: the disk is full (") and line.endswith("; free space and run the same command again")
    assert run_sohoa(archive, "check").returncode == 0
