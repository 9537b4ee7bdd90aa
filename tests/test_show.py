"""`sohoa show ID`: a paper's metadata as a clerk or a script sees it; unknown ids refused in one line."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfWriter

from tests.conftest import Sohoa, make_scan, page_lines, write_register
from tests.pages import AN, blank_back, page, turned

CODE = "000.00.53.H48-260105-0001"



@pytest.fixture(scope="module")
def papers(tmp_path_factory):
    """With SOHOA_USER=clerk7: a one-page 300-dpi PNG scanned with --user alice, and a two-page
    200-dpi TIFF scanned without --user and attached to a record's component."""
    base = tmp_path_factory.mktemp("show")
    root = base / "archive"
    single = make_scan(base / "chung-sinh.png",
                       page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"]), dpi=300)
    stack = make_scan(base / "to-khai.tif", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An"), dpi=200, pages=2)
    register = write_register(base / "register.csv")

    started = datetime.now(timezone.utc) - timedelta(seconds=2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOHOA_USER", "clerk7")
        Sohoa(root)("records", "import", register)
        (one,) = Sohoa(root, "alice").jsonl("scan", single)
        (two,) = Sohoa(root).jsonl("scan", stack, "--record", CODE, "--component", "Giấy chứng sinh")
    finished = datetime.now(timezone.utc) + timedelta(seconds=2)
    return {"cli": Sohoa(root), "single": (one, single), "stack": (two, stack), "window": (started, finished)}


def test_json_metadata_of_a_single_page_paper(papers):
    cli = papers["cli"]
    row, source = papers["single"]

    paper = cli.json("show", row["id"])

    assert paper["id"] == row["id"]
    assert paper["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert paper["source_name"] == "chung-sinh.png"
    assert Path(paper["source_path"]) == source.resolve()
    pdf = Path(paper["pdf_path"])
    assert pdf == Path(row["pdf_path"]) and pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.is_relative_to(cli.root / "papers") and paper["sha256"] in pdf.name
    assert paper["page_count"] == 1 and len(paper["pages"]) == 1
    (page,) = paper["pages"]
    assert page["page_no"] == 1 and page["dpi"] == 300 and page["text_source"] == "ocr"
    assert 70 < page["confidence"] <= 100
    assert paper["mean_confidence"] == pytest.approx(page["confidence"], abs=0.01)
    assert paper["attachments"] == []
    assert paper["scanned_by"] == "alice"  # --user, over SOHOA_USER
    started, finished = papers["window"]
    assert started <= datetime.fromisoformat(paper["scanned_at"]) <= finished  # ISO 8601 with its zone
    assert paper["text_chars"] > 50 and "text" not in paper  # the text is `sohoa text`'s job


def test_json_metadata_of_a_multi_page_attached_paper(papers):
    cli = papers["cli"]
    row, source = papers["stack"]

    paper = cli.json("show", row["id"])

    assert paper["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert paper["source_name"] == "to-khai.tif"
    assert paper["page_count"] == 2
    assert [p["page_no"] for p in paper["pages"]] == [1, 2]
    assert [p["dpi"] for p in paper["pages"]] == [200, 200]
    assert all(70 < p["confidence"] <= 100 for p in paper["pages"])
    mean = sum(p["confidence"] for p in paper["pages"]) / 2
    assert paper["mean_confidence"] == pytest.approx(mean, abs=0.01)
    assert paper["scanned_by"] == "clerk7"  # SOHOA_USER
    (attachment,) = paper["attachments"]
    assert attachment["record_code"] == CODE
    assert attachment["component"] == "Giấy chứng sinh"
    assert not attachment["is_result"]
    assert attachment["attached_by"] == "clerk7"


def test_human_output_lists_the_metadata(papers):
    cli = papers["cli"]
    row, source = papers["stack"]
    paper = cli.json("show", row["id"])

    out = cli("show", row["id"]).stdout

    fields = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        fields.setdefault(key, []).append(value.strip())
    assert fields["id"] == [str(row["id"])]
    assert fields["source_name"] == ["to-khai.tif"]
    assert fields["pdf_path"] == [paper["pdf_path"]]
    assert fields["sha256"] == [hashlib.sha256(source.read_bytes()).hexdigest()]
    assert fields["page_count"] == ["2"]
    assert fields["scanned_by"] == ["clerk7"]
    assert fields["scanned_at"] == [paper["scanned_at"]]
    assert fields["record"][0].startswith(f"{CODE} / Giấy chứng sinh (by clerk7")
    page_rows = [line for line in out.splitlines() if line.startswith("page ")]
    assert [line.split()[1] for line in page_rows] == ["1", "2"]
    assert all(" 200 dpi " in line and " confidence " in line for line in page_rows)


@pytest.mark.parametrize("paper_id", ["999", "0"])
@pytest.mark.parametrize("as_json", [False, True])
def test_unknown_id_is_one_line_and_exit_2(papers, paper_id, as_json):
    cli = papers["cli"]
    result = cli("show", paper_id, *(["--json"] if as_json else []), expect=2)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sohoa: no paper {paper_id} ") and "sohoa search" in line
    assert "Traceback" not in result.stderr


def test_non_numeric_id_is_a_usage_error(papers):
    result = papers["cli"]("show", "abc", expect=2)
    assert result.stdout == "" and "Traceback" not in result.stderr and "ID" in result.stderr


def _feeder_pdf(images, path: Path) -> Path:
    """A multi-page PDF whose pages keep each image's own resolution (as a feeder scanning mixed sheets)."""
    writer = PdfWriter()
    for n, image in enumerate(images):
        single = path.with_name(f"{path.stem}-{n}.pdf")
        image.save(single, "PDF", resolution=float(image.info["dpi"][0]))
        writer.append(single)
    writer.write(path)
    return path


def test_pages_show_their_turn_straightening_and_rescan_reasons(sohoa, tmp_path):
    stack = _feeder_pdf([page(AN, dpi=100), turned(page(AN, seed=2), 180), turned(page(AN, seed=3), 4),
                         blank_back()], tmp_path / "crooked.pdf")
    (row,) = sohoa.jsonl("scan", stack)

    pages = sohoa.json("show", row["id"])["pages"]

    assert [(p["rotation"], round(p["skew"]), p["rescan"]) for p in pages] == [
        (0, 0, ["scanned at 100 dpi, under 200"]), (180, 0, []), (0, 4, []), (0, 0, ["blank page"])]
    assert isinstance(pages[1]["rotation"], int) and isinstance(pages[2]["skew"], float)
    lines = [line for line in sohoa("show", row["id"]).stdout.splitlines() if line.startswith("page ")]
    assert lines[0].endswith(f"confidence {pages[0]['confidence']:.1f}, rescan: scanned at 100 dpi, under 200")
    assert lines[1].endswith(f"confidence {pages[1]['confidence']:.1f}, turned 180°")
    assert lines[2].endswith(f"confidence {pages[2]['confidence']:.1f}, straightened {pages[2]['skew']:.1f}°")
    assert lines[3].endswith("confidence -, rescan: blank page")
