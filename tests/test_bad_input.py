"""Bad input, nothing lost: every kind of broken file fails alone, with one line naming it and the
problem, its exit code and a copy in quarantine; the rest of the batch is archived.

The corpus is made at test time: zero-byte, truncated PDF/JPEG/multi-page TIFF, text named .pdf,
encrypted PDF, decompression bombs (PNG and PDF), a 20,000 × 20,000 image, a PDF with a broken xref
that a repair reads, names with Vietnamese letters, spaces and a newline, a folder with a symlink loop.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from digitize.intake import count_pages
from digitize.progress import Progress
from tests.conftest import make_scan, page_lines
from tests.pdfs import pdf_bomb, png_bomb

LINES = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương")


def broken_xref_pdf(path: Path) -> Path:
    """A good scan PDF whose cross-reference table points at the wrong offsets."""
    make_scan(path, LINES, dpi=200)
    data = path.read_bytes()
    xref = data.rindex(b"\nxref") + 1
    table = re.sub(rb"\d{10} 00000 n", lambda m: b"%010d 00000 n" % (int(m[0][:10]) + 7), data[xref:])
    path.write_bytes(data[:xref] + table)
    return path


def corpus(folder: Path) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Write the corpus; returns {bad file: (exit code, words its message must hold)} and the good files."""
    folder.mkdir(parents=True)
    (folder / "empty.png").write_bytes(b"")
    pdf = make_scan(folder / "stack.pdf", LINES, dpi=150, pages=2)
    (folder / "truncated.pdf").write_bytes(pdf.read_bytes()[: pdf.stat().st_size * 3 // 5])
    jpg = make_scan(folder / "whole.jpg", LINES, dpi=200)
    (folder / "truncated.jpg").write_bytes(jpg.read_bytes()[: jpg.stat().st_size // 3])
    tif = make_scan(folder / "stack.tif", LINES, dpi=150, pages=3)
    (folder / "truncated.tif").write_bytes(tif.read_bytes()[: tif.stat().st_size // 2])
    for whole in (pdf, jpg, tif):
        whole.unlink()
    (folder / "notes.pdf").write_text("biên bản họp, không phải bản quét\n", encoding="utf-8")
    locked = PdfWriter()
    locked.add_blank_page(595, 842)
    locked.encrypt("mật-khẩu", algorithm="RC4-128")
    with open(folder / "locked.pdf", "wb") as f:
        locked.write(f)
    png_bomb(folder / "bomb.png", 30_000)
    pdf_bomb(folder / "bomb.pdf", 40_000)
    Image.new("1", (20_000, 20_000), 1).save(folder / "huge.tif", compression="group4", dpi=(300, 300))
    bad = {
        "empty.png": (3, "0 bytes"), "truncated.pdf": (3, "PDF"), "truncated.jpg": (3, "truncated"),
        "truncated.tif": (3, "damaged"), "notes.pdf": (3, "not a PDF"), "locked.pdf": (4, "qpdf --decrypt"),
        "bomb.png": (3, "megapixels"), "bomb.pdf": (3, "decompression bomb"), "huge.tif": (3, "20000×20000"),
    }
    broken_xref_pdf(folder / "broken-xref.pdf")
    make_scan(folder / "Giấy khai sinh Nguyễn Văn Ân.png", page_lines("GIẤY KHAI SINH", "Nguyễn Văn Ân"), dpi=200)
    make_scan(folder / "to khai\nhai dong.png", page_lines("TỜ KHAI", "Trần Thị Ngọc Ánh"), dpi=200)
    loop = folder / "vòng lặp"
    loop.mkdir()
    make_scan(loop / "trong vòng.png", page_lines("GIẤY CHỨNG NHẬN", "Lê Minh Tuấn"), dpi=200)
    (loop / "lại đây").symlink_to("..", target_is_directory=True)
    (loop / "chính nó").symlink_to(".", target_is_directory=True)
    good = ["broken-xref.pdf", "Giấy khai sinh Nguyễn Văn Ân.png", "to khai\nhai dong.png", "trong vòng.png"]
    return bad, good


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad") / "batch"
    bad, good = corpus(folder)
    return folder, bad, good


def test_each_bad_file_fails_alone_and_the_rest_is_archived(sohoa, archive_dir, made):
    folder, bad, good = made

    result = sohoa("scan", folder, "--json", expect=3)  # several kinds of failure: the input-error code

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {r["source_name"]: r for r in rows}
    assert len(rows) == len(by_name) == len(bad) + len(good)  # each file once, the loop not followed
    for name in good:
        assert by_name[name]["status"] == "new", (name, by_name[name]["error"])
    for name, (code, words) in bad.items():
        row = by_name[name]
        assert (row["status"], row["exit_code"]) == ("failed", code), (name, row["error"])
        assert words in row["error"], (name, row["error"])
    lines = result.stderr.splitlines()
    assert len(lines) == len(bad)
    for name in bad:
        (line,) = [x for x in lines if x.startswith(f"sohoa: {folder / name}: ")]
        assert by_name[name]["error"] in line
    quarantine = archive_dir / "quarantine"
    for name in bad:
        (copy,) = [p for p in quarantine.iterdir() if p.name.endswith("-" + name)]
        assert copy.read_bytes() == (folder / name).read_bytes()
        assert by_name[name]["error"] in copy.with_name(copy.name + ".txt").read_text(encoding="utf-8")
    assert sohoa.json("check")["ok"]
    hits = sohoa.json("search", "Đặng", "Thị", "Hương")
    assert [h["source_name"] for h in hits] == ["broken-xref.pdf"]  # the repaired PDF is searchable


@pytest.mark.parametrize("name", ["empty.png", "truncated.pdf", "truncated.jpg", "truncated.tif", "notes.pdf",
                                  "locked.pdf", "bomb.png", "bomb.pdf", "huge.tif"])
def test_a_bad_file_alone_gets_its_own_exit_code_and_one_line(sohoa, made, name):
    folder, bad, _ = made
    code, words = bad[name]

    result = sohoa("scan", folder / name, expect=code)

    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sohoa: {folder / name}: ") and words in line


def test_names_with_newlines_print_on_one_line(sohoa, made):
    folder, _, _ = made
    out = sohoa("scan", folder / "to khai\nhai dong.png").stdout
    assert out.splitlines()[0].startswith("new ") and "to khai\\nhai dong.png" in out.splitlines()[0]


def test_a_symlink_loop_given_directly_is_walked_once(sohoa, made):
    folder, _, _ = made
    rows = sohoa.jsonl("scan", folder / "vòng lặp" / "chính nó")
    assert [(r["source_name"], r["status"]) for r in rows] == [("trong vòng.png", "new")]
    assert os.path.islink(folder / "vòng lặp" / "chính nó")


def test_the_console_script_prints_only_its_own_lines(archive_dir, made):
    # pypdf logs each object it repairs in the broken xref, Pillow warns of the truncated TIFF's EXIF;
    # the real command (no test logging handlers) must keep both off the clerk's screen.
    folder, bad, _ = made
    files = [folder / "broken-xref.pdf", folder / "truncated.tif"]

    run = subprocess.run([str(Path(sys.executable).with_name("sohoa")), "scan", *map(str, files)],
                         capture_output=True, text=True)

    assert run.returncode == 3
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"sohoa: {folder / 'truncated.tif'}: ") and bad["truncated.tif"][1] in line


def _named(stem: str, size: int, suffix: str = ".png") -> str:
    """A file name of exactly `size` bytes (UTF-8): `stem` repeated, padded."""
    room = size - len(suffix.encode())
    name = ""
    while len((name + stem).encode()) <= room:
        name += stem
    return name + "x" * (room - len(name.encode())) + suffix


def test_bad_files_with_the_longest_names_are_set_aside_and_the_batch_goes_on(sohoa, archive_dir, tmp_path):
    # 236-255 bytes: a name the file system takes, but not with "20260101-120000-" before it and
    # ".txt" after; Vietnamese letters take two or three bytes each.
    batch = tmp_path / "batch"
    good = [make_scan(batch / f"a-{n}.png", page_lines("GIẤY KHAI SINH", f"Nguyễn Văn Ân {n}"), dpi=200)
            for n in (1, 2)]
    bad = [batch / _named("Giấy khai sinh Nguyễn Văn Ân ", size) for size in (236, 255)]
    for cut, path in enumerate(bad, 3):
        path.write_bytes(good[0].read_bytes()[:cut * 1000])

    result = sohoa("scan", batch, "--json", expect=3)

    rows = {r["source_name"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert [rows[p.name]["status"] for p in good + bad] == ["new", "new", "failed", "failed"]
    assert len(result.stderr.splitlines()) == 2 and "Traceback" not in result.stderr
    copies = sorted((p for p in (archive_dir / "quarantine").iterdir() if p.suffix != ".txt"),
                    key=lambda p: p.stat().st_size)  # as the bad files are, cut shorter to longer
    assert [c.read_bytes() for c in copies] == [p.read_bytes() for p in bad]
    for copy, original in zip(copies, bad):
        reasons = copy.with_name(copy.name + ".txt")
        assert len(reasons.name.encode()) <= 255 and copy.suffix == ".png"
        assert rows[original.name]["error"] in reasons.read_text(encoding="utf-8")
    assert sohoa.json("check")["ok"]  # the papers archived before are indexed
    assert len(sohoa.json("search", "Nguyễn", "Văn", "Ân")) == 2


def test_a_second_scan_of_a_batch_does_not_set_its_bad_files_aside_again(sohoa, archive_dir, made, tmp_path):
    folder, bad, _ = made
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("empty.png", "notes.pdf", "truncated.jpg"):
        shutil.copy(folder / name, batch / name)
    make_scan(batch / "good.png", LINES, dpi=200)
    first = sohoa("scan", batch, "--json", expect=3)
    set_aside = sorted(p.name for p in (archive_dir / "quarantine").iterdir())
    shutil.copy(batch / "notes.pdf", tmp_path / "notes again.pdf")  # the same bytes, another name

    again = sohoa("scan", batch, "--json", expect=3)
    renamed = sohoa("scan", tmp_path / "notes again.pdf", expect=3)

    assert [p.name for p in sorted((archive_dir / "quarantine").iterdir())] == set_aside  # nothing copied twice
    assert again.stderr == first.stderr  # and each failure still reported
    assert [json.loads(x)["status"] for x in again.stdout.splitlines()] == ["failed", "skipped", "failed", "failed"]
    (reasons,) = [p for p in (archive_dir / "quarantine").iterdir() if p.name.endswith("-notes.pdf.txt")]
    text = reasons.read_text(encoding="utf-8")
    assert text.count(str(batch / "notes.pdf")) == 2 and renamed.stderr.splitlines()[0].removeprefix("sohoa: ") in text


def test_a_symlink_named_on_the_command_line_is_refused_and_its_target_never_copied(sohoa, archive_dir, tmp_path):
    secret = make_scan(tmp_path / "private" / "cccd-cua-nguoi-khac.png", page_lines("CĂN CƯỚC", "Lê Thị Mai"), dpi=200)
    shadow = tmp_path / "private" / "shadow"
    shadow.write_text("root:$6$hash:19000:0:99999:7:::\n")
    for target in (secret, shadow):
        target.chmod(0o640)
    inbox = tmp_path / "inbox"
    make_scan(inbox / "good.png", LINES, dpi=200)
    (inbox / "scan.png").symlink_to(secret)
    (inbox / "shadow.pdf").symlink_to(shadow)

    result = sohoa("scan", *sorted(inbox.iterdir()), "--json", expect=3)  # as a shell's inbox/* names them

    rows = {r["source_name"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert {n: r["status"] for n, r in rows.items()} == {"good.png": "new", "scan.png": "failed", "shadow.pdf": "failed"}
    lines = result.stderr.splitlines()
    assert lines == [f"sohoa: {inbox / n}: {rows[n]['error']}" for n in ("scan.png", "shadow.pdf")]
    assert all("symbolic link" in rows[n]["error"] for n in ("scan.png", "shadow.pdf"))
    stored = [p.read_bytes() for p in archive_dir.rglob("*") if p.is_file()]
    assert secret.read_bytes() not in stored and not any(b"$6$hash" in data for data in stored)
    assert sorted(p.suffix for p in (archive_dir / "quarantine").iterdir()) == [".txt", ".txt"]  # the reasons only


def test_archive_files_are_not_readable_by_other_local_users(sohoa, archive_dir, tmp_path):
    make_scan(tmp_path / "good.png", LINES, dpi=200)
    (tmp_path / "empty.png").write_bytes(b"")
    sohoa("scan", tmp_path / "good.png", tmp_path / "empty.png", expect=3)

    modes = {p: stat.S_IMODE(p.lstat().st_mode) for p in [archive_dir, *archive_dir.rglob("*")]}
    assert {p.name: oct(m) for p, m in modes.items() if m & 0o007} == {}
    (paper,) = (archive_dir / "papers").rglob("*.pdf")
    umask = os.umask(0)
    os.umask(umask)
    assert modes[paper] == 0o640 and modes[paper.parent] == 0o770 & ~(umask | 0o007)  # 0750 under umask 022


def test_progress_never_reads_more_pages_done_than_in_all(made):
    folder, _, _ = made
    assert count_pages(folder / "broken-xref.pdf") == 0  # pypdf cannot count it; poppler reads its page
    out = io.StringIO()
    with Progress(count_pages(folder / "broken-xref.pdf"), stream=out, every=0) as progress:
        progress.page()
    assert out.getvalue().startswith("progress: 1/1 pages, ")
