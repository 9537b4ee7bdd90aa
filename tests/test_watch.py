"""`sohoa watch`: the hot folder, run as a real process — files written slowly, a bad file, a crash, a restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import json

from tests.conftest import make_scan, page_lines

SOHOA = Path(sys.executable).with_name("sohoa")
HUONG = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"])
AN = page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Nguyễn Văn An")


def _write_slowly(data: bytes, target: Path, pieces: int = 4, pause: float = 0.2) -> None:
    """As a scanner writes over the network: in pieces, the file incomplete in between."""
    step = len(data) // pieces + 1
    with open(target, "wb") as f:
        for i in range(0, len(data), step):
            f.write(data[i:i + step])
            f.flush()
            time.sleep(pause)


def _wait_for(*paths: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, f"timed out waiting for {paths}"
        time.sleep(0.1)


def _papers(archive: Path) -> int:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return db.execute("SELECT count(*) FROM papers").fetchone()[0]


def test_hot_folder_files_good_and_bad_and_survives_crash_and_restart(archive_dir, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = make_scan(tmp_path / "good.png", HUONG).read_bytes()
    watcher = subprocess.Popen([str(SOHOA), "watch", str(inbox), "--poll", "1", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        (inbox / "broken.pdf").write_text("not a PDF at all\n")
        _write_slowly(good, inbox / "good.png")  # pauses under one poll: never taken half-written
        _wait_for(inbox / "done" / "good.png", inbox / "failed" / "broken.pdf.txt", inbox / "failed" / "broken.pdf")
        assert "is not a PDF" in (inbox / "failed" / "broken.pdf.txt").read_text()
        assert (inbox / "done" / "good.png").read_bytes() == good
        # One watcher per inbox.
        second = subprocess.run([str(SOHOA), "watch", str(inbox), "--once"], capture_output=True, text=True)
        assert second.returncode == 6 and "already watching" in second.stderr
    finally:
        watcher.send_signal(signal.SIGKILL)  # a crash, not a goodbye
        out, _ = watcher.communicate(timeout=30)
    rows = [json.loads(line) for line in out.splitlines()]
    assert {(r["source_name"], r["status"], r["moved_to"]) for r in rows} == {
        ("good.png", "new", "done/good.png"), ("broken.pdf", "failed", "failed/broken.pdf")}
    assert _papers(archive_dir) == 1

    # While it was down a paper arrived; the next run dies right after committing it, before filing it.
    make_scan(inbox / "next.png", AN)
    crashed = subprocess.run([str(SOHOA), "watch", str(inbox), "--once", "--poll", "0.2"], capture_output=True,
                             text=True, env={**os.environ, "SOHOA_CRASH_AT": "catalog-commit"}, timeout=120)
    assert crashed.returncode == -signal.SIGKILL
    assert (inbox / "next.png").exists() and _papers(archive_dir) == 2

    resumed = subprocess.run([str(SOHOA), "watch", str(inbox), "--once", "--poll", "0.2", "--json"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    (row,) = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert (row["source_name"], row["status"], row["moved_to"]) == ("next.png", "skipped", "done/next.png")
    assert "already archived" in row["note"]
    assert not (inbox / "next.png").exists() and _papers(archive_dir) == 2
    assert sorted(p.name for p in inbox.iterdir() if not p.name.startswith(".")) == ["done", "failed"]


def test_watch_reads_record_codes_and_names_a_missing_inbox(sohoa, register_csv, tmp_path):
    from tests.pages import page, receipt
    from samples.render import save_multipage

    sohoa("records", "import", register_csv)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    code = "000.00.53.H48-260106-0002"
    save_multipage([receipt(code), page(AN)], inbox / "with-receipt.pdf")

    result = sohoa("watch", inbox, "--once", "--poll", "0.2", "--record-from-code")

    assert f"→ {code} / Tờ khai đăng ký khai sinh" in result.stdout
    assert "with-receipt.pdf → done/with-receipt.pdf" in result.stdout
    assert "no such folder" in sohoa("watch", tmp_path / "nowhere", "--once", expect=2).stderr


def test_a_bad_file_with_the_longest_name_is_filed_under_failed_with_its_reason(sohoa, archive_dir, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = ("Tờ khai đăng ký khai sinh Đặng Thị Hương " * 7).encode()[:251].decode("utf-8", "ignore") + ".pdf"
    (inbox / name).write_text("không phải bản quét\n", encoding="utf-8")
    (inbox / "failed").mkdir()
    (inbox / "failed" / name).write_text("an older one, filed before\n", encoding="utf-8")

    result = sohoa("watch", inbox, "--once", "--poll", "0.2", "--json", expect=None)

    assert result.exit_code == 0 and "Traceback" not in result.stderr, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    moved = inbox / row["moved_to"]
    assert row["status"] == "failed" and moved.parent.name == "failed" and moved.read_text(encoding="utf-8") == (
        "không phải bản quét\n")
    assert len(moved.name.encode()) + len(".txt") <= 255 and moved.suffix == ".pdf"
    assert row["error"] in moved.with_name(moved.name + ".txt").read_text(encoding="utf-8")
    assert not (inbox / name).exists()
