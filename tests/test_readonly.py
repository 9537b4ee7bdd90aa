"""A read-only archive (a read-only mount, or a user without write permission) is read as it is:
reading commands answer exactly as on the writable archive, in each search engine; writing commands,
and those that must log what they show, stop with one line and exit 9 — never "the catalog is
damaged, restore it from a backup", which could make a clerk overwrite a healthy catalog.

Permission bits do not stop root, who runs these tests here: as root the archive is seen through a
read-only bind mount; as any other user, through `chmod -R a-w`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import RECORDS, Sohoa, make_scan, page_lines, write_register

AN_CODE = RECORDS[0][0]
READ_ONLY = "the archive is read-only and"


@pytest.fixture(scope="module", params=["whoosh", "tantivy"])
def archive(tmp_path_factory, request) -> Path:
    base = tmp_path_factory.mktemp("readonly")
    cli = Sohoa(base / "archive", "clerk-ro")
    cli("init", "--engine", request.param)
    cli("records", "import", write_register(base / "register.csv"))
    cli("scan", make_scan(base / "chung-sinh.png", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An")),
        "--record", AN_CODE, "--component", "Giấy chứng sinh")
    cli("scan", make_scan(base / "mo.png", ["Giấy tờ in mờ"], dpi=100))  # a page to rescan
    return base / "archive"


@contextmanager
def read_only(root: Path, target: Path, mount):
    """`root` as a user who cannot write it sees it."""
    if os.geteuid() == 0:
        yield mount("--bind", "-o", "ro", root, target=target)
        return
    subprocess.run(["chmod", "-R", "a-w", str(root)], check=True)
    try:
        yield root
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(root)], check=True)


@pytest.fixture
def view(archive, tmp_path, mount):
    with read_only(archive, tmp_path / "read-only", mount) as seen:
        yield seen


def _state(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


READING = [("search", "nguyen", "van", "an", "--json"), ("show", 1, "--json"), ("papers", "--holder-id",
           RECORDS[0][8], "--json"), ("records", "list", "--json"), ("records", "show", AN_CODE, "--json"),
           ("coverage", "--json"), ("rescan", "--json"), ("audit", "--json"), ("check", "--json")]


@pytest.mark.parametrize("command", READING, ids=lambda c: " ".join(map(str, c[:2])))
def test_reading_commands_answer_as_on_the_writable_archive(archive, view, command):
    before = _state(archive)
    seen = Sohoa(view, "clerk-ro")(*command)

    assert seen.stderr == ""
    mine = Sohoa(archive, "clerk-ro")(*command).stdout
    assert json.loads(seen.stdout.replace(str(view), str(archive))) == json.loads(mine)
    assert _state(archive) == before


WRITING = [("scan", "chung-sinh.png"), ("records", "import", "register.csv"), ("edit", 1, "--number", "12/KS"),
           ("attach", 1, "--record", AN_CODE, "--result"), ("rescan", "--accept", 2, "--reason", "bản gốc mờ"),
           ("text", 1), ("search", "nguyen", "--show-ids"), ("reindex",), ("check", "--repair"), ("init",),
           ("backup", "backup.tar"), ("watch", ".", "--once")]


@pytest.mark.parametrize("command", WRITING, ids=lambda c: " ".join(map(str, c[:2])))
def test_writing_commands_say_the_archive_is_read_only_and_touch_nothing(archive, view, command):
    base = archive.parent
    args = [base / a if isinstance(a, str) and (base / a).exists() or a == "backup.tar" else a for a in command]
    before = _state(archive)

    refused = Sohoa(view, "clerk-ro")(*args, expect=9)

    (line,) = refused.stderr.splitlines()
    assert line.startswith(f"sohoa: {view}: {READ_ONLY}") and "damaged" not in line, line
    assert refused.stdout == ""
    assert _state(archive) == before
    assert not (base / "backup.tar").exists()


@contextmanager
def in_use(archive: Path, tmp_path: Path):
    """A copy of the archive with a writer holding its catalog open and a record committed since, its
    commit still in the -wal (SQLite moves it into the catalog file when the last connection closes)."""
    live = shutil.copytree(archive, tmp_path / "live")
    code = "000.00.53.H48-260301-0007"
    writer = sqlite3.connect(live / "catalog.sqlite")
    try:
        writer.execute("SELECT count(*) FROM papers").fetchone()
        Sohoa(live, "clerk-ro")("records", "import", write_register(tmp_path / "more.csv", [[code, *RECORDS[0][1:]]]))
        assert (live / "catalog.sqlite-wal").stat().st_size
        yield live, code
    finally:
        writer.close()


def test_a_read_only_view_of_an_archive_in_use_reads_its_latest_commits(archive, tmp_path, mount):
    with in_use(archive, tmp_path) as (live, code), read_only(live, tmp_path / "view", mount) as seen:
        codes = [r["record_code"] for r in Sohoa(seen, "clerk-ro").json("records", "list")]
    assert code in codes and len(codes) == len(RECORDS) + 1


def test_a_read_only_copy_taken_mid_write_is_not_read_stale(archive, tmp_path, mount):
    # Copied with its -wal but not the -shm SQLite needs to read it: the catalog file alone misses the
    # last commits, so it is refused (one line, exit 9), neither read stale nor called damaged.
    with in_use(archive, tmp_path) as (live, _):
        copy = shutil.copytree(live, tmp_path / "copy", ignore=shutil.ignore_patterns("*-shm"))
    with read_only(copy, tmp_path / "view", mount) as seen:
        refused = Sohoa(seen, "clerk-ro")("records", "list", expect=9)
    assert refused.stderr == (f"sohoa: {seen}: {READ_ONLY} its catalog has changes not yet written into it "
                              "(catalog.sqlite-wal); mount it read-write (or let this user write to it) and run "
                              "the command again\n")
