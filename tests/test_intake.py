"""`digitize.intake`: what is a scan, which files a folder holds, and each format's pages as OCR-ready images."""

from __future__ import annotations

import os
import subprocess
import zlib
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from digitize import textlayer
from digitize.errors import EncryptedPDF, InputError
from digitize.intake import DEFAULT_DPI, MAX_PIXELS, RASTER_DPI, RASTER_MAX_PIXELS, find_inputs, read_pages, sniff
from samples.render import render_page
from tests.conftest import make_scan, page_lines
from tests.pdfs import (add_page, deflated_rows, image_pdf, image_with_hidden_text_pdf, image_xobject, jbig2,
                        junk_text_pdf, vector_pdf, write)

HUONG = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"])
SMALL_MM = (100, 60)  # small pages where the content of the page does not matter


@pytest.fixture
def workdir(tmp_path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def _dark_fraction(image: Image.Image) -> float:
    histogram = image.convert("L").histogram()
    return sum(histogram[:128]) / (image.width * image.height)


# -- sniff ---------------------------------------------------------------------------------
def test_sniff_goes_by_content_not_name(tmp_path):
    png = make_scan(tmp_path / "a.png", HUONG, dpi=100)
    disguised = tmp_path / "really-a-png.pdf"
    disguised.write_bytes(png.read_bytes())
    jpeg = make_scan(tmp_path / "b.jpg", HUONG, dpi=100)
    jpeg_as_png = tmp_path / "b.png"
    jpeg_as_png.write_bytes(jpeg.read_bytes())
    tiff = make_scan(tmp_path / "c.tif", HUONG, dpi=100)
    pdf = make_scan(tmp_path / "d.pdf", HUONG, dpi=100)

    assert sniff(disguised) == "png"
    assert sniff(jpeg_as_png) == "jpeg"
    assert sniff(tiff) == "tiff"
    assert sniff(pdf) == "pdf"


def test_sniff_refuses_a_text_file_named_pdf(tmp_path):
    notes = tmp_path / "notes.pdf"
    notes.write_text("Biên bản giao nhận hồ sơ, not a PDF\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not a PDF, TIFF, JPEG or PNG scan") as info:
        sniff(notes)
    assert info.value.exit_code == 3


def test_sniff_refuses_an_empty_file(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="0 bytes"):
        sniff(empty)


def test_sniff_refuses_a_missing_file_and_a_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        sniff(tmp_path / "gone.pdf")
    with pytest.raises(InputError, match="folder"):
        sniff(tmp_path)


# -- find_inputs ---------------------------------------------------------------------------
def test_find_inputs_recurses_sorted_and_skips_hidden_and_other_files(tmp_path):
    batch = tmp_path / "batch"
    for name in ["b.png", "a.PDF", "c.tiff", "notes.txt", "scan.docx", ".hidden.png",
                 "sub/z.jpg", "sub/a.jpeg", "sub/deeper/x.tif", ".git/objects/y.png", ".cache/w.pdf",
                 "Ảnh/hồ sơ.png"]:
        (batch / name).parent.mkdir(parents=True, exist_ok=True)
        (batch / name).write_bytes(b"x")

    found = [p.relative_to(batch).as_posix() for p in find_inputs([batch])]

    assert found == ["a.PDF", "b.png", "c.tiff", "sub/a.jpeg", "sub/z.jpg", "sub/deeper/x.tif", "Ảnh/hồ sơ.png"]


def test_find_inputs_does_not_follow_a_symlink_loop(tmp_path):
    batch = tmp_path / "batch"
    (batch / "sub").mkdir(parents=True)
    (batch / "one.png").write_bytes(b"x")
    (batch / "sub" / "two.pdf").write_bytes(b"x")
    os.symlink(".", batch / "loop")
    os.symlink("..", batch / "sub" / "up")
    os.symlink(batch / "one.png", batch / "sub" / "link-to-one.png")

    found = list(find_inputs([batch]))

    assert found == [batch / "one.png", batch / "sub" / "two.pdf"]


def test_find_inputs_keeps_named_files_as_given_in_order(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "in-folder.png").write_bytes(b"x")
    named = [tmp_path / "z.txt", tmp_path / ".hidden.png", tmp_path / "not-there.pdf"]
    (tmp_path / "z.txt").write_text("x")
    (tmp_path / ".hidden.png").write_bytes(b"x")

    found = list(find_inputs([named[0], batch, named[1], str(named[2])]))

    # Named files are the user's choice: kept even when hidden, missing or oddly named (sniff decides later).
    assert found == [named[0], batch / "in-folder.png", named[1], named[2]]
    assert all(isinstance(p, Path) for p in found)


# -- images --------------------------------------------------------------------------------
def test_png_is_passed_as_it_is_with_its_dpi(tmp_path, workdir):
    png = make_scan(tmp_path / "giay-chung-sinh.png", HUONG, dpi=200)

    (page,) = read_pages(png, workdir)

    assert page.image_path == png
    assert (page.number, page.dpi, page.mode, page.text) == (1, 200, "L", None)
    with Image.open(png) as image:
        assert (page.width, page.height) == image.size
    assert list(workdir.iterdir()) == []  # nothing converted


def test_png_without_dpi_is_assumed_300(tmp_path, workdir):
    png = tmp_path / "no-dpi.png"
    render_page(HUONG, dpi=150, size_mm=SMALL_MM).save(png)  # plain save: no pHYs chunk
    with Image.open(png) as image:
        assert "dpi" not in image.info

    (page,) = read_pages(png, workdir)

    assert page.dpi == DEFAULT_DPI == 300
    assert page.image_path == png


def test_jpeg_is_passed_as_it_is(tmp_path, workdir):
    jpeg = make_scan(tmp_path / "to-khai.jpg", HUONG, dpi=200)

    (page,) = read_pages(jpeg, workdir)

    assert page.image_path == jpeg and page.dpi == 200 and page.mode == "RGB"
    assert list(workdir.iterdir()) == []


def test_multipage_tiff_becomes_lossless_pngs_in_workdir(tmp_path, workdir):
    tiff = make_scan(tmp_path / "stack.tif", HUONG, dpi=200, pages=2)

    pages = list(read_pages(tiff, workdir))

    assert [p.number for p in pages] == [1, 2]
    assert [p.image_path for p in pages] == [workdir / "page-0001.png", workdir / "page-0002.png"]
    with Image.open(tiff) as original:
        for page in pages:
            original.seek(page.number - 1)
            with Image.open(page.image_path) as converted:
                assert converted.format == "PNG"
                assert round(converted.info["dpi"][0]) == page.dpi == 200
                assert converted.size == original.size == (page.width, page.height)
                assert converted.tobytes() == original.tobytes()  # lossless, and each its own frame
    with Image.open(pages[0].image_path) as first, Image.open(pages[1].image_path) as second:
        assert first.tobytes() != second.tobytes()  # "Trang 1" / "Trang 2"


def test_transparent_png_keeps_a_white_page(tmp_path, workdir):
    # A PNG exported with a transparent background and opaque black ink: the paper is white.
    ink = render_page(HUONG, dpi=150, size_mm=SMALL_MM)
    rgba = Image.new("RGBA", ink.size, (0, 0, 0, 0))
    rgba.putalpha(ink.point(lambda v: 255 - v))
    path = tmp_path / "transparent.png"
    rgba.save(path, dpi=(150, 150))

    (page,) = read_pages(path, workdir)

    with Image.open(page.image_path) as converted:
        assert converted.convert("L").getpixel((0, 0)) > 200, "transparent background turned black"
        assert _dark_fraction(converted) == pytest.approx(_dark_fraction(ink), rel=0.5)


def test_16_bit_greyscale_png_keeps_its_ink(tmp_path, workdir):
    # A 16-bit grey scan: ink around 2000, paper around 60000 of 65535.
    ink = render_page(HUONG, dpi=150, size_mm=SMALL_MM)
    deep = Image.eval(ink.convert("I"), lambda v: 2000 + v * 227).convert("I;16")
    path = tmp_path / "grey16.png"
    deep.save(path, dpi=(150, 150))
    with Image.open(path) as reopened:
        assert reopened.mode == "I;16"

    (page,) = read_pages(path, workdir)

    assert page.dpi == 150
    with Image.open(page.image_path) as converted:
        assert _dark_fraction(converted) == pytest.approx(_dark_fraction(ink), rel=0.5), "ink lost in 16→8 bit"


def test_image_over_max_pixels_is_refused(tmp_path, workdir):
    big = tmp_path / "poster.png"
    Image.new("1", (12000, 11000), 1).save(big)  # 132 MP, a few kB on disk
    assert 12000 * 11000 > MAX_PIXELS

    with pytest.raises(InputError, match="megapixels") as info:
        list(read_pages(big, workdir))
    assert "12000×11000" in str(info.value)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("name, keep", [("scan.jpg", 0.5), ("scan.jpg", 0.95), ("scan.png", 0.5),
                                        ("stack.tif", 0.5), ("stack.tif", 0.9), ("scan.pdf", 0.5),
                                        ("scan.pdf", 0.98)])
def test_truncated_files_are_input_errors(tmp_path, workdir, name, keep):
    whole = make_scan(tmp_path / name, HUONG, dpi=150, pages=2 if name.startswith("stack") else 1)
    data = whole.read_bytes()
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(data[: int(len(data) * keep)])

    with pytest.raises(InputError) as info:
        list(read_pages(cut, workdir))
    assert type(info.value) is InputError
    assert "rescan" in str(info.value) or "scan the paper again" in str(info.value)


# -- PDF -----------------------------------------------------------------------------------
def test_image_pdf_hands_over_the_embedded_jpeg(tmp_path, workdir):
    pdf = make_scan(tmp_path / "scan.pdf", HUONG, dpi=200, pages=2)

    pages = list(read_pages(pdf, workdir))

    assert [p.image_path for p in pages] == [workdir / "page-0001.jpg", workdir / "page-0002.jpg"]
    reader = PdfReader(pdf)
    for page, pdf_page in zip(pages, reader.pages):
        (xobject,) = [x.get_object() for x in pdf_page["/Resources"]["/XObject"].values()]
        assert xobject["/Filter"] == "/DCTDecode"
        assert page.dpi == 200  # image width over page width
        assert (page.width, page.height) == (xobject["/Width"], xobject["/Height"])
        assert page.text is None and page.mode == "L"
        with Image.open(page.image_path) as image:
            assert image.format == "JPEG" and image.size == (page.width, page.height)
        # The scanner's JPEG as it is (no decode and re-encode): the stream, byte for byte.
        assert page.image_path.read_bytes() == xobject.get_data(), f"page {page.number} re-encoded"


def test_pdf_with_text_layer_keeps_its_text(tmp_path, workdir):
    image = make_scan(tmp_path / "page.png", HUONG)
    subprocess.run(["tesseract", str(image), str(tmp_path / "searchable"), "-l", "vie", "pdf"],
                   check=True, capture_output=True)

    (page,) = read_pages(tmp_path / "searchable.pdf", workdir)

    assert page.image_path is None and page.pdf_page is not None
    assert (page.dpi, page.mode) == (0, "vector")
    assert "Đặng Thị Hương" in page.text and "Từ Dũ" in page.text
    assert list(workdir.iterdir()) == []


def test_pdf_without_images_or_text_is_rasterised(tmp_path, workdir):
    writer = PdfWriter()
    writer.add_blank_page(200, 100)  # points
    path = tmp_path / "drawing.pdf"
    writer.write(path)

    (page,) = read_pages(path, workdir)

    assert page.dpi == RASTER_DPI == 300
    assert page.image_path.parent == workdir and page.image_path.suffix == ".png"
    assert page.text is None
    assert page.width in (833, 834) and page.height in (416, 417)  # 200 pt and 100 pt at 300 dpi
    with Image.open(page.image_path) as image:
        assert image.size == (page.width, page.height)


def test_pdf_with_no_pages_is_refused(tmp_path, workdir):
    path = tmp_path / "none.pdf"
    PdfWriter().write(path)
    with pytest.raises(InputError, match="no pages"):
        list(read_pages(path, workdir))


def test_password_protected_pdf_is_refused_with_advice(tmp_path, workdir):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("pw", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)

    with pytest.raises(EncryptedPDF) as info:
        list(read_pages(path, workdir))
    assert info.value.exit_code == 4
    assert isinstance(info.value, InputError)
    assert "password" in str(info.value) and "qpdf --decrypt" in str(info.value)


def test_pdf_with_only_an_owner_password_is_read(tmp_path, workdir):
    scan = make_scan(tmp_path / "scan.pdf", HUONG, dpi=200)
    writer = PdfWriter(clone_from=PdfReader(scan))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    writer.write(path)
    assert PdfReader(path).is_encrypted

    (page,) = read_pages(path, workdir)

    assert page.dpi == 200
    with Image.open(page.image_path) as image:  # decrypted stream, a real JPEG
        assert image.format == "JPEG" and image.size == (page.width, page.height)
        image.load()


# -- PDFs as office scanners and software write them -----------------------------------------
def _bitmap(lines=HUONG, dpi=200) -> Image.Image:
    """A black-and-white page, as a scanner's JBIG2 or G4 mode gives it."""
    return render_page(lines, dpi=dpi, title_lines=3, size_mm=(150, 80)).point(lambda v: 0 if v < 128 else 255)


def test_handmade_jbig2_is_what_a_real_decoder_reads(tmp_path):
    page = _bitmap()
    stream = tmp_path / "page.jb2"
    stream.write_bytes(jbig2(page))

    subprocess.run(["jbig2dec", "--embedded", "-t", "png", "-o", str(tmp_path / "decoded.png"), str(stream)],
                   check=True, capture_output=True)

    with Image.open(tmp_path / "decoded.png") as decoded:
        assert decoded.size == page.size
        assert decoded.convert("L").tobytes() == page.tobytes()


def test_jbig2_pdf_page_is_read_at_its_own_pixels(tmp_path, workdir):
    page = _bitmap()
    pdf = image_pdf(tmp_path / "jbig2.pdf", [(jbig2(page), page.width, page.height, "/JBIG2Decode")], bits=1)

    (read,) = read_pages(pdf, workdir)

    assert (read.width, read.height, read.dpi, read.text) == (page.width, page.height, 200, None)
    with Image.open(read.image_path) as image:
        assert image.convert("L").tobytes() == page.tobytes()


def test_jbig2_page_without_jbig2dec_is_rendered_by_poppler_at_its_resolution(tmp_path, workdir):
    page = _bitmap()
    pdf = image_pdf(tmp_path / "jbig2.pdf", [(jbig2(page), page.width, page.height, "/JBIG2Decode")], bits=1)

    with pypdf.apply_configuration(jbig2dec_binary=None):  # pypdf as on a machine without jbig2dec
        (read,) = read_pages(pdf, workdir)

    assert (read.width, read.height, read.dpi) == (page.width, page.height, 200)
    with Image.open(read.image_path) as image:
        assert _dark_fraction(image) == pytest.approx(_dark_fraction(page), rel=0.1)


def test_vector_page_is_rendered_within_the_pixel_budget_at_a_lower_resolution(tmp_path, workdir):
    pdf = vector_pdf(tmp_path / "plan.pdf", (5000, 5000))  # 176 cm a side: 434 MP at 300 dpi

    (page,) = read_pages(pdf, workdir)

    assert page.width * page.height <= RASTER_MAX_PIXELS
    assert page.dpi == round(72 * (RASTER_MAX_PIXELS / 5000 ** 2) ** 0.5) == 85
    with Image.open(page.image_path) as image:
        assert image.size == (page.width, page.height)
        assert _dark_fraction(image) > 0.0005  # the drawing is there, not a blank pixel


def test_page_too_large_to_read_is_refused_naming_it(tmp_path, workdir):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(14400, 14400)  # poppler's limit; it gave back a 1×1 pixel "blank" page
    path = tmp_path / "poster.pdf"
    writer.write(path)

    with pytest.raises(InputError, match=r"^page 2 is 508×508 cm, too large to read as a paper") as info:
        list(read_pages(path, workdir))
    assert type(info.value) is InputError and "A4" in str(info.value)


def test_page_of_images_is_rendered_at_their_resolution(tmp_path, workdir):
    # A scan stored as two strips, each half the page: no single image to hand over.
    top, bottom = _bitmap().crop((0, 0, 1181, 315)), _bitmap().crop((0, 315, 1181, 630))
    writer = PdfWriter()
    strips = {f"S{n}": image_xobject(writer, zlib.compress(s.tobytes()), s.width, s.height, "/FlateDecode")
              for n, s in enumerate((top, bottom))}
    size = (1181 * 72 / 150, 630 * 72 / 150)  # the strips at 150 dpi
    half = size[1] / 2
    add_page(writer, size, b"q %.3f 0 0 %.3f 0 %.3f cm /S0 Do Q q %.3f 0 0 %.3f 0 0 cm /S1 Do Q" % (
        size[0], half, half, size[0], half), images=strips)
    path = write(writer, tmp_path / "strips.pdf")

    (page,) = read_pages(path, workdir)

    assert page.dpi == 150 and (page.width, page.height) == (1181, 630)


def test_full_page_image_in_a_one_point_box_is_read_at_a_sensible_dpi(tmp_path, workdir):
    page = _bitmap()
    pdf = image_pdf(tmp_path / "tiny-box.pdf", [(zlib.compress(page.tobytes()), page.width, page.height,
                                                  "/FlateDecode")], size_pt=(1, 1))

    (read,) = read_pages(pdf, workdir)

    assert read.dpi == DEFAULT_DPI and (read.width, read.height) == page.size  # not 85,032 dpi


def test_81_megapixel_page_is_read_and_the_file_with_it(tmp_path, workdir):
    small = (zlib.compress(_bitmap().tobytes()), 1181, 630, "/FlateDecode")
    big = (deflated_rows(b"\xff" * 9000, 9000), 9000, 9000, "/FlateDecode")  # 81 MB inflated: pypdf's limit is 75
    pdf = image_pdf(tmp_path / "big.pdf", [small, big, small])
    assert 9000 * 9000 < MAX_PIXELS

    pages = list(read_pages(pdf, workdir))

    assert [(p.number, p.width, p.height) for p in pages] == [(1, 1181, 630), (2, 9000, 9000), (3, 1181, 630)]


def test_page_over_the_pixel_limit_is_refused_naming_it_before_decoding(tmp_path, workdir):
    small = (zlib.compress(_bitmap().tobytes()), 1181, 630, "/FlateDecode")
    over = (deflated_rows(b"\xff" * 12000, 11000), 12000, 11000, "/FlateDecode")
    pdf = image_pdf(tmp_path / "poster.pdf", [small, over, small])

    with pytest.raises(InputError, match=r"^page 2 holds an image of 12000×11000 pixels \(132 megapixels"):
        list(read_pages(pdf, workdir))


def test_stream_inflating_past_its_image_is_still_a_bomb(tmp_path, workdir):
    small = (zlib.compress(_bitmap().tobytes()), 1181, 630, "/FlateDecode")
    lying = (deflated_rows(b"\x00" * 8000, 10000), 100, 100, "/FlateDecode")  # says 100×100, inflates to 80 MB
    pdf = image_pdf(tmp_path / "lying.pdf", [small, lying])

    with pytest.raises(InputError, match=r"^page 2 holds an image too large to decompress safely"):
        list(read_pages(pdf, workdir))


# -- text layers: kept when real, OCR'd when junk -------------------------------------------
def _searchable(tmp_path, lines, language) -> Path:
    image = make_scan(tmp_path / f"{language}.png", lines)
    subprocess.run(["tesseract", str(image), str(tmp_path / language), "-l", language, "pdf"],
                   check=True, capture_output=True)
    return tmp_path / f"{language}.pdf"


def test_english_text_layer_is_kept(tmp_path, workdir):
    pdf = _searchable(tmp_path, ["BIRTH CERTIFICATE", "Full name: Tran Thi Ngoc Anh",
                                 "Place of birth: Tu Du Hospital, Ho Chi Minh City"], "eng")

    (page,) = read_pages(pdf, workdir)

    assert page.dpi == 0 and page.image_path is None and "Hospital" in page.text


def test_junk_text_layer_of_a_drawn_page_is_not_trusted(tmp_path, workdir):
    pdf = junk_text_pdf(tmp_path / "junk.pdf", ["BIRTH CERTIFICATE", "Full name: Nguyen Van An"])
    assert "Slzdjs" in PdfReader(pdf).pages[0].extract_text()  # what the font's map says

    (page,) = read_pages(pdf, workdir)

    assert page.text is None and page.dpi == RASTER_DPI and page.image_path.parent == workdir


def test_junk_ocr_layer_over_a_scan_is_not_trusted(tmp_path, workdir):
    scan = render_page(HUONG, dpi=200, title_lines=3, size_mm=(150, 80))
    pdf = image_with_hidden_text_pdf(tmp_path / "bad-ocr.pdf", scan, "F n e m b \\ h e h k " * 4)

    (page,) = read_pages(pdf, workdir)

    assert page.text is None and (page.width, page.height, page.dpi) == (*scan.size, 200)


@pytest.mark.parametrize("text, real", [
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nGIẤY CHỨNG SINH\n"
     "Họ, chữ đệm và tên: Đặng Thị Hương\nNơi sinh: Bệnh viện Từ Dũ", True),
    ("The applicant declares that the information above is true and complete.", True),
    ("Số CCCD: 079203001234   Ngày cấp: 05/11/2023   Mã hồ sơ: 000.00.53.H48-220921-0099", True),
    ("0123 4567 8901 2345 6789 / 2026-01-05 / 12.500.000", True),  # nothing to judge by: trusted
    ("F n e m b \\ h e h k F n e m b \\ h e h k F n e m b", False),
    ("G\\WYM HJWY\\K\\HFYJ Kzqq sfrj: Slzdjs Afs Fs", False),
    ("¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇ", False),
])
def test_a_text_layer_is_judged_by_its_dictionary_words(text, real):
    assert textlayer.readable(text) is real
