"""Power cuts: `scan`, `watch` and `reindex` killed with SIGKILL at chosen moments lose nothing.

The real `sohoa` console script runs as a subprocess; `SOHOA_CRASH_AT=POINT:N` (digitize/crashpoints.py)
makes it SIGKILL itself the N-th time it reaches POINT. Re-running the same command must finish the
job: every paper archived exactly once, and `sohoa check` finds nothing wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from PIL import Image

from digitize.archive import Archive
from digitize.scan.scanner import Scanner
from ocr import TesseractEngine
from samples.render import save_multipage
from tests.conftest import assert_whole, small_batch
from tests.conftest import run_sohoa as sohoa

pytestmark = pytest.mark.slow  # real processes killed, raced or starved of disk: `pytest -m 'not slow'` skips them

PAGES = 30


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> list[Path]:
    return small_batch(tmp_path_factory.mktemp("crash") / "batch", count=PAGES)


@pytest.mark.parametrize("point", ["ocr-page:5", "pdf-write:3", "pdf-written:7", "catalog-commit:12",
                                   "index-commit:1"])
def test_scan_killed_then_rerun_completes_the_batch(batch, tmp_path, point):
    archive = tmp_path / "archive"
    killed = sohoa(archive, "scan", batch[0].parent, crash=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    again = sohoa(archive, "scan", batch[0].parent, "--json")

    assert again.returncode == 0, again.stderr
    statuses = [json.loads(line)["status"] for line in again.stdout.splitlines()]
    assert len(statuses) == PAGES and set(statuses) <= {"new", "skipped"}
    assert_whole(archive, batch)
    hits = json.loads(sohoa(archive, "search", "lô", str(17 * 7 + 3), "--json").stdout)
    assert hits and hits[0]["source_name"] == "giay-017.png"


@pytest.fixture(scope="module")
def scanned(batch, tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("scanned") / "archive"
    assert sohoa(archive, "scan", batch[0].parent).returncode == 0
    return archive


@pytest.mark.parametrize("point", ["reindex-build:10", "reindex-swap:1"])
def test_reindex_killed_then_rerun_completes(scanned, batch, tmp_path, point):
    archive = tmp_path / "archive"
    shutil.copytree(scanned, archive)
    killed = sohoa(archive, "reindex", crash=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Searches still answer from the old index in the meantime.
    assert json.loads(sohoa(archive, "search", "Bình", "--limit", 100, "--json").stdout)

    again = sohoa(archive, "reindex")

    assert again.returncode == 0, again.stderr
    assert_whole(archive, batch)
    assert [p.name for p in archive.iterdir() if p.name.startswith((".index.new", ".index.old"))] == []


@pytest.mark.parametrize("point", ["pdf-written:4", "catalog-commit:9"])
def test_watch_killed_then_restarted_completes_the_batch(batch, tmp_path, point):
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    shutil.copytree(batch[0].parent, inbox)
    killed = sohoa(archive, "watch", inbox, "--once", "--poll", 0.1, crash=point, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    again = sohoa(archive, "watch", inbox, "--once", "--poll", 0.1, timeout=120)

    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [p.name for p in batch]
    assert_whole(archive, batch)


def test_an_ocr_worker_killed_mid_batch_costs_nothing(batch, tmp_path):
    # Every worker dies on its 3rd page (as if killed for memory): the pages in flight are read again
    # in a process of their own, a fresh pool takes the rest, and the one run archives everything.
    archive = tmp_path / "archive"
    files = batch[:8]
    for f in files:
        shutil.copy(f, tmp_path / f.name)

    run = sohoa(archive, "scan", *(tmp_path / f.name for f in files), "--jobs", 2, "--json", crash="ocr-worker:3")

    assert run.returncode == 0, run.stderr
    assert [json.loads(line)["status"] for line in run.stdout.splitlines()] == ["new"] * len(files)
    assert "Traceback" not in run.stderr
    assert_whole(archive, files)


def test_a_page_that_kills_its_ocr_process_twice_fails_alone_with_one_line(batch, tmp_path):
    # Every OCR process dies on its first page, the retry too: each file fails with a clear line and
    # its own exit code, nothing is half-archived, and a normal re-run archives everything.
    archive = tmp_path / "archive"
    files = batch[:3]

    run = sohoa(archive, "scan", *files, "--jobs", 2, "--json", crash="ocr-worker:1")

    assert run.returncode == 3, run.stderr
    outcomes = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["status"] for o in outcomes] == ["failed"] * len(files)
    assert all("OCR stopped twice on this page" in o["error"] for o in outcomes)
    assert "Traceback" not in run.stderr
    set_aside = sorted(p.name for p in (archive / "quarantine").iterdir() if p.suffix == ".png")
    assert [name.split("-", 2)[-1] for name in set_aside] == [f.name for f in files]  # stamped with the time
    assert sohoa(archive, "scan", *files).returncode == 0
    assert_whole(archive, files)


def test_work_files_of_a_killed_scan_are_removed_by_the_next_command(batch, tmp_path):
    archive = tmp_path / "archive"
    killed = sohoa(archive, "scan", *batch[:6], crash="ocr-page:3")
    assert killed.returncode == -signal.SIGKILL
    assert [p for p in (archive / "tmp").iterdir() if p.is_dir()]  # its page PDFs, nobody to remove them
    half = archive / "tmp" / ".paper-1a2b3c.pdf"  # a paper half-copied by write_paper two hours ago
    half.write_bytes(b"%PDF-1.4 cut short")
    two_hours_ago = half.stat().st_mtime - 7200
    os.utime(half, (two_hours_ago, two_hours_ago))
    young = archive / "tmp" / ".paper-4d5e6f.pdf"  # could be another scan's, being written right now
    young.write_bytes(b"%PDF-1.4 in progress")

    assert sohoa(archive, "scan", *batch[:6]).returncode == 0

    assert [p.name for p in (archive / "tmp").iterdir()] == [young.name]
    assert_whole(archive, batch[:6])


class StuckEngine(TesseractEngine):
    """Tesseract stuck on a page past its own deadline (which covers recognition only): never returns."""

    def read(self, image_path, dpi):
        time.sleep(3600)


def test_a_worker_stuck_on_a_page_is_ended_and_its_file_fails_alone(batch, tmp_path):
    with Archive(tmp_path / "archive") as archive:
        scanner = Scanner(archive, StuckEngine(timeout=1), user="clerk-crash", processes=1)
        outcomes = list(scanner.scan([batch[0]]))

    assert [o.status for o in outcomes] == ["failed"]
    assert "OCR stopped twice on this page" in outcomes[0].error and "hung" in outcomes[0].error
    assert outcomes[0].exit_code == 3


def test_an_archive_in_a_users_folder_keeps_the_users_own_tmp_files(batch, tmp_path):
    # --archive pointed at a folder that already has a tmp/ of the user's: only Sohoa's leftovers go.
    folder = tmp_path / "Documents"
    (folder / "tmp" / "photos").mkdir(parents=True)
    notes = folder / "tmp" / "notes.txt"
    notes.write_text("giữ lại", encoding="utf-8")
    two_hours_ago = notes.stat().st_mtime - 7200
    for old in (notes, folder / "tmp" / "photos"):
        os.utime(old, (two_hours_ago, two_hours_ago))

    assert sohoa(folder, "scan", batch[0]).returncode == 0

    assert sorted(p.name for p in (folder / "tmp").iterdir()) == ["notes.txt", "photos"]


def test_a_worker_killed_in_a_multipage_batch_leaves_its_pages_to_be_read_again(batch, tmp_path):
    # A PDF's pages are work images the pipeline owns: they must still be there when a page is retried.
    pages = [Image.open(p) for p in batch[:6]]
    stack = save_multipage(pages, tmp_path / "stack.pdf")
    archive = tmp_path / "archive"

    run = sohoa(archive, "scan", stack, "--jobs", 2, "--json", crash="ocr-worker:3")

    assert run.returncode == 0, run.stderr
    (row,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert (row["status"], row["pages"]) == ("new", 6)
    text = sohoa(archive, "text", row["id"]).stdout
    assert all(f"lô {n * 7 + 3}" in text for n in range(6))
