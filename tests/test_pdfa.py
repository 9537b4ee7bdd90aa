"""Archive copies are PDF/A-2b: scanned, split and signed ones, checked by pikepdf's validator and the
rules of digitize/pdfa.py; a non-conforming file is caught; check --repair converts older copies."""

from __future__ import annotations

import hashlib
import sqlite3

import pikepdf
from pikepdf.pdfa import validate_written
from pypdf import PdfWriter

from digitize import pdfa
from samples.render import render_page, save
from tests.conftest import RECORDS, make_scan, page_lines
from tests.pages import blank_back, page
from tests.pdfs import add_page

CODE = RECORDS[1][0]


def test_a_scanned_copy_is_pdfa_2b_with_its_metadata(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    scan = make_scan(tmp_path / "to-khai.jpg", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương"), dpi=200)
    (row,) = sohoa.jsonl("scan", scan, "--record", CODE)
    shown = sohoa.json("show", row["id"])
    path = shown["pdf_path"]
    assert pdfa.findings(path) == []
    assert validate_written(path, "2b").passed
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        doc_type = shown["metadata"]["doc_type"]["value"]
        assert doc_type and meta["dc:title"] == f"{doc_type} - Đặng Thị Hương"  # document type and holder
        assert meta["dc:identifier"] == CODE and meta["dc:creator"] == ["clerk1"]
        assert meta["xmp:CreateDate"]
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and len(intent.DestOutputProfile.read_bytes()) > 1000
        (image,) = [x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Image"]
        assert image.Filter == "/DCTDecode" and image.read_raw_bytes() == scan.read_bytes()  # not re-encoded


def test_split_and_signed_copies_are_pdfa_too(sohoa, tmp_path, pki, key_password):
    from samples.render import save_multipage

    batch = save_multipage([page(page_lines("GIẤY KHAI SINH", "Lê Văn Một"), dpi=200), blank_back(dpi=200),
                            page(page_lines("GIẤY KHAI SINH", "Lê Văn Hai"), dpi=200, seed=2)], tmp_path / "lo.tif")
    rows = sohoa.jsonl("scan", batch, "--split", "blank")
    assert [r["status"] for r in rows] == ["new", "new"]
    for r in rows:
        assert pdfa.findings(r["pdf_path"]) == []
    sohoa("sign", rows[0]["id"], "--key", pki.officer.p12, "--tsa", pki.tsa_url)
    signed = sohoa.json("show", rows[0]["id"])["pdf_path"]
    assert signed.endswith(".s1.pdf") and pdfa.findings(signed) == []
    assert sohoa.json("check")["ok"]


def test_non_conforming_files_are_caught(tmp_path):
    plain = tmp_path / "plain.pdf"
    render_page(["Giấy tờ"], dpi=100, size_mm=(100, 50)).save(plain, resolution=100.0)
    found = pdfa.findings(plain)
    assert any("pdfaid" in f for f in found) and any("output intent" in f for f in found)

    # a copy that was conforming, then given JavaScript
    good = tmp_path / "good.pdf"
    path, _ = pdfa.archival(plain, False, "", "plain.pdf", None, "clerk1")
    assert pdfa.findings(path) == []
    with pikepdf.open(path) as pdf:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        pdf.save(good)
    assert "holds JavaScript" in pdfa.findings(good)

    # text in a font that is not embedded
    writer = PdfWriter()
    font = writer._add_object(pikepdf_free_font())
    add_page(writer, (200, 100), b"BT /F1 12 Tf 10 50 Td (Giay to) Tj ET", fonts={"F1": font})
    loose = tmp_path / "font.pdf"
    writer.write(loose)
    converted, _ = pdfa.archival(loose, False, "", "font.pdf", None, "clerk1")
    assert converted == loose  # pikepdf's save refuses to call it PDF/A: left as it was
    assert any("not embedded" in f for f in pdfa.findings(loose))


def pikepdf_free_font():
    from pypdf.generic import DictionaryObject, NameObject

    return DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})


def test_check_repair_converts_an_older_copy_keeping_its_identity(sohoa, archive_dir, tmp_path):
    path = save(render_page(["Giấy xác nhận của Võ Thị Mười"], dpi=200, size_mm=(210, 100)), tmp_path / "g.png")
    (row,) = sohoa.jsonl("scan", path)
    before = sohoa.json("show", row["id"])
    # as an archive made before PDF/A copies holds it: no XMP, no output intent
    with pikepdf.open(before["pdf_path"], allow_overwriting_input=True) as pdf:
        del pdf.Root.Metadata
        del pdf.Root.OutputIntents
        pdf.save(before["pdf_path"])
    older = hashlib.sha256(open(before["pdf_path"], "rb").read()).hexdigest()
    with sqlite3.connect(archive_dir / "catalog.sqlite") as db:
        db.execute("UPDATE papers SET pdf_sha256 = ? WHERE id = ?", (older, row["id"]))
    db.close()

    report = sohoa.json("check", expect=1)
    (problem,) = report["problems"]
    assert problem["kind"] == "not-pdfa" and problem["paper_id"] == row["id"]
    repaired = sohoa.json("check", "--repair")
    assert repaired["ok"] and "converted 1 of 1 copy(ies) to PDF/A-2b" in repaired["repaired"]
    after = sohoa.json("show", row["id"])
    assert after["sha256"] == before["sha256"] and after["pdf_sha256"] != older
    assert after["pdf_sha256"] == hashlib.sha256(open(after["pdf_path"], "rb").read()).hexdigest()
    assert pdfa.findings(after["pdf_path"]) == []
    assert [e["action"] for e in sohoa.json("audit", "--paper", row["id"])][-1] == "pdfa"
    assert sohoa.json("check")["ok"]
