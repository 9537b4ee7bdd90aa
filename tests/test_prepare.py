"""`digitize.prepare`: blank pages, skew, sideways pages and record codes, on pages rendered at test time
(the page makers are in tests/pages.py)."""

from __future__ import annotations

import io

import pytest
import segno
import zxingcpp
from PIL import Image, ImageChops

from digitize.prepare import MAX_SKEW, MIN_SKEW, UNREADABLE, analyse, cleaned, record_codes, rescan_reasons, straighten
from samples.render import add_picture, degrade, render_page
from tests.pages import AN, PAGE_MM, blank_back, page, receipt, turned


# -- blank pages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dpi", [300, 200, 150, 100])
def test_a_blank_back_with_dust_and_show_through_is_blank(dpi):
    # Under 300 dpi the 150 dpi copy is not averaged down, so dust stays sharp: only joined ink counts.
    assert analyse(blank_back(dpi=dpi), dpi).blank
    assert analyse(Image.new("L", (2480, 1772), 255), 300).blank


@pytest.mark.parametrize("dpi", [300, 200, 100])
def test_a_page_with_a_single_line_is_not_blank(dpi):
    found = analyse(render_page(["Trang 2"], dpi=dpi, size_mm=PAGE_MM, noise=0.0005), dpi)
    assert not found.blank and found.ink > 0


# Grey print on grey paper, pale colour forms, over-bright scans: print however faint, judged
# against the page's own paper and print levels.
FADED = {"photocopy of a photocopy": dict(ink=140, paper=215), "grey on grey": dict(ink=170, paper=200),
         "dark grey paper": dict(ink=120, paper=200), "over-bright": dict(ink=170, paper=255),
         "grainy copy": dict(ink=160, paper=215, grain=12), "pink form": dict(ink=60, paper=(250, 205, 215)),
         "faded blue form": dict(ink=150, paper=(205, 225, 250))}


@pytest.mark.parametrize("dpi", [300, 200, 100])
@pytest.mark.parametrize("poor", FADED.values(), ids=FADED)
def test_faded_print_is_as_much_ink_as_black_print(poor, dpi):
    found = analyse(degrade(page(AN, dpi=dpi), seed=1, **poor), dpi)
    black = analyse(page(AN, dpi=dpi), dpi).ink
    assert not found.blank and 0.6 * black < found.ink < 1.3 * black


BACKS = {"grey paper": dict(paper=215), "grainy paper": dict(grain=15), "pink paper": dict(paper=(250, 205, 215)),
         "grey grainy paper, fainter show-through": dict(paper=220, grain=10, through=8)}


@pytest.mark.parametrize("dpi", [300, 200, 150, 100])
@pytest.mark.parametrize("poor", BACKS.values(), ids=BACKS)
def test_a_dusty_back_of_grey_grainy_or_coloured_paper_is_blank(poor, dpi):
    poor = dict(poor)
    back = blank_back(dpi=dpi, strength=poor.pop("through", 12))
    assert analyse(degrade(back, seed=2, **poor), dpi).blank


def test_the_cleaned_copy_of_a_faded_grainy_page_has_black_print_on_white_paper():
    faded = degrade(page(AN), ink=160, paper=215, grain=12, seed=1)
    before = analyse(faded, 300)
    after = analyse(cleaned(faded, before, 300, sharpen=False), 300)
    assert (before.paper, before.print_level) == (pytest.approx(215, abs=3), pytest.approx(160, abs=12))
    assert after.paper >= 250 and after.print_level <= 30
    assert after.noise / (after.paper - after.print_level) < before.noise / (before.paper - before.print_level) / 2
    assert after.ink == pytest.approx(before.ink, rel=0.2)  # the same strokes, no new ones


def test_a_dark_scanner_edge_does_not_make_a_page_look_written():
    image = Image.new("L", (2480, 1772), 255)
    image.paste(0, (0, 0, 40, 1772))  # the lid's shadow down the left edge
    assert analyse(image, 300).blank


# -- skew and orientation ------------------------------------------------------------------------
@pytest.mark.parametrize("degrees", [4, -4, 8.5, -2.5])
def test_skew_is_measured_within_a_fifth_of_a_degree(degrees):
    found = analyse(turned(page(AN), degrees), 300)
    assert not found.sideways
    assert found.skew == pytest.approx(degrees, abs=0.2)


def test_a_straight_page_is_straight():
    assert abs(analyse(page(AN), 300).skew) < 0.2


