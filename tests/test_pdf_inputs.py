"""PDFs as office scanners and software write them, through `sohoa scan`: JBIG2 pages, text layers of
junk, page boxes of odd sizes, encryption by qpdf. Every file is made here, at test time."""

from __future__ import annotations

import subprocess
import zlib

import pytest
from PIL import Image
from pypdf import PdfWriter

from samples.render import render_page
from tests.conftest import make_scan, page_lines
from tests.pdfs import image_pdf, jbig2, junk_text_pdf

HUONG = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"])


def _page(dpi=200) -> Image.Image:
    return render_page(HUONG, dpi=dpi, title_lines=3, size_mm=(180, 100))


def _only_paper(sohoa, path):
    (row,) = sohoa.jsonl("scan", path)
    assert row["status"] == "new", row["error"]
    return row, sohoa.json("show", row["id"]), sohoa("text", row["id"]).stdout


def test_jbig2_pdf_is_archived_and_searchable(sohoa, tmp_path):
    page = _page()
    pdf = image_pdf(tmp_path / "may-quet.pdf", [(jbig2(page), page.width, page.height, "/JBIG2Decode")], bits=1)

    row, shown, text = _only_paper(sohoa, pdf)

    assert [(p["width"], p["height"], p["dpi"]) for p in shown["pages"]] == [(page.width, page.height, 200)]
    assert "Đặng Thị Hương" in text and "Từ Dũ" in text
    assert [h["id"] for h in sohoa.json("search", "dang", "thi", "huong")] == [row["id"]]


def test_junk_text_layer_is_replaced_by_what_the_page_shows(sohoa, tmp_path):
    pdf = junk_text_pdf(tmp_path / "bad-font.pdf", ["BIRTH CERTIFICATE", "Full name: Nguyen Van An",
                                                     "Place of birth: Tu Du Hospital"])

    row, shown, text = _only_paper(sohoa, pdf)

    assert [p["text_source"] for p in shown["pages"]] == ["ocr"]
    assert "Nguyen Van An" in text and "Hospital" in text
    assert "Slzdjs" not in text  # the font map's junk for "Nguyen"
    assert [h["id"] for h in sohoa.json("search", "hospital")] == [row["id"]]


def test_real_text_layer_is_still_kept_as_it_is(sohoa, tmp_path):
    image = make_scan(tmp_path / "page.png", HUONG)
    subprocess.run(["tesseract", str(image), str(tmp_path / "searchable"), "-l", "vie", "pdf"],
                   check=True, capture_output=True)

    _, shown, text = _only_paper(sohoa, tmp_path / "searchable.pdf")

    assert [(p["text_source"], p["dpi"]) for p in shown["pages"]] == [("text-layer", 0)]  # no OCR
    assert "Đặng Thị Hương" in text


def test_full_page_image_in_a_one_point_page_box_is_read(sohoa, tmp_path):
    page = _page()
    pdf = image_pdf(tmp_path / "tiny-box.pdf", [(zlib.compress(page.tobytes()), page.width, page.height,
                                                  "/FlateDecode")], size_pt=(1, 1))

    _, shown, text = _only_paper(sohoa, pdf)

    assert "Đặng Thị Hương" in text  # read at 300 dpi, not at the 1 pt box's 183,600
    assert shown["pages"][0]["dpi"] == 300


def test_a_page_too_large_to_read_fails_its_file_naming_the_page(sohoa, archive_dir, tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(14400, 14400)
    path = tmp_path / "ban-ve.pdf"
    writer.write(path)

    result = sohoa("scan", path, expect=3)

    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sohoa: {path}: page 2 is 508×508 cm, too large to read as a paper")
    (copy,) = [p for p in (archive_dir / "quarantine").iterdir() if p.name.endswith("-ban-ve.pdf")]
    assert copy.read_bytes() == path.read_bytes()


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
