"""`sohoa rescan`: every page flagged at scan time (low dpi, blank, nearly empty, low confidence) is listed
until its paper is replaced by the new scan or the clerk accepts the page as it is."""

from __future__ import annotations

from pypdf import PdfReader

from samples.render import save_multipage
from tests.conftest import make_scan, page_lines
from tests.pages import AN, blank_back, page

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
    assert f"#{rows[1]['id']:<5} page 2   from duplex.pdf page 2  " in human  # the paper's page, for --accept
    summary = sohoa("scan", make_scan(tmp_path / "low2.png", AN, dpi=100)).stdout
    assert "rescan page 1: scanned at 100 dpi" in summary and "1 page to rescan (sohoa rescan)" in summary


def test_nothing_to_rescan(sohoa, tmp_path):
    sohoa("scan", make_scan(tmp_path / "fine.png", HUONG))
    assert sohoa.json("rescan") == []
    assert sohoa("rescan").stdout.strip() == "nothing to rescan"


def _refused(result, *words: str) -> str:
    """A refusal: nothing on stdout, one line on stderr naming what is wrong."""
    (line,) = result.stderr.splitlines()
    assert result.stdout == "" and line.startswith("sohoa: ") and all(w in line for w in words), line
    return line


def test_a_paper_replaced_by_its_new_scan_leaves_the_list(sohoa, tmp_path):
    (old,) = sohoa.jsonl("scan", make_scan(tmp_path / "low.png", HUONG, dpi=100))
    (new,) = sohoa.jsonl("scan", make_scan(tmp_path / "again.png", HUONG, dpi=300))
    assert [r["id"] for r in sohoa.json("rescan")] == [old["id"]] and new["rescan"] == []

    sohoa("replace", old["id"], new["id"])

    assert sohoa.json("rescan") == []
    assert sohoa("rescan").stdout.strip() == "nothing to rescan"
    _refused(sohoa("rescan", "--accept", old["id"], "--reason", "x", expect=2), f"replaced by #{new['id']}")


def test_accepted_pages_are_cleared_and_the_acceptance_logged(sohoa, tmp_path):
    (row,) = sohoa.jsonl("scan", make_scan(tmp_path / "faded.tif", HUONG, dpi=100, pages=2))
    low = "scanned at 100 dpi, under 200"
    paper = row["id"]
    assert [(r["id"], r["page"]) for r in sohoa.json("rescan")] == [(paper, 1), (paper, 2)]

    _refused(sohoa("rescan", "--accept", paper, expect=2), "--reason")
    _refused(sohoa("rescan", "--accept", paper, "--reason", "  ", expect=2), "--reason")
    _refused(sohoa("rescan", "--accept", 999, "--reason", "x", expect=2), "no paper 999")
    _refused(sohoa("rescan", "--accept", paper, "--page", 3, "--reason", "x", expect=2),
             f"paper {paper} has no page 3", "2 pages")
    _refused(sohoa("rescan", "--page", 2, expect=2), "--accept ID")
    _refused(sohoa("rescan", "--reason", "x", expect=2), "--accept ID")
    assert len(sohoa.json("rescan")) == 2  # nothing refused changed anything

    done = sohoa.json("rescan", "--accept", paper, "--page", 2, "--reason", "bản gốc  mờ", "--user", "to-truong")

    assert done == {"id": paper, "accepted": [{"page": 2, "reasons": [low]}], "reason": "bản gốc mờ"}
    assert [(r["id"], r["page"]) for r in sohoa.json("rescan")] == [(paper, 1)]
    _refused(sohoa("rescan", "--accept", paper, "--page", 2, "--reason", "x", expect=2),
             f"page 2 of paper {paper} is not flagged", "flagged: page 1")

    human = sohoa("rescan", "--accept", paper, "--reason", "giấy than, không chụp rõ hơn được").stdout
    assert human.splitlines() == [f"#{paper:<5} page 1 kept as it is (was: {low})"]
    assert sohoa.json("rescan") == []
    assert [p["rescan"] for p in sohoa.json("show", paper)["pages"]] == [[], []]
    _refused(sohoa("rescan", "--accept", paper, "--reason", "x", expect=2), "no pages flagged")

    events = sohoa.json("audit", "--paper", paper)
    assert [(e["action"], e["user"]) for e in events] == [
        ("scan", "clerk1"), ("accept-page", "to-truong"), ("accept-page", "clerk1")]
    assert events[1]["detail"] == f"page 2 ({low}) kept as it is: bản gốc mờ"
    assert events[2]["detail"] == f"page 1 ({low}) kept as it is: giấy than, không chụp rõ hơn được"
    assert "accept-page" in sohoa("audit", "--paper", paper).stdout
