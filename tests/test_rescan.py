"""`sohoa rescan`: every page flagged at scan time (low dpi, blank, nearly empty, low confidence) is listed."""

from __future__ import annotations

from pypdf import PdfReader

from samples.render import save_multipage
from tests.conftest import make_scan, page_lines
from tests.test_prepare import AN, blank_back, page

HUONG = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"])


def test_low_dpi_and_blank_pages_are_flagged_kept_and_listed(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    low = make_scan(tmp_path / "low.png", HUONG, dpi=100)
    duplex = save_multipage([page(AN), blank_back()], tmp_path / "duplex.pdf")

    rows = sohoa.jsonl("scan", low, duplex, "--record", "000.00.53.H48-260106-0002")

    assert rows[0]["rescan"] == ["page 1: scanned at 100 dpi, under 200"]
    assert rows[1]["pages"] == 2 and rows[1]["rescan"] == ["page 2: blank page"]
    assert len(PdfReader(rows[1]["pdf_path"]).pages) == 2  # flagged, not dropped
    listed = sohoa.json("rescan")
    assert [(r["id"], r["source_name"], r["page"], r["reasons"], r["record_code"]) for r in listed] == [
        (rows[0]["id"], "low.png", 1, ["scanned at 100 dpi, under 200"], "000.00.53.H48-260106-0002"),
        (rows[1]["id"], "duplex.pdf", 2, ["blank page"], "000.00.53.H48-260106-0002")]
    assert listed[0]["dpi"] == 100 and listed[0]["pdf_path"] == rows[0]["pdf_path"]
    human = sohoa("rescan").stdout
    assert "low.png page 1" in human and "blank page" in human and human.rstrip().endswith("2 pages to rescan")
    summary = sohoa("scan", make_scan(tmp_path / "low2.png", AN, dpi=100)).stdout
    assert "rescan page 1: scanned at 100 dpi" in summary and "1 page to rescan (sohoa rescan)" in summary


def test_nothing_to_rescan(sohoa, tmp_path):
    sohoa("scan", make_scan(tmp_path / "fine.png", HUONG))
    assert sohoa.json("rescan") == []
    assert sohoa("rescan").stdout.strip() == "nothing to rescan"
