"""`sohoa scan`: every supported format in, one searchable PDF per paper out; bad files set aside."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFont
from pypdf import PdfReader, PdfWriter

from digitize.archive import Archive
from digitize.scan.scanner import Scanner
from ocr import TesseractEngine
from samples.render import font_path, save_multipage
from tests.conftest import make_scan, page_lines
from tests.pages import AN, blank_back, page, receipt, turned

HUONG = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"])


def test_each_format_becomes_one_searchable_pdf(sohoa, archive_dir, tmp_path):
    batch = tmp_path / "batch"
    make_scan(batch / "a.png", HUONG, dpi=300)
    make_scan(batch / "b.jpg", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Nguyễn Văn An"), dpi=200)
    make_scan(batch / "c.tif", page_lines("GIẤY KHAI SINH", "Trần Thị Ngọc Ánh"), dpi=300, pages=2)
    make_scan(batch / "d.pdf", page_lines("PHIẾU LÝ LỊCH TƯ PHÁP", "Phạm Đức Thắng"), dpi=200, pages=2)

    rows = sohoa.jsonl("scan", batch)

    assert [(r["source_name"], r["status"], r["pages"]) for r in rows] == [
        ("a.png", "new", 1), ("b.jpg", "new", 1), ("c.tif", "new", 2), ("d.pdf", "new", 2)]
    for row in rows:
        assert row["error"] is None and isinstance(row["id"], int)
        pdf = PdfReader(row["pdf_path"])
        assert pdf.pdf_header >= "%PDF-1.4"
        assert len(pdf.pages) == row["pages"]
        assert "Họ, chữ đệm và tên" in pdf.pages[0].extract_text()  # the invisible text layer
    # Page images keep their resolution and colour: the JPEG is embedded byte for byte.
    xobjects = PdfReader(rows[1]["pdf_path"]).pages[0]["/Resources"]["/XObject"]
    (embedded,) = [x.get_object() for x in xobjects.values()]
    assert embedded["/Filter"] == "/DCTDecode" and embedded.get_data() == (batch / "b.jpg").read_bytes()
    with Image.open(batch / "a.png") as original:
        assert PdfReader(rows[0]["pdf_path"]).pages[0].images[0].image.size == original.size

    paper = sohoa.json("show", rows[0]["id"])
    assert paper["page_count"] == 1 and paper["scanned_by"] == "clerk1"
    assert paper["pages"][0]["dpi"] == 300 and paper["pages"][0]["confidence"] > 70
    assert "Đặng Thị Hương" in sohoa("text", rows[0]["id"]).stdout


def test_rescan_skips_by_content_and_never_duplicates(sohoa, archive_dir, tmp_path):
    first = make_scan(tmp_path / "x.png", HUONG)
    copy = tmp_path / "copy-of-x.png"
    copy.write_bytes(first.read_bytes())

    (row,) = sohoa.jsonl("scan", first)
    again = sohoa.jsonl("scan", first, copy)

    assert [r["status"] for r in again] == ["skipped", "skipped"]
    assert {r["id"] for r in again} == {row["id"]}
    assert "already archived" in again[0]["note"]
    with sqlite3.connect(archive_dir / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 1
    assert len(list((archive_dir / "papers").rglob("*.pdf"))) == 1
    summary = sohoa("scan", first).stdout
    assert "0 new, 1 skipped, 0 failed" in summary


def test_pdf_with_text_layer_is_kept_not_reocred(sohoa, tmp_path):
    image = make_scan(tmp_path / "page.png", HUONG)
    subprocess.run(["tesseract", str(image), str(tmp_path / "searchable"), "-l", "vie", "pdf"],
                   check=True, capture_output=True)
    source = tmp_path / "searchable.pdf"

    (row,) = sohoa.jsonl("scan", source)

    paper = sohoa.json("show", row["id"])
    assert paper["pages"][0]["text_source"] == "text-layer"
    assert Path(row["pdf_path"]).read_bytes() == source.read_bytes()
    assert "Hương" in sohoa("text", row["id"]).stdout


def _bad_files(folder: Path) -> dict[str, int]:
    """Each kind of broken input, with the exit code it must get."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.png").write_bytes(b"")
    good = make_scan(folder / "whole.jpg", HUONG, dpi=200)
    (folder / "truncated.jpg").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    (folder / "notes.pdf").write_text("this is a text file, not a PDF\n")
    tif = make_scan(folder / "stack.tif", HUONG, pages=2)
    (folder / "truncated.tif").write_bytes(tif.read_bytes()[: len(tif.read_bytes()) // 2])
    tif.unlink()
    good.unlink()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret", algorithm="RC4-128")
    with open(folder / "locked.pdf", "wb") as f:
        writer.write(f)
    return {"empty.png": 3, "truncated.jpg": 3, "notes.pdf": 3, "truncated.tif": 3, "locked.pdf": 4}


def test_bad_files_fail_alone_with_a_reason_and_are_set_aside(sohoa, archive_dir, tmp_path):
    batch = tmp_path / "batch"
    expected = _bad_files(batch)
    make_scan(batch / "good.png", HUONG)

    result = sohoa("scan", batch, "--json", expect=3)  # mixed failures: the generic input-error code

    rows = {r["source_name"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["good.png"]["status"] == "new"
    for name, code in expected.items():
        assert rows[name]["status"] == "failed", name
        assert rows[name]["exit_code"] == code, name
        assert rows[name]["error"], name
    assert "password" in rows["locked.pdf"]["error"] and "qpdf --decrypt" in rows["locked.pdf"]["error"]
    assert "0 bytes" in rows["empty.png"]["error"]
    stderr_lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("progress: ")]
    assert len(stderr_lines) == len(expected) and all(line.startswith("sohoa: ") for line in stderr_lines)
    quarantined = {p.name.split("-", 2)[-1] for p in (archive_dir / "quarantine").iterdir() if p.suffix != ".txt"}
    assert quarantined == set(expected)
    assert all((batch / name).exists() for name in expected)  # originals untouched


def test_a_single_encrypted_pdf_gets_its_own_exit_code(sohoa, tmp_path):
    _bad_files(tmp_path / "bad")
    result = sohoa("scan", tmp_path / "bad" / "locked.pdf", expect=4)
    assert "locked.pdf" in result.stderr and "Traceback" not in result.stderr


def test_attach_to_record_component_and_result(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    paper = make_scan(tmp_path / "to-khai.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương"))
    result_paper = make_scan(tmp_path / "giay-khai-sinh.png", page_lines("GIẤY KHAI SINH", "Đặng Thị Hương"))

    (row,) = sohoa.jsonl("scan", paper, "--record", "000.00.53.H48-260106-0002",
                         "--component", "tờ khai đăng ký khai sinh")
    (res,) = sohoa.jsonl("scan", result_paper, "--record", "000.00.53.H48-260106-0002", "--result")

    assert (row["record_code"], row["component"]) == ("000.00.53.H48-260106-0002", "Tờ khai đăng ký khai sinh")
    assert res["is_result"] is True
    attachments = sohoa.json("show", row["id"])["attachments"]
    assert attachments[0]["component"] == "Tờ khai đăng ký khai sinh"


def test_unknown_record_or_component_is_refused_with_the_choices(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    paper = make_scan(tmp_path / "p.png", HUONG)

    unknown = sohoa("scan", paper, "--record", "000.00.53.H48-260105-0009", "--component", "x", expect=2)
    assert "unknown record code" in unknown.stderr and "000.00.53.H48-260105-0001" in unknown.stderr

    wrong = sohoa("scan", paper, "--record", "000.00.53.H48-260105-0001", "--component", "Sổ hộ khẩu", expect=2)
    assert "Tờ khai đăng ký khai sinh; Giấy chứng sinh" in wrong.stderr


def test_console_script_reports_bad_input_without_traceback(archive_dir, tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    sohoa_bin = Path(sys.executable).with_name("sohoa")
    run = subprocess.run([str(sohoa_bin), "scan", str(tmp_path / "empty.pdf")], capture_output=True, text=True)
    assert run.returncode == 3
    assert run.stderr.strip().splitlines() == [f"sohoa: {tmp_path / 'empty.pdf'}: is empty (0 bytes); scan the paper again"]


@pytest.mark.parametrize("args", [["--component", "x"], ["--result"]])
def test_component_or_result_without_record_is_a_usage_error(sohoa, tmp_path, args):
    paper = make_scan(tmp_path / "p.png", HUONG)
    assert "need --record" in sohoa("scan", paper, *args, expect=2).stderr


# -- batches: splitting, record codes, upright pages --------------------------------------------
def _text_pages(sohoa, paper_id) -> list[str]:
    return sohoa("text", paper_id).stdout.split("\f")


def test_blank_separator_splits_a_batch_and_a_rerun_skips_every_paper(sohoa, archive_dir, tmp_path):
    batch = save_multipage([page(HUONG), blank_back(), page(AN, seed=2), page(AN + ["Trang 2"], seed=3)],
                           tmp_path / "batch.pdf")

    rows = sohoa.jsonl("scan", batch, "--split", "blank")

    assert [(r["source_name"], r["status"], r["page_range"], r["pages"]) for r in rows] == [
        ("batch.pdf", "new", "1", 1), ("batch.pdf", "new", "3-4", 2)]
    assert all(r["record_code"] is None and r["rescan"] == [] for r in rows)
    assert "Đặng Thị Hương" in sohoa("text", rows[0]["id"]).stdout
    second = _text_pages(sohoa, rows[1]["id"])
    assert len(second) == 2 and all("Nguyễn Văn An" in t for t in second)
    assert len(PdfReader(rows[1]["pdf_path"]).pages) == 2

    again = sohoa.jsonl("scan", batch, "--split", "blank")
    assert [(r["status"], r["id"], r["page_range"]) for r in again] == [
        ("skipped", rows[0]["id"], "1"), ("skipped", rows[1]["id"], "3-4")]
    with sqlite3.connect(archive_dir / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 2
    summary = sohoa("scan", batch, "--split", "blank").stdout
    assert "batch.pdf p.3-4" in summary and "0 new, 2 skipped, 0 failed" in summary


def test_a_blank_separator_scanned_at_200_dpi_still_splits(sohoa, tmp_path):
    # 200 dpi is the scan standard's minimum and many counters' setting; dust on the back is not print.
    batch = save_multipage([page(HUONG, dpi=200), blank_back(dpi=200), page(AN, dpi=200, seed=2)],
                           tmp_path / "batch-200dpi.pdf")

    rows = sohoa.jsonl("scan", batch, "--split", "blank")

    assert [(r["status"], r["page_range"], r["rescan"]) for r in rows] == [("new", "1", []), ("new", "3", [])]


def test_receipt_qr_assigns_the_papers_after_it_to_its_record(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    code = "000.00.53.H48-260106-0002"  # registered, with one component
    stack = save_multipage([page(HUONG), receipt(code), page(AN, seed=2), blank_back(), page(AN, seed=5)],
                           tmp_path / "stack.pdf")

    rows = sohoa.jsonl("scan", stack, "--split", "blank")

    assert [(r["page_range"], r["pages"], r["record_code"], r["component"]) for r in rows] == [
        ("1", 1, None, None),
        ("3", 1, code, "Tờ khai đăng ký khai sinh"),
        ("5", 1, code, "Tờ khai đăng ký khai sinh")]
    assert sohoa.json("show", rows[2]["id"])["attachments"][0]["record_code"] == code
    summary = sohoa("scan", stack, "--split", "blank").stdout
    assert f"stack.pdf p.5 (already archived as paper {rows[2]['id']}" in summary


def test_split_code_cuts_at_receipts_only_and_keeps_unregistered_codes(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    known, unknown = "000.00.53.H48-260106-0002", "000.00.53.H48-260107-0009"
    stack = save_multipage([receipt(known), page(AN, seed=2), blank_back(), page(AN, seed=3),
                            receipt(unknown), page(HUONG, seed=4)], tmp_path / "stack.pdf")

    result = sohoa("scan", stack, "--split", "code", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]

    assert [(r["page_range"], r["pages"], r["record_code"]) for r in rows] == [("2-4", 3, known), ("6", 1, unknown)]
    assert rows[0]["rescan"] == ["page 2: blank page"]  # kept inside the paper, and said so
    assert rows[1]["component"] is None and "not in the register" in rows[1]["note"]
    assert sohoa.json("show", rows[1]["id"])["attachments"] == []


def _ink_height(image: Image.Image) -> float:
    """How far down the page its ink sits on average, 0 (top) to 1 (bottom); these pages' text is on top."""
    ys, _ = np.nonzero(np.asarray(image.convert("L")) < 128)
    return float(ys.mean()) / image.height


def test_turned_and_skewed_pages_are_archived_upright_and_read_like_straight_ones(sohoa, archive_dir, tmp_path):
    pages = [page(AN), turned(page(AN, seed=2), 180), turned(page(AN, seed=3), 4), turned(page(AN, seed=4), 90)]
    stack = save_multipage(pages, tmp_path / "crooked.tif")

    (row,) = sohoa.jsonl("scan", stack)

    for text in _text_pages(sohoa, row["id"]):
        for key in ("Nguyễn Văn An", "Bệnh viện Từ Dũ", "05/11/2023", "Quốc tịch: Việt Nam"):
            assert key in text
    with sqlite3.connect(archive_dir / "catalog.sqlite") as db:
        corrections = db.execute("SELECT rotation, skew, confidence FROM pages WHERE paper_id = ? ORDER BY page_no",
                                 (row["id"],)).fetchall()
    assert [r[0] for r in corrections] == [0, 180, 0, 90]
    assert [round(r[1]) for r in corrections] == [0, 0, 4, 0]
    straight = corrections[0][2]
    assert all(confidence > straight - 5 for _, _, confidence in corrections)
    archived = [p.images[0].image for p in PdfReader(row["pdf_path"]).pages]
    assert archived[3].width > archived[3].height  # turned back to landscape
    assert all(_ink_height(image) < 0.45 for image in archived)  # text at the top: upright
    assert row["rescan"] == []


def test_force_ocr_reads_a_text_layer_again(sohoa, tmp_path):
    image = make_scan(tmp_path / "page.png", HUONG)
    subprocess.run(["tesseract", str(image), str(tmp_path / "searchable"), "-l", "vie", "pdf"],
                   check=True, capture_output=True)

    (row,) = sohoa.jsonl("scan", tmp_path / "searchable.pdf", "--force-ocr")

    (page_info,) = sohoa.json("show", row["id"])["pages"]
    assert page_info["text_source"] == "ocr" and page_info["confidence"] > 70
    assert "Hương" in sohoa("text", row["id"]).stdout


def test_progress_goes_to_stderr_and_stdout_stays_json(sohoa, tmp_path, monkeypatch):
    monkeypatch.setattr("digitize.progress.Progress.__init__.__defaults__", (None, 0.0))  # a line per step
    make_scan(tmp_path / "a.png", HUONG)
    result = sohoa("scan", tmp_path / "a.png", "--json")
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()] == ["new"]
    assert "progress: 1/1 pages, 0 papers" in result.stderr and "pages/min" in result.stderr


def _vector_page(lines: list[str], path: Path) -> Path:
    """A one-page PDF of real vector text, as an e-form printed to PDF: DejaVu Sans embedded, each
    Vietnamese letter given a code of its own (uniXXXX glyph names in /Differences), no image at all."""
    font = font_path("sans")
    extra = sorted({c for line in lines for c in line if ord(c) > 126})
    codes = {**{chr(n): n for n in range(32, 127)}, **{c: 128 + n for n, c in enumerate(extra)}}
    chars = {code: c for c, code in codes.items()}
    last = max(chars)
    measure = ImageFont.truetype(str(font), 1000)  # advance widths in thousandths of the font size
    widths = " ".join(str(round(measure.getlength(chars[n]))) if n in chars else "0" for n in range(32, last + 1))
    shown = " ".join(f"<{bytes(codes[c] for c in line).hex()}> Tj T*" for line in lines)
    content = f"BT /F1 12 Tf 60 780 Td 18 TL {shown} ET".encode()
    font_data = font.read_bytes()
    packed = zlib.compress(font_data)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        (f"<< /Type /Font /Subtype /TrueType /BaseFont /DejaVuSans /FirstChar 32 /LastChar {last} "
         f"/Widths [{widths}] /FontDescriptor 6 0 R /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding "
         f"/Differences [128 {' '.join(f'/uni{ord(c):04X}' for c in extra)}] >> >>").encode(),
        b"<< /Type /FontDescriptor /FontName /DejaVuSans /Flags 32 /FontBBox [-1021 -463 1793 1232] "
        b"/ItalicAngle 0 /Ascent 928 /Descent -236 /CapHeight 729 /StemV 80 /FontFile2 7 0 R >>",
        b"<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
        % (len(packed), len(font_data), packed),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(out)
    return path


def test_a_split_batch_keeps_a_text_layer_page_as_it_is(sohoa, tmp_path):
    form = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "TỜ KHAI ĐĂNG KÝ KHAI SINH",
            "Họ, chữ đệm và tên: Trần Thị Ngọc Ánh", "Nơi cư trú: 12 Nguyễn Huệ, phường Bến Nghé"]
    images = save_multipage([page(HUONG), page(AN, seed=2), blank_back(), page(AN, seed=3)], tmp_path / "images.pdf")
    writer = PdfWriter()  # image, e-form printed to PDF, image, blank separator, image
    writer.append(images, pages=[0])
    writer.append(_vector_page(form, tmp_path / "form.pdf"))
    writer.append(images, pages=[1, 2, 3])
    batch = tmp_path / "batch.pdf"
    writer.write(batch)

    rows = sohoa.jsonl("scan", batch, "--split", "blank")

    assert [(r["status"], r["page_range"], r["pages"], r["rescan"]) for r in rows] == [
        ("new", "1-3", 3, []), ("new", "5", 1, [])]
    shown = sohoa.json("show", rows[0]["id"])
    assert [(p["text_source"], p["mode"]) for p in shown["pages"]] == [("ocr", "L"), ("text-layer", "vector"),
                                                                       ("ocr", "L")]
    form_page = shown["pages"][1]
    assert form_page["confidence"] is None and form_page["language"] == "" and form_page["rescan"] == []
    ocr_confidences = [shown["pages"][0]["confidence"], shown["pages"][2]["confidence"]]
    assert shown["mean_confidence"] == pytest.approx(sum(ocr_confidences) / 2, abs=0.01)  # the form not counted
    texts = _text_pages(sohoa, rows[0]["id"])
    assert texts[1] == "\n".join(form)  # the form's own text, letter for letter: not an OCR reading
    assert "Đặng Thị Hương" in texts[0] and "Nguyễn Văn An" in texts[2]
    archived = PdfReader(rows[0]["pdf_path"])
    assert len(archived.pages) == 3 and len(PdfReader(rows[1]["pdf_path"]).pages) == 1
    assert "/XObject" not in archived.pages[1]["/Resources"]  # still vector text, not a picture of it
    assert archived.pages[1].extract_text().strip() == "\n".join(form)
    assert len(archived.pages[0].images) == 1 and len(archived.pages[2].images) == 1


class UnreadableEngine(TesseractEngine):
    """Real Tesseract handed a work file that is gone: it raises the OCR library's own error, in a worker."""

    def read(self, image_path, dpi):
        return super().read(Path(image_path).with_name("gone.png"), dpi)


def test_an_ocr_error_in_a_worker_fails_its_file_as_an_input_error(tmp_path):
    scan = make_scan(tmp_path / "batch" / "a.png", HUONG)
    with Archive(tmp_path / "archive") as archive:
        outcomes = list(Scanner(archive, UnreadableEngine(), user="clerk", processes=1).scan([scan]))

    assert [(o.status, o.exit_code) for o in outcomes] == [("failed", 3)]
    assert outcomes[0].error.startswith("page 1: Tesseract could not read the page")
    assert "gone.png is not an image" in outcomes[0].error
