"""`digitize.prepare`: blank pages, skew, sideways pages and record codes, on pages rendered at test time
(the page makers are in tests/pages.py)."""

from __future__ import annotations

import io

import pytest
import segno
import zxingcpp
from PIL import Image, ImageChops

from digitize.prepare import analyse, record_codes, rescan_reasons, straighten
from samples.render import render_page
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
