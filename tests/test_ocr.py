"""`ocr.tesseract`: real Tesseract (library and command) on pages rendered at test time; text, confidence and PDF come back whole."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageFilter
from pypdf import PdfReader

from digitize.errors import InputError, MissingDependency, from_library, library_errors
from ocr import libtesseract
from ocr.errors import OcrError, TesseractMissing, UnreadablePage
from ocr.tesseract import MARKED_SHARE, NO_DOTS_SHARE, TesseractEngine, check_languages, dotted_share, looks_vietnamese
from samples.render import render_page, save, save_multipage

VIETNAMESE = [
    "Đặng Thị Hương sinh ngày 05 tháng 11 năm 2023 tại Hà Nội",
    "Người được cấp giấy: Nguyễn Thị Bích Ngọc, trường Tiểu học Phước Lễ",
]
VIETNAMESE_KEYS = ["Đặng Thị Hương", "sinh ngày 05 tháng 11 năm 2023", "Hà Nội", "Người được cấp giấy",
                   "Nguyễn Thị Bích Ngọc", "trường Tiểu học Phước Lễ"]
ENGLISH = [
    "CERTIFICATE OF INCORPORATION",
    "The company was incorporated under the laws of the State",
    "of Delaware on the fifth day of March with limited liability",
    "and its registered office is located in Wilmington.",
]
STRIP_MM = (210, 50)  # a strip of A4 width: real 300 dpi text, a fraction of a full page's OCR time


@pytest.fixture(scope="module", params=["library", "command"])
def backend(request) -> str:
    """Every reading test runs through Tesseract's library and through the `tesseract` command."""
    return request.param


@pytest.fixture(scope="module")
def vietnamese_page(tmp_path_factory) -> Path:
    return save(render_page(VIETNAMESE, dpi=300, size_mm=STRIP_MM), tmp_path_factory.mktemp("vi") / "huong.png")


@pytest.fixture(scope="module")
def vietnamese_result(vietnamese_page, backend):
    return TesseractEngine(backend=backend).read(vietnamese_page, 300)


@pytest.fixture(scope="module")
def english_page(tmp_path_factory) -> Path:
    image = render_page(ENGLISH, dpi=300, size_mm=(210, 60), title_lines=1)
    return save(image, tmp_path_factory.mktemp("en") / "certificate.png")


def test_vietnamese_page_keeps_its_diacritics(vietnamese_result):
    result = vietnamese_result
    for key in VIETNAMESE_KEYS:
        assert key in result.text, (key, result.text)
    assert result.text == unicodedata.normalize("NFC", result.text)
    assert result.language == "vie"  # marks found: no fallback pass


def test_vietnamese_result_has_confidence_and_word_count(vietnamese_result):
    result = vietnamese_result
    assert result.confidence is not None and 60 < result.confidence <= 100
    # Two lines of 13 words each; Tesseract may split or merge a token, never lose most of them.
    assert 20 <= result.words <= 30


def test_pdf_is_one_page_with_the_image_and_a_text_layer(vietnamese_result, vietnamese_page):
    pdf = PdfReader(io.BytesIO(vietnamese_result.pdf))
    assert len(pdf.pages) == 1
    page = pdf.pages[0]
    # The page is sized from the dpi given: 210 mm wide at any resolution.
    assert float(page.mediabox.width) == pytest.approx(210 / 25.4 * 72, abs=1)
    (embedded,) = page.images
    with Image.open(vietnamese_page) as original:
        assert embedded.image.size == original.size
    layer = unicodedata.normalize("NFC", page.extract_text())
    for key in ("Đặng Thị Hương", "Hà Nội", "Nguyễn Thị Bích Ngọc", "Phước Lễ"):
        assert key in layer, (key, layer)


def test_english_page_falls_back_to_vie_eng(english_page, backend):
    result = TesseractEngine(backend=backend).read(english_page, 300)
    assert result.language == "vie+eng"
    assert "CERTIFICATE OF INCORPORATION" in result.text
    assert "registered office" in result.text
    assert result.confidence is not None and result.confidence > 60


def test_no_fallback_keeps_the_first_language(english_page, backend):
    result = TesseractEngine(fallback=None, backend=backend).read(english_page, 300)
    assert result.language == "vie"
    assert "INCORPORATION" in result.text


def test_blank_page_gives_empty_text_and_no_confidence(tmp_path, backend):
    blank = save(render_page([], dpi=300, size_mm=STRIP_MM), tmp_path / "blank.png")
    result = TesseractEngine(backend=backend).read(blank, 300)
    assert result.text == ""
    assert result.confidence is None
    assert result.words == 0
    assert result.language == "vie"
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == 1  # still a page for the archive


