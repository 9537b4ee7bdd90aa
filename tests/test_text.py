"""`sohoa text ID`: the OCR text, Vietnamese marks intact, pages separated by form feeds."""

from __future__ import annotations

import unicodedata

import pytest

from tests.conftest import Sohoa, make_scan, page_lines

SENTENCE = "Tôi cam đoan những nội dung khai trên đây là đúng sự thật."
HUONG = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương",
                   ["Nơi sinh: Bệnh viện Từ Dũ", "Quê quán: xã Phước Hưng, huyện Long Điền", SENTENCE])
THANG = page_lines("PHIẾU LÝ LỊCH TƯ PHÁP", "Phạm Đức Thắng", ["Nơi thường trú: phường Bến Nghé"])



@pytest.fixture(scope="module")
def papers(tmp_path_factory):
    base = tmp_path_factory.mktemp("text")
    cli = Sohoa(base / "archive", "clerk-text")
    make_scan(base / "batch" / "a-huong.png", HUONG, dpi=300)
    make_scan(base / "batch" / "b-thang.pdf", THANG, dpi=200, pages=3)
    make_scan(base / "batch" / "c-blank.png", [], dpi=200)
    rows = cli.jsonl("scan", base / "batch")
    assert [(r["source_name"], r["status"], r["pages"]) for r in rows] == [
        ("a-huong.png", "new", 1), ("b-thang.pdf", "new", 3), ("c-blank.png", "new", 1)]
    return cli, {r["source_name"]: r["id"] for r in rows}


def test_vietnamese_text_comes_back_with_its_marks(papers):
    cli, ids = papers
    out = cli("text", ids["a-huong.png"]).stdout
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "GIẤY CHỨNG SINH",
                 "Họ, chữ đệm và tên: Đặng Thị Hương", "Nơi sinh: Bệnh viện Từ Dũ",
                 "Quê quán: xã Phước Hưng, huyện Long Điền", SENTENCE):
        assert line in out.splitlines(), (line, out)
    assert unicodedata.is_normalized("NFC", out)
    assert "\f" not in out  # one page


def test_text_is_the_whole_catalogued_text(papers):
    cli, ids = papers
    out = cli("text", ids["b-thang.pdf"]).stdout
    assert out.endswith("\n") and not out.endswith("\n\n")
    assert len(out) - 1 == cli.json("show", ids["b-thang.pdf"])["text_chars"]


def test_pages_are_separated_by_form_feeds(papers):
    cli, ids = papers
    pages = cli("text", ids["b-thang.pdf"]).stdout.rstrip("\n").split("\f")
    assert len(pages) == cli.json("show", ids["b-thang.pdf"])["page_count"] == 3
    for number, page in enumerate(pages, 1):
        lines = page.splitlines()
        assert "PHIẾU LÝ LỊCH TƯ PHÁP" in lines and "Họ, chữ đệm và tên: Phạm Đức Thắng" in lines
        assert f"Trang {number}" in lines
        assert not any(f"Trang {other}" in lines for other in range(1, 4) if other != number)


def test_a_page_without_words_prints_an_empty_line(papers):
    cli, ids = papers
    result = cli("text", ids["c-blank.png"])
    assert result.stdout.strip() == "" and result.stderr == ""


@pytest.mark.parametrize("paper_id", ["999", "0"])
def test_unknown_id_is_one_line_and_exit_2(papers, paper_id):
    cli, _ = papers
    result = cli("text", paper_id, expect=2)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sohoa: no paper {paper_id} ") and "Traceback" not in result.stderr
