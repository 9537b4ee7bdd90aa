"""The archive PDF of one paper, from its pages' OCR'd PDFs and the pages of the source PDF kept
as they are (already searchable): by qpdf when installed, else by pypdf."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader, PdfWriter

from digitize import signatures
from digitize.scan.cutting import Paper
from digitize.tools import qpdf


def assemble_pdf(source: Path, paper: Paper, workdir: Path) -> tuple[Path, bool]:
    """The file holding the paper's PDF, and whether it was made here (a work file to delete).
    Files, not bytes: a 200-page paper is 200 MB, and is only ever copied in blocks."""
    sources = [read.pdf_path for _, read in paper.pages]
    if paper.whole and (all(s is None for s in sources) or signatures.might_be_signed(source)):
        # every page already searchable, or signed (pages of our own would void its signatures; the
        # OCR text still goes to the catalog): archive the original as is
        return source, False
    if len(sources) == 1 and sources[0] is not None:
        return sources[0], False  # the page's own PDF, deleted with the page
    out = workdir / f"paper-{paper.first:04d}.pdf"
    if qpdf.available():
        # qpdf copies page by page from the files; pypdf holds every page in memory twice over
        # (420 MB for 200 pages). Kept pages come from the source PDF as they are.
        qpdf.merge_pages([(source, page.number) if pdf is None else (pdf, 1)
                          for (page, _), pdf in zip(paper.pages, sources)], out)
        return out, True
    writer = PdfWriter()
    original = PdfReader(source) if None in sources else None
    for (page, _), pdf in zip(paper.pages, sources):
        writer.add_page(original.pages[page.number - 1] if pdf is None else PdfReader(pdf).pages[0])
    writer.add_metadata({"/Title": source.stem, "/Producer": "Sohoa (Tesseract OCR)"})
    writer.write(out)
    return out, True