def test_vietnamese_file_name_is_read(tmp_path, vietnamese_page, backend):
    named = tmp_path / "Giấy khai sinh Hương.png"
    named.write_bytes(vietnamese_page.read_bytes())
    assert "Đặng Thị Hương" in TesseractEngine(backend=backend).read(named, 300).text


@pytest.mark.parametrize("text, expected", [
    ("", True),  # nothing to judge: keep the Vietnamese reading
    ("CERTIFICATE OF INCORPORATION", True),  # fewer than 8 words
    (" ".join(VIETNAMESE), True),
    ("Ủy ban nhân dân phường Bến Nghé xác nhận công dân đã nộp hồ sơ đầy đủ", True),
    (" ".join(ENGLISH), False),
    ("Dang Thi Huong sinh ngay 05 thang 11 nam 2023 tai Ha Noi", False),  # marks stripped
    # One marked word in twenty is the 5% threshold; đ alone counts as a mark.
    ("the of and to in is was for on with as by at from that this be are it " + "đi", True),
    ("the of and to in is was for on with as by at from that this be are it so", False),
    ("the of and to in is was for on with as by at from that this be are it an " + "đi", False),  # 1/21
])
def test_looks_vietnamese(text, expected):
    assert looks_vietnamese(text) is expected


def test_looks_vietnamese_on_decomposed_text():
    # The same prose in NFD is still Vietnamese: the function is public and _has_vietnamese_marks
    # normalises to NFD itself, so any normalisation form is meant to be accepted.
    prose = ("Công dân có nhu cầu xin cấp bản sao giấy khai sinh theo mẫu quy định, "
             "xin vui lòng mang theo căn cước và đến quầy tiếp nhận của ủy ban nhân dân phường")
    assert looks_vietnamese(prose) is True
    assert looks_vietnamese(unicodedata.normalize("NFD", prose)) is True


def test_check_languages_names_the_missing_package():
    check_languages("vie+eng")  # installed: no error
    with pytest.raises(MissingDependency) as info, library_errors():
        check_languages("vie+xyz")
    assert "tesseract-ocr-xyz" in str(info.value)
    assert "tesseract-ocr-vie" not in str(info.value)
    assert info.value.exit_code == 5


def test_engine_check_covers_the_fallback():
    TesseractEngine().check()
    with pytest.raises(MissingDependency, match="tesseract-ocr-xyz"), library_errors():
        TesseractEngine(language="vie", fallback="vie+xyz").check()


def test_not_an_image_is_an_input_error(tmp_path, backend):
    notes = tmp_path / "page.png"
    notes.write_text("biên bản họp, not an image\n", encoding="utf-8")
    with pytest.raises(InputError, match="Tesseract could not read the page"), library_errors():
        TesseractEngine(backend=backend).read(notes, 300)


def test_the_library_raises_its_own_errors_which_cross_processes_and_keep_their_message(tmp_path, backend):
    # OCR runs in worker processes: what it raises comes back pickled, and digitize gives it its kind.
    notes = tmp_path / "page.png"
    notes.write_text("not an image\n", encoding="utf-8")
    with pytest.raises(UnreadablePage) as unreadable:
        TesseractEngine(backend=backend).read(notes, 300)
    with pytest.raises(TesseractMissing) as missing:
        check_languages("vie+xyz")
    for raised, kind, code in ((unreadable.value, InputError, 3), (missing.value, MissingDependency, 5)):
        again = pickle.loads(pickle.dumps(raised))
        assert type(again) is type(raised) and isinstance(again, OcrError) and str(again) == str(raised)
        mapped = from_library(again)
        assert type(mapped) is kind and mapped.exit_code == code and str(mapped) == str(raised)
    assert from_library(ValueError("not the library's")) is None


def test_missing_image_is_an_input_error(tmp_path, backend):
    with pytest.raises(InputError), library_errors():
        TesseractEngine(backend=backend).read(tmp_path / "gone.png", 300)


def test_text_file_naming_another_image_is_not_read_as_that_image(tmp_path, vietnamese_page, backend):
    # Tesseract treats any input it cannot decode as a list of image paths, one per line: a text file
    # that names a scan must fail like any other non-image, not return that other scan's text.
    listing = tmp_path / "page.png"
    listing.write_text(f"{vietnamese_page}\n", encoding="utf-8")
    with pytest.raises(InputError), library_errors():
        result = TesseractEngine(backend=backend).read(listing, 300)
        pytest.fail(f"read a text file as {vietnamese_page.name}: {result.text[:40]!r}")


