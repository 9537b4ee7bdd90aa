"""`sohoa export RECORD_CODE --to DIR`: a record's papers in the order received and one Decree 30 XML."""

from __future__ import annotations

import hashlib
import unicodedata
import xml.etree.ElementTree as ET
import zipfile

from digitize.archive import Archive
from digitize.services import Actor
from digitize.services.exporting import export_zip
from samples.render import render_page, save
from tests.conftest import RECORDS

CODE = RECORDS[0][0]  # two components: Tờ khai đăng ký khai sinh; Giấy chứng sinh


def scanned(sohoa, folder, name, lines, pages_component):
    path = save(render_page(lines, dpi=200, size_mm=(210, 100)), folder / name)
    (row,) = sohoa.jsonl("scan", path, "--record", CODE, "--component", pages_component)
    assert row["status"] == "new"
    return row


def test_export_writes_the_papers_in_order_and_the_xml(sohoa, archive_dir, register_csv, tmp_path, pki,
                                                       key_password):
    sohoa("records", "import", register_csv)
    folder = tmp_path / "in"
    folder.mkdir()
    first = scanned(sohoa, folder, "to-khai.png", ["TỜ KHAI ĐĂNG KÝ KHAI SINH", "Nguyễn Văn An"],
                    "Tờ khai đăng ký khai sinh")
    second = scanned(sohoa, folder, "giay-chung-sinh.png", ["GIẤY CHỨNG SINH", "Con của Đặng Thị Hương"],
                     "Giấy chứng sinh")
    # a name typed decomposed (NFD) comes out composed
    sohoa("edit", second["id"], "--doc-type", "Giấy chứng sinh", "--number", "12/2025/GCS",
          "--issue-date", "01/12/2025", "--issuer", unicodedata.normalize("NFD", "Bệnh viện Từ Dũ"),
          "--holder-name", "Nguyễn Văn An")
    sohoa("sign", second["id"], "--key", pki.officer.p12)

    out = tmp_path / "export"
    done = sohoa.json("export", CODE, "--to", out)
    assert done["documents"] == 2 and done["pages"] == 2
    xml_bytes = (out / f"{CODE}.xml").read_bytes()
    assert xml_bytes.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    text = xml_bytes.decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    root = ET.fromstring(xml_bytes)
    assert root.tag == "File"
    assert root.findtext("FileCode") == CODE and root.findtext("OrganName") == "UBND phường Bến Nghé"
    assert root.findtext("Title") == "Đăng ký khai sinh - Nguyễn Văn An"
    for tag in ("Maintenance", "Language", "StartDate", "EndDate", "DocTotal", "PageTotal", "Description"):
        assert root.find(tag) is not None, tag
    documents = root.findall("Document")
    assert root.findtext("DocTotal") == "2" == str(len(documents))
    assert root.findtext("PageTotal") == str(sum(int(d.findtext("PageAmount")) for d in documents)) == "2"
    assert [d.findtext("DocOrdinal") for d in documents] == ["1", "2"]
    assert [d.findtext("OriginalSha256") for d in documents] == [
        sohoa.json("show", first["id"])["sha256"], sohoa.json("show", second["id"])["sha256"]]  # order received
    doc = documents[1]
    assert doc.findtext("TypeName") == "Giấy chứng sinh"
    assert (doc.findtext("CodeNumber"), doc.findtext("CodeNotation")) == ("12", "GCS")
    assert doc.findtext("IssuedDate") == "2025-12-01" == root.findtext("StartDate") == root.findtext("EndDate")
    assert doc.findtext("OrganName") == "Bệnh viện Từ Dũ"
    assert doc.findtext("Language") == "Tiếng Việt"
    assert doc.find("Signature").findtext("Level") == "B-B"
    for d, path in zip(documents, done["files"]):
        data = open(path, "rb").read()
        assert d.findtext("FileName") == path.rsplit("/", 1)[1]
        assert hashlib.sha256(data).hexdigest() == d.findtext("Sha256")
    assert done["files"][0].endswith("01-to-khai.pdf") and done["files"][1].endswith("02-giay-chung-sinh.pdf")
    assert [e["action"] for e in sohoa.json("audit")][-1] == "export"

    # the zip the server's route returns: the same files
    with Archive(archive_dir) as archive:
        zipped = export_zip(archive, Actor("staff1"), CODE, tmp_path / "record.zip")
    assert zipped["documents"] == 2
    with zipfile.ZipFile(tmp_path / "record.zip") as z:
        assert sorted(z.namelist()) == sorted([p.rsplit("/", 1)[1] for p in done["files"]] + [f"{CODE}.xml"])
        assert z.read(f"{CODE}.xml") == xml_bytes


def test_export_of_an_unknown_record_says_so(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    result = sohoa("export", "000.00.53.H48-260105-0009", "--to", tmp_path / "x", expect=2)
    assert result.stderr.startswith("sohoa: unknown record code") and "did you mean" in result.stderr
    assert not (tmp_path / "x").exists()


def test_export_of_a_record_without_papers_is_an_empty_file(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    done = sohoa.json("export", RECORDS[2][0], "--to", tmp_path / "x")
    root = ET.parse(done["xml"]).getroot()
    assert done["files"] == [] and root.findtext("DocTotal") == "0" and root.findtext("PageTotal") == "0"
    assert root.findtext("StartDate") == "2026-02-10"
