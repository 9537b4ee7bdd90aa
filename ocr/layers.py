"""One page's image from one reading, its invisible text from another.

A page Tesseract reads better from a prepared copy (contrast stretched, sharpened) must still show
the image as scanned. Both readings are Tesseract's one-page PDFs of images of the same size,
which name their image /Im1 and their font /f-0-0 alike: the prepared reading's page drawing, put
in place of the scanned page's, draws the scanned image under the prepared reading's text.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject


def text_over(image_pdf: bytes, text_pdf: bytes) -> bytes:
    """`image_pdf`'s page with `text_pdf`'s text layer instead of its own."""
    writer = PdfWriter(clone_from=io.BytesIO(image_pdf))
    writer.pdf_header = image_pdf[:8]  # Tesseract's %PDF-1.5, not pypdf's default 1.3
    page = writer.pages[0]
    source = PdfReader(io.BytesIO(text_pdf)).pages[0]
    if [round(float(v), 2) for v in source.mediabox] != [round(float(v), 2) for v in page.mediabox]:
        raise ValueError("the two readings are of pages of different sizes")
    drawing = DecodedStreamObject()
    drawing.set_data(source.get_contents().get_data())
    page.replace_contents(drawing.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
