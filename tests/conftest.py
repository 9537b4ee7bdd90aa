"""Shared fixtures: real files rendered at test time, real Tesseract, real archives in tmp folders."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from digitize.intake import sha256_file
from samples.render import render_page, save, save_multipage

SOHOA = Path(sys.executable).with_name("sohoa")  # the console script, for tests that run it as a process

# Papers of real citizens scanned once per session, for the metadata and reuse commands' tests.
pytest_plugins = ["tests.citizen_papers", "tests.serving", "tests.pki", "tests.postgres", "tests.browser",
                  "tests.redis_server"]

REGISTER_HEADER = ["record_code", "procedure_code", "procedure_name", "agency", "channel", "received_date",
                   "due_date", "applicant_name", "applicant_id", "requires_paper_result", "components"]

RECORDS = [
    ["000.00.53.H48-260105-0001", "1.001193", "Đăng ký khai sinh", "UBND phường Bến Nghé", "1",
     "2026-01-05", "2026-01-08", "Nguyễn Văn An", "079203001234", "true", "Tờ khai đăng ký khai sinh;Giấy chứng sinh"],
    ["000.00.53.H48-260106-0002", "1.001193", "Đăng ký khai sinh", "UBND phường Bến Nghé", "2",
     "06/01/2026", "", "Đặng Thị Hương", "079303004567", "true", "Tờ khai đăng ký khai sinh"],
    ["000.00.12.H48-260210-0001", "1.004227", "Cấp phiếu lý lịch tư pháp", "Sở Tư pháp", "1",
     "2026-02-10", "2026-02-20", "Trần Thị Ngọc Ánh", "001185009876", "false", "Tờ khai yêu cầu cấp phiếu lý lịch tư pháp"],
]


def page_lines(title: str, name: str, extra: list[str] | None = None) -> list[str]:
    return ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", title,
            f"Họ, chữ đệm và tên: {name}", *(extra or [])]


def make_scan(path: Path, lines: list[str], dpi: int = 300, pages: int = 1, **options) -> Path:
    """Render a paper (title line bold) and save it in the format the suffix names."""
    images = [render_page(lines + ([f"Trang {n}"] if pages > 1 else []), dpi=dpi, title_lines=3,
                          size_mm=(210, 150), noise=0.0005, seed=n, **options) for n in range(1, pages + 1)]
    if pages > 1:
        return save_multipage(images, path)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        return save(images[0].convert("RGB"), path, quality=85)
    return save(images[0], path)


def small_batch(folder: Path, count: int = 30, start: int = 0) -> list[Path]:
    """`count` cheap one-line papers (210×100 mm at 200 dpi), each with words of its own."""
    return [save(render_page([f"Giấy tờ số {n} của Nguyễn Văn Bình lô {n * 7 + 3}"], dpi=200, size_mm=(210, 100)),
                 folder / f"giay-{n:03d}.png") for n in range(start, start + count)]


def run_sohoa(archive: Path, *args, crash: str | None = None, disk_full: str | None = None,
              **kwargs) -> subprocess.CompletedProcess:
    """The real `sohoa` in a process of its own; `crash`/`disk_full`: SOHOA_CRASH_AT/SOHOA_DISK_FULL_AT
    (digitize/crashpoints.py)."""
    env = {**os.environ, "SOHOA_ARCHIVE": str(archive), "SOHOA_USER": "clerk-crash"}
    for variable, point in (("SOHOA_CRASH_AT", crash), ("SOHOA_DISK_FULL_AT", disk_full)):
        env.pop(variable, None)
        if point:
            env[variable] = point
    return subprocess.run([str(SOHOA), *map(str, args)], env=env, capture_output=True, text=True, **kwargs)


def assert_whole(archive: Path, sources: list[Path]) -> None:
    """Every source archived exactly once, and the integrity check passes."""
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        shas = [r[0] for r in db.execute("SELECT sha256 FROM papers")]
    db.close()
    assert sorted(shas) == sorted(sha256_file(p) for p in sources)
    assert len(list((archive / "papers").rglob("*.pdf"))) == len(sources)
    run = run_sohoa(archive, "check", "--json")
    report = json.loads(run.stdout)
    assert run.returncode == 0 and report["ok"], report["problems"]
    assert report["papers"] == report["files_verified"] == report["index_entries"] == len(sources)


def write_register(path: Path, rows: list[list[str]] = RECORDS) -> Path:
    """A register CSV with the standard header and `rows`."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(REGISTER_HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def mount():
    """`mount(*options, target)`: a real mount for this test (a tmpfs, a read-only bind), undone after
    it; the test is skipped where this process may not mount (not root, no CAP_SYS_ADMIN)."""
    done: list[Path] = []

    def run(*options: str, target: Path) -> Path:
        if shutil.which("mount") is None:
            pytest.skip("no mount command here")
        target.mkdir(parents=True, exist_ok=True)
        made = subprocess.run(["mount", *map(str, options), str(target)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot mount a file system here: {made.stderr.strip() or made.returncode}")
        done.append(target)
        return target

    yield run
    for target in reversed(done):
        subprocess.run(["umount", "--lazy", str(target)], capture_output=True)


@pytest.fixture
def archive_dir(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "archive"
    monkeypatch.setenv("SOHOA_ARCHIVE", str(root))
    monkeypatch.setenv("SOHOA_USER", "clerk1")
    return root


@pytest.fixture
def register_csv(tmp_path) -> Path:
    return write_register(tmp_path / "register.csv")


class Sohoa:
    """Runs the real `sohoa` command in-process and keeps stdout and stderr apart.

    With `root` (and `user`) every command gets `--archive root` (`--user user`), for archives
    shared by a module's tests; without, the SOHOA_ARCHIVE of the `archive_dir` fixture applies.
    """

    def __init__(self, root: Path | None = None, user: str | None = None):
        self.runner = CliRunner()
        self.root, self.user = root, user

    def __call__(self, *args, expect: int | None = 0):
        if self.root is not None:
            args = (*args, "--archive", self.root, *(("--user", self.user) if self.user else ()))
        result = self.runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args, expect: int | None = 0):
        return json.loads(self(*args, "--json", expect=expect).stdout)

    def jsonl(self, *args, expect: int | None = 0):
        return [json.loads(line) for line in self(*args, "--json", expect=expect).stdout.splitlines()]


@pytest.fixture
def sohoa(archive_dir) -> Sohoa:
    return Sohoa()
