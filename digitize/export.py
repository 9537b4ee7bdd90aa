"""A record's papers for the archive (Decree 30/2020): the PDFs in the order they were received, and
one XML file of the record's and each document's metadata under the decree's field names.

    <File>                      the record (hồ sơ)
      FileCode Title OrganName Maintenance Language StartDate EndDate DocTotal PageTotal Description
      <Document>                each paper, in the order received
        DocOrdinal FileName TypeName CodeNumber CodeNotation IssuedDate OrganName Subject Language
        PageAmount Sha256 OriginalSha256 [<Signature> Signer Serial Issuer SignedAt Level]

Dates are ISO 8601 (YYYY-MM-DD); text is NFC, UTF-8. A value the catalog does not know is an empty
element (Maintenance — the retention period — is the archive's decision, not the counter's).
"""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from digitize import metadata
from digitize.archive import Archive, fit_name

LANGUAGES = {"vie": "Tiếng Việt", "eng": "Tiếng Anh", "text-layer": "Tiếng Việt"}


def _nfc(value) -> str:
    return "" if value is None else unicodedata.normalize("NFC", str(value))


def papers_in_order(archive: Archive, record_code: str) -> list[dict]:
    """The record's papers, each once, in the order they were attached to it (received)."""
    seen, papers = set(), []
    for a in archive.catalog.papers.attached_to(record_code):
        if a["id"] not in seen:
            seen.add(a["id"])
            papers.append(a)
    return papers


def split_number(number: str | None) -> tuple[str, str]:
    """A document's "số và ký hiệu" as Decree 30's CodeNumber and CodeNotation:
    "123/2024/QĐ-UBND" → ("123", "QĐ-UBND"); a number without notation keeps it whole."""
    if not number:
        return "", ""
    parts = [p.strip() for p in number.split("/") if p.strip()]
    if len(parts) < 2:
        return number.strip(), ""
    notation = [p for p in parts[1:] if not re.fullmatch(r"\d{4}", p)]
    return parts[0], "/".join(notation)


def _languages(paper: dict) -> str:
    codes = [c for c in (paper.get("ocr_languages") or "").replace("+", ",").split(",") if c]
    names = []
    for code in codes:
        name = LANGUAGES.get(code, code)
        if name not in names:
            names.append(name)
    return ", ".join(names) or LANGUAGES["vie"]


def _add(parent: ET.Element, tag: str, value="") -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _nfc(value)
    return element


def describe(archive: Archive, record_code: str) -> tuple[ET.ElementTree, list[tuple[dict, str]]]:
    """The XML tree of the record, and its papers with the file name each is exported under."""
    catalog = archive.catalog
    record = catalog.get_record(record_code)
    rows = [catalog.get_paper(a["id"]) for a in papers_in_order(archive, record.record_code)]
    root = ET.Element("File")
    _add(root, "FileCode", record.record_code)
    _add(root, "Title", f"{record.procedure_name} - {record.applicant_name}")
    _add(root, "OrganName", record.agency)
    _add(root, "Maintenance")
    documents, named, issued = [], [], []
    for ordinal, paper in enumerate(rows, 1):
        values = {f: v["value"] for f, v in metadata.current(catalog, paper["id"]).items()}
        number, notation = split_number(values.get("number"))
        name = fit_name(_safe(f"{ordinal:02d}-{Path(paper['source_name']).stem}.pdf"), 200)
        named.append((paper, name))
        if values.get("issue_date"):
            issued.append(values["issue_date"])
        subject = " ".join(x for x in (values.get("doc_type"), values.get("holder_name")) if x)
        documents.append([
            ("DocOrdinal", ordinal), ("FileName", name), ("TypeName", values.get("doc_type")),
            ("CodeNumber", number), ("CodeNotation", notation), ("IssuedDate", values.get("issue_date")),
            ("OrganName", values.get("issuer")), ("Subject", subject or paper["source_name"]),
            ("Language", _languages(paper)), ("PageAmount", paper["page_count"]),
            ("Sha256", paper["pdf_sha256"]), ("OriginalSha256", paper["sha256"])])
    languages = []
    for paper in rows:
        for name in _languages(paper).split(", "):
            if name not in languages:
                languages.append(name)
    _add(root, "Language", ", ".join(languages) or LANGUAGES["vie"])
    _add(root, "StartDate", min(issued) if issued else record.received_date)
    _add(root, "EndDate", max(issued) if issued else (record.resolved_date or record.received_date))
    _add(root, "DocTotal", len(rows))
    _add(root, "PageTotal", sum(p["page_count"] for p in rows))
    _add(root, "Description", f"Thủ tục {record.procedure_code} {record.procedure_name}; tiếp nhận "
                              f"{record.received_date}; kênh {record.channel}")
    for (paper, _), fields in zip(named, documents):
        element = ET.SubElement(root, "Document")
        for tag, value in fields:
            _add(element, tag, value)
        for s in catalog.signatures.of_paper(paper["id"]):
            signature = ET.SubElement(element, "Signature")
            for tag, key in (("Signer", "signer_subject"), ("Serial", "signer_serial"), ("Issuer", "signer_issuer"),
                             ("SignedAt", "signed_at"), ("Level", "level")):
                _add(signature, tag, s[key])
    ET.indent(root)
    return ET.ElementTree(root), named


def _safe(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    return "".join(c if c.isprintable() and c not in '/\\:*?"<>|' else "_" for c in name)


def xml_name(record_code: str) -> str:
    return _safe(f"{record_code}.xml")


def export_record(archive: Archive, record_code: str, folder: Path) -> dict:
    """Write the record's papers and its XML into `folder` (made if missing): {record_code, folder,
    xml, files, documents, pages}."""
    tree, named = describe(archive, record_code)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for paper, name in named:
        with archive.paper_files.local_path(paper["pdf_path"]) as path:
            shutil.copyfile(path, folder / name)
        files.append(str(folder / name))
    xml = folder / xml_name(record_code)
    tree.write(xml, encoding="UTF-8", xml_declaration=True)
    return {"record_code": record_code, "folder": str(folder), "xml": str(xml), "files": files,
            "documents": len(named), "pages": sum(p["page_count"] for p, _ in named)}


def export_zip(archive: Archive, record_code: str, target: Path) -> dict:
    """The same as one zip file (for a web route): the PDFs stored as they are (no recompression
    of scans), the XML deflated."""
    tree, named = describe(archive, record_code)
    with zipfile.ZipFile(target, "w") as z:
        for paper, name in named:
            with archive.paper_files.local_path(paper["pdf_path"]) as path:
                z.write(path, name, compress_type=zipfile.ZIP_STORED)
        xml = io.BytesIO()
        tree.write(xml, encoding="UTF-8", xml_declaration=True)
        z.writestr(xml_name(record_code), xml.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    return {"record_code": record_code, "zip": str(target), "documents": len(named),
            "pages": sum(p["page_count"] for p, _ in named)}
