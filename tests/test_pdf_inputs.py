"""PDFs as office scanners and software write them, through `sohoa scan`: JBIG2 pages, text layers of
junk, page boxes of odd sizes, encryption by qpdf. Every file is made here, at test time."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import make_scan, page_lines

HUONG = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"])


def _only_paper(sohoa, path):
    (row,) = sohoa.jsonl("scan", path)
    assert row["status"] == "new", row["error"]
    return row, sohoa.json("show", row["id"]), sohoa("text", row["id"]).stdout


@pytest.mark.parametrize("encryption", [["256"], ["128", "--use-aes=y"], ["--allow-weak-crypto", "128", "--use-aes=n"]],
                         ids=["aes-256", "aes-128", "rc4-128"])
def test_pdf_with_a_user_password_gets_the_decrypt_advice(sohoa, tmp_path, encryption):
    scan = make_scan(tmp_path / "scan.pdf", HUONG, dpi=200)
    locked = tmp_path / "locked.pdf"
    weak = [e for e in encryption if e.startswith("--allow")]
    subprocess.run(["qpdf", *weak, "--encrypt", "mat-khau", "chu-so-huu",
                    *[e for e in encryption if e not in weak], "--", str(scan), str(locked)], check=True)

    result = sohoa("scan", locked, expect=4)

    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sohoa: {locked}: is a password-protected PDF") and "qpdf --decrypt" in line


def test_aes_256_pdf_with_only_an_owner_password_is_read(sohoa, tmp_path):
    scan = make_scan(tmp_path / "scan.pdf", HUONG, dpi=200)
    restricted = tmp_path / "restricted.pdf"
    subprocess.run(["qpdf", "--encrypt", "", "chu-so-huu", "256", "--", str(scan), str(restricted)], check=True)

    _, shown, text = _only_paper(sohoa, restricted)

    assert shown["pages"][0]["dpi"] == 200 and "Đặng Thị Hương" in text