@pytest.mark.parametrize("degrees", [90, 270])
def test_a_page_turned_sideways_is_noticed(degrees):
    assert analyse(turned(page(AN), degrees), 300).sideways


def test_straighten_undoes_rotation_and_skew():
    original = page(AN).convert("L")
    assert ImageChops.difference(straighten(turned(original, 180), 180, 0.0), original).getbbox() is None
    assert ImageChops.difference(straighten(turned(original, 90), 90, 0.0), original).getbbox() is None
    assert abs(analyse(straighten(turned(original, 5), 0, 5.0), 300).skew) < 0.2


PICTURES = {"portrait": ("photo", (0.55, 0.45, 0.92, 0.9)), "engraving": ("hatching", (0.1, 0.5, 0.9, 0.95)),
            "small engraving": ("hatching", (0.55, 0.45, 0.92, 0.9)), "photo across": ("photo", (0.1, 0.55, 0.9, 0.95))}


@pytest.mark.parametrize("dpi", [300, 200])
@pytest.mark.parametrize("picture", PICTURES.values(), ids=PICTURES)
def test_a_picture_on_a_straight_page_gives_no_sure_skew(picture, dpi):
    # a photo or an engraving's hatching sways the ink's profile: measured as 10.5° before
    found = analyse(add_picture(page(AN, dpi=dpi), *picture), dpi)
    assert abs(found.skew) <= MAX_SKEW
    assert abs(found.skew) < MIN_SKEW or not found.skew_sure


@pytest.mark.parametrize("degrees", [2.5, -4, 8.5, 10])
def test_the_skew_of_a_page_of_text_is_sure(degrees):
    found = analyse(turned(page(AN), degrees), 300)
    assert found.skew_sure and found.skew == pytest.approx(degrees, abs=0.2)


def test_non_square_pixels_are_measured_square():
    flat = page(AN, dpi=200)
    flat = flat.resize((flat.width, flat.height // 2))
    flat.info["dpi"] = (200, 100)
    found = analyse(turned(flat, 0), 200)
    assert not found.blank and abs(found.skew) < 0.2


# -- record codes ----------------------------------------------------------------------------------
def test_record_code_is_read_from_the_receipt_qr():
    assert record_codes(receipt("000.00.53.H48-260106-0002"), 300) == ["000.00.53.H48-260106-0002"]


def test_record_code_is_read_from_a_code128_barcode():
    bars = zxingcpp.create_barcode("000.02.31.H29-260109-0045", zxingcpp.BarcodeFormat.Code128)
    strip = Image.fromarray(bars.to_image(scale=4)).convert("L")  # 0.34 mm a module, as printers make them
    sheet = page(["PHIẾU CHUYỂN HỒ SƠ"])
    sheet.paste(strip, (300, 900))
    assert record_codes(sheet, 300) == ["000.02.31.H29-260109-0045"]


def test_a_qr_without_a_record_code_names_no_record():
    sheet = page(AN)
    qr = io.BytesIO()
    segno.make("https://example.org/not-a-record").save(qr, kind="png", scale=6)
    sheet.paste(Image.open(io.BytesIO(qr.getvalue())).convert("L"), (1800, 100))
    assert record_codes(sheet, 300) == []
    assert record_codes(page(AN), 300) == []


# -- rescan reasons --------------------------------------------------------------------------------
def test_rescan_reasons():
    assert rescan_reasons(300, False, 120, 93.0) == []
    assert rescan_reasons(100, False, 120, 75.0) == ["scanned at 100 dpi, under 200"]
    assert rescan_reasons(300, True, 0, None) == ["blank page"]
    assert rescan_reasons(300, False, 2, 90.0) == ["nearly empty (2 words read)"]
    assert rescan_reasons(300, False, 80, 41.5) == ["low OCR confidence (42 < 60)"]


def test_a_page_with_ink_but_no_words_is_unreadable_not_blank():
    assert rescan_reasons(300, False, 0, None) == [UNREADABLE] == ["faded or unreadable, rescan with more contrast"]
    assert rescan_reasons(300, False, 3, 45.0) == [UNREADABLE]  # a few unsure words
    assert rescan_reasons(300, False, 40, 12.0) == [UNREADABLE]  # marks taken for letters
    assert rescan_reasons(150, False, 0, None) == ["scanned at 150 dpi, under 200", UNREADABLE]