def blocks_page(path: Path) -> Path:
    """Black boxes and no text: Tesseract finds "words" there whose text is empty."""
    image = Image.new("L", (1200, 900), 255)
    for n in range(6):
        image.paste(0, (100 + n * 170, 150 + (n % 3) * 200, 200 + n * 170, 260 + (n % 3) * 200))
    return save(image, path)


def test_library_and_command_read_a_page_alike(vietnamese_page, english_page, tmp_path):
    assert libtesseract.library() is not None  # installed with tesseract-ocr: the fast path is taken
    for page in (vietnamese_page, english_page, blocks_page(tmp_path / "blocks.png")):
        library = TesseractEngine(backend="library").read(page, 300)
        command = TesseractEngine(backend="command").read(page, 300)
        assert (library.text, library.confidence, library.words, library.language) == (
            command.text, command.confidence, command.words, command.language)
        assert len(PdfReader(io.BytesIO(library.pdf)).pages) == 1


def test_library_prints_nothing_on_the_terminal(vietnamese_page, tmp_path):
    # Tesseract's library, and libpng under it, talk on file descriptor 2 ("Detected 12 diacritics",
    # "iCCP: too short"), which is under the progress bar.
    odd_profile = tmp_path / "odd-profile.png"
    with Image.open(vietnamese_page) as image:
        image.save(odd_profile, icc_profile=b"too short")
    code = ("import sys; from ocr import TesseractEngine; "
            f"r = TesseractEngine(backend='library').read({str(odd_profile)!r}, 300); print(r.words)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert run.returncode == 0 and int(run.stdout) > 10
    assert run.stderr == ""


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        TesseractEngine(backend="gpu")


# -- one reading a page, in the language its print shows -------------------------------------------
# A citizen ID card: bilingual labels and a name in capitals, whose marks `vie+eng` drops (LÝ CÔNG ĐẠT
# → LY CONG DAT, Họ và tên → Ho va tén): only a `vie` reading keeps them.
ID_CARD = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CĂN CƯỚC CÔNG DÂN", "Số / No.: 038078810011",
           "Họ và tên / Full name: LÝ CÔNG ĐẠT", "Ngày sinh / Date of birth: 11/04/1975",
           "Giới tính / Sex: Nam", "Quốc tịch / Nationality: Việt Nam"]
RESOLUTION = ["BOARD RESOLUTION", "The board of directors resolved unanimously to appoint",
              "Mr. John Michael Smith as the legal representative of the company,",
              "with full authority to sign all documents on its behalf."]


@pytest.fixture
def readings(monkeypatch) -> list[str]:
    """The language of every Tesseract reading made through the library, in order (each one real)."""
    made: list[str] = []
    real = libtesseract.Reader.read

    def counted(self, page, dpi, timeout):
        made.append(self.language)
        return real(self, page, dpi, timeout)

    monkeypatch.setattr(libtesseract.Reader, "read", counted)
    return made


def shares(path: Path, dpi: int = 300) -> float | None:
    with libtesseract.Page(path) as page:
        return dotted_share(libtesseract.reader("vie").components(page, dpi), dpi)


def test_english_page_is_read_once_in_english(english_page, readings):
    result = TesseractEngine(backend="library").read(english_page, 300)
    assert readings == ["vie+eng"]
    assert result.language == "vie+eng"
    assert "CERTIFICATE OF INCORPORATION" in result.text and "registered office" in result.text


def test_vietnamese_page_is_read_once_in_vietnamese(vietnamese_page, readings):
    result = TesseractEngine(backend="library").read(vietnamese_page, 300)
    assert readings == ["vie"]
    assert result.language == "vie" and "Nguyễn Thị Bích Ngọc" in result.text


def test_mixed_batch_each_page_read_once_in_its_language(tmp_path, vietnamese_page, english_page, readings):
    card = save(render_page(ID_CARD, dpi=300, size_mm=(210, 90), title_lines=2), tmp_path / "card.png")
    resolution = save(render_page(RESOLUTION, dpi=300, size_mm=(210, 60), title_lines=1), tmp_path / "resolution.png")
    engine = TesseractEngine(backend="library")
    pages = [vietnamese_page, english_page, card, resolution]
    with ThreadPoolExecutor(2) as pool:  # two pages at a time through one engine, as threads share it
        results = list(pool.map(lambda page: engine.read(page, 300), pages))
    assert [r.language for r in results] == ["vie", "vie+eng", "vie", "vie+eng"]
    assert sorted(readings) == ["vie", "vie", "vie+eng", "vie+eng"]  # one reading a page
    huong, certificate, card_text, resolution_text = (r.text for r in results)
    for key in VIETNAMESE_KEYS:
        assert key in huong, (key, huong)
    for key in ("LÝ CÔNG ĐẠT", "Họ và tên", "Giới tính", "Quốc tịch", "038078810011"):
        assert key in card_text, (key, card_text)
    assert "CERTIFICATE OF INCORPORATION" in certificate and "limited liability" in certificate
    assert "BOARD RESOLUTION" in resolution_text and "John Michael Smith" in resolution_text


