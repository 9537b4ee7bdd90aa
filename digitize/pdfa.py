"""Archive copies as PDF/A-2b (ISO 19005-2, level B), made and checked with pikepdf's PDF/A support.

`archival` turns the PDF a scan assembled into PDF/A-2b: XMP metadata (title = document type and
holder, the record code, the scanning clerk and time, the pdfaid declaration), one output intent
with pikepdf's sRGB ICC profile, the document ID; page content is not touched, so scans keep their
own compression (no lossy re-encoding) and the OCR layer its embedded font. pikepdf validates the
bytes it writes.

`findings` checks a file: pikepdf's validator, which approves only what it knows to conform; it
does not follow interactive forms, so a signed copy's signature fields (the one form a PDF/A copy
of ours holds, added as an incremental update) are checked by the rules below instead — widgets
printed with a normal appearance, their fonts embedded — together with the rules every copy must
meet whatever pikepdf says: the pdfaid declaration (part 2, conformance B), a PDF/A output intent
with its ICC profile, every font embedded, no encryption, no JavaScript.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

FLAVOUR = "2b"
logging.getLogger("pikepdf").addHandler(logging.NullHandler())


def preload() -> None:
    """Import now what the first archival copy would (about a second): for a worker waiting for jobs."""
    import pikepdf.pdfa  # noqa: F401


def _title(text: str, source_name: str) -> str:
    from digitize import metadata

    values = {f: v.value for f, v in metadata.extract(text).items()} if text else {}
    title = " - ".join(v for v in (values.get("doc_type"), values.get("holder_name")) if v)
    return title or Path(source_name).stem


def archival(pdf: Path, made: bool, text: str, source_name: str, record_code: str | None, clerk: str,
             at: datetime | None = None) -> tuple[Path, bool]:
    """The PDF/A-2b copy of `pdf` beside it (the input removed if it was a work file `made` here);
    (pdf, made) unchanged when it cannot be made conforming — `sohoa check` then reports it."""
    import pikepdf
    from pikepdf.pdfa import PdfaError, save

    out = pdf.with_name(pdf.stem + ".pdfa.pdf")
    at = (at or datetime.now().astimezone()).replace(microsecond=0)
    try:
        with pikepdf.open(pdf) as doc:
            with doc.open_metadata(set_pikepdf_as_editor=False) as xmp:
                xmp["dc:title"] = _title(text, source_name)
                xmp["dc:creator"] = [clerk]
                xmp["dc:description"] = f"Mã hồ sơ: {record_code}" if record_code else f"Số hóa từ {source_name}"
                if record_code:
                    xmp["dc:identifier"] = record_code
                xmp["dc:source"] = source_name
                xmp["xmp:CreateDate"] = at.isoformat()
                xmp["xmp:CreatorTool"] = "Sohoa (Tesseract OCR)"
            save(doc, out, FLAVOUR)
    except (PdfaError, pikepdf.PdfError, ValueError):
        out.unlink(missing_ok=True)
        return pdf, made
    if made:
        pdf.unlink(missing_ok=True)
    return out, True


def findings(path: Path) -> list[str]:
    """What keeps the file from being PDF/A-2b, one line each; [] when it conforms."""
    import pikepdf
    from pikepdf.pdfa import validate_written

    report = validate_written(path, FLAVOUR)
    try:
        with pikepdf.open(path) as pdf:
            signed_form = _signature_form_only(pdf)
            found = [str(f) for f in report.findings if not (signed_form and "/AcroForm" in f.where)]
            found += _rules(pdf)
    except pikepdf.PdfError as exc:
        return [f"cannot be read as a PDF ({' '.join(str(exc).split())[:120]})"]
    except pikepdf.PasswordError:
        return ["encrypted (PDF/A forbids encryption)"]
    return found


def _signature_form_only(pdf) -> bool:
    form = pdf.Root.get("/AcroForm")
    fields = form.get("/Fields", []) if form is not None else []
    return bool(fields) and all(f.get("/FT") == "/Sig" for f in fields)


def _rules(pdf) -> list[str]:
    """The rules of PDF/A-2b Sohoa's copies rely on, checked whatever the validator followed."""
    import pikepdf

    problems = []
    if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
        problems.append("encrypted (PDF/A forbids encryption)")
    xmp = pdf.Root.get("/Metadata")
    data = xmp.read_bytes().decode("utf-8", "replace") if xmp is not None else ""
    part = re.search(r"pdfaid:part(?:>|=\")\s*(\d)", data)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")\s*([A-Za-z])", data)
    if not (part and part[1] == "2" and conformance and conformance[1].upper() == "B"):
        problems.append("no PDF/A-2b declaration in the XMP metadata (pdfaid:part 2, conformance B)")
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
    if not intents or any("/DestOutputProfile" not in i for i in intents):
        problems.append("no PDF/A output intent with an ICC profile")
    names = pdf.Root.get("/Names")
    if "/OpenAction" in pdf.Root and pdf.Root.OpenAction.get("/S") == "/JavaScript" or (
            names is not None and "/JavaScript" in names):
        problems.append("holds JavaScript")
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        if obj.get("/S") == "/JavaScript" or "/JS" in obj:
            problems.append("holds JavaScript")
        elif obj.get("/Type") == "/Font" and obj.get("/Subtype") not in ("/Type0", "/Type3"):
            descriptor = obj.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"font {obj.get('/BaseFont')} is not embedded")
        elif obj.get("/Subtype") == "/Widget" and obj.get("/FT") == "/Sig":
            if not int(obj.get("/F", 0)) & 4 or "/AP" not in obj or "/N" not in obj.AP:
                problems.append("a signature's widget is not printed with a normal appearance")
    return sorted(set(problems))
