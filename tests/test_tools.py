"""The wrappers around external programs (digitize/tools/): the real programs, run on real files;
what goes wrong comes back as an error kind with the program's words on one line."""

from __future__ import annotations

import pytest
from PIL import Image

from digitize.errors import InputError, MissingDependency
from digitize.tools import poppler, qpdf, zxing
from tests.pdfs import vector_pdf


def test_poppler_reads_a_pdf_s_pages_and_renders_one(tmp_path):
    pdf = vector_pdf(tmp_path / "form.pdf", (595, 842))
    assert poppler.page_count(pdf) == 1
    assert poppler.page_size(pdf, 1) == (595.0, 842.0)
    assert poppler.page_images(pdf, 1) == []  # drawn, not scanned
    png = poppler.render_page(pdf, 1, 72.0, tmp_path / "page")
    with Image.open(png) as image:
        assert image.size == (595, 842)


def test_a_program_that_fails_says_why_on_one_line(tmp_path):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\nnot really\n")
    with pytest.raises(InputError) as info:
        poppler.render_page(junk, 1, 72.0, tmp_path / "page")
    assert "\n" not in str(info.value) and str(info.value)
    out = tmp_path / "out.pdf"
    with pytest.raises(InputError) as info:
        qpdf.merge_pages([(junk, 1)], out)
    assert "junk.pdf" in str(info.value) and "\n" not in str(info.value)
    assert not out.exists()


def test_qpdf_merges_pages_of_several_files(tmp_path):
    a, b = vector_pdf(tmp_path / "a.pdf", (595, 842)), vector_pdf(tmp_path / "b.pdf", (842, 595))
    out = tmp_path / "out.pdf"
    qpdf.merge_pages([(b, 1), (a, 1)], out)
    assert poppler.page_count(out) == 2 and poppler.page_size(out, 1) == (842.0, 595.0)


def test_a_program_not_installed_is_a_missing_dependency(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no program is found
    assert not qpdf.available() and not poppler.available()
    with pytest.raises(MissingDependency, match="apt-get install poppler-utils"):
        poppler.page_count(tmp_path / "any.pdf")
    with pytest.raises(MissingDependency, match="apt-get install qpdf"):
        qpdf.merge_pages([(tmp_path / "any.pdf", 1)], tmp_path / "out.pdf")


def test_zxing_gives_back_every_code_with_its_format():
    import zxingcpp  # only to draw the barcode the wrapper must read back

    bars = zxingcpp.create_barcode("not a record code", zxingcpp.BarcodeFormat.Code128)
    sheet = Image.new("L", (1200, 400), 255)
    sheet.paste(Image.fromarray(bars.to_image(scale=4)).convert("L"), (100, 100))
    assert [(b.text, b.format) for b in zxing.read_barcodes(sheet)] == [("not a record code", "Code128")]