def test_scanned_mixed_batch_records_each_page_in_its_language(sohoa, tmp_path):
    # Through `sohoa scan`: the pages of one PDF read in parallel by the worker pool.
    pages = [render_page(ID_CARD, dpi=300, size_mm=(210, 90), title_lines=2),
             render_page(ENGLISH, dpi=300, size_mm=(210, 60), title_lines=1),
             render_page(VIETNAMESE, dpi=300, size_mm=STRIP_MM),
             render_page(RESOLUTION, dpi=300, size_mm=(210, 60), title_lines=1)]
    (row,) = sohoa.jsonl("scan", save_multipage(pages, tmp_path / "mixed.pdf"))
    paper = sohoa.json("show", row["id"])
    assert [p["language"] for p in paper["pages"]] == ["vie", "vie+eng", "vie", "vie+eng"]
    text = sohoa("text", row["id"]).stdout
    for key in ("LÝ CÔNG ĐẠT", "Họ và tên", "Đặng Thị Hương", "Nguyễn Thị Bích Ngọc", "CERTIFICATE OF INCORPORATION",
                "registered office", "BOARD RESOLUTION", "John Michael Smith"):
        assert key in text, (key, text)


def test_print_shows_marks_before_a_word_is_read(tmp_path, vietnamese_page, english_page):
    figures = save(render_page(["079203001234   15/04/2021   0912 345 678", "2.500.000   1.250.000   3.750.000"] * 3,
                               dpi=300, size_mm=(210, 60)), tmp_path / "figures.png")
    blank = save(render_page([], dpi=300, size_mm=STRIP_MM), tmp_path / "blank.png")
    assert shares(vietnamese_page) >= MARKED_SHARE
    assert NO_DOTS_SHARE <= shares(english_page) < MARKED_SHARE  # the dots of i and j only
    assert shares(figures) < NO_DOTS_SHARE  # no dotted letters: says nothing of the language
    assert shares(blank) is None


def test_page_of_figures_is_read_once_in_vietnamese(tmp_path, readings):
    figures = save(render_page(["079203001234   15/04/2021", "2.500.000   1.250.000"] * 3, dpi=300,
                               size_mm=(210, 60)), tmp_path / "figures.png")
    result = TesseractEngine(backend="library").read(figures, 300)
    assert readings == ["vie"] and "079203001234" in result.text


def test_blurred_vietnamese_page_whose_marks_merge_is_read_again_in_vietnamese(tmp_path, readings):
    # Blurred by 2 px, the marks of a sans-serif page run into their letters: the print looks
    # unmarked, but the text read shows the marks, so the page is read again with `vie`.
    sharp = render_page(VIETNAMESE, dpi=300, size_mm=STRIP_MM, font="sans")
    blurred = sharp.filter(ImageFilter.GaussianBlur(2))
    blurred.info["dpi"] = (300, 300)
    page = save(blurred, tmp_path / "blurred.png")
    assert shares(page) < MARKED_SHARE
    result = TesseractEngine(backend="library").read(page, 300)
    assert readings == ["vie+eng", "vie"]
    assert result.language == "vie"
    assert "Đặng Thị Hương" in result.text and "Nguyễn Thị Bích Ngọc" in result.text


def test_threads_reading_at_once_leave_stderr_as_it_was(vietnamese_page, english_page):
    # Each reading sends file descriptor 2 to a file meanwhile; readings in two threads at once
    # (a Vietnamese look beside an English reading) must not leave it pointing at one of those.
    code = ("import os; from concurrent.futures import ThreadPoolExecutor; from ocr import TesseractEngine\n"
            "engine = TesseractEngine(backend='library')\n"
            f"pages = [{str(vietnamese_page)!r}, {str(english_page)!r}] * 3\n"
            "with ThreadPoolExecutor(2) as pool:\n"
            "    print(sorted(r.language for r in pool.map(lambda page: engine.read(page, 300), pages)))\n"
            "os.write(2, b'still here\\n')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(["vie"] * 3 + ["vie+eng"] * 3)
    assert run.stderr == "still here\n"
