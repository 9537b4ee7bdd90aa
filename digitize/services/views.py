"""A paper seen rather than read: its archived PDF, a page as PNG, a page's word boxes; each view logged.

Page images are rendered once and kept at ARCHIVE/cache/pages/<sha256>-<page>-<width>.png, keyed by
the archived copy's digest so a new revision (signed, rescanned) never shows a stale image.
"""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from digitize import audit
from digitize.archive import Archive
from digitize.errors import ArchiveError, InputError, NotFound
from digitize.services.access import require
from digitize.services.actor import Actor
from digitize.services.common import paper
from digitize.tools import poppler

DPI = 150  # the render when no width is asked
MIN_WIDTH, MAX_WIDTH = 16, 4000


def pdf(archive: Archive, actor: Actor, paper_id: int) -> tuple[BinaryIO, int]:
    """The archived PDF of a paper, open for reading (the caller closes it), and its size in
    bytes; the view is logged."""
    require(actor, "view")
    found = paper(archive, actor, paper_id)
    try:
        stream = archive.paper_files.open(found["pdf_path"])
        size = archive.paper_files.size(found["pdf_path"])
    except FileNotFoundError:
        raise _missing(found) from None
    audit.log(archive.catalog, actor, "view-pdf", paper_id=paper_id)
    return stream, size


def page_image(archive: Archive, actor: Actor, paper_id: int, page: int, width: int | None = None) -> Path:
    """Page `page` of a paper as PNG, `width` pixels wide (clamped to 16..4000; None: 150 dpi),
    rendered once and then served from the cache; the view is logged."""
    require(actor, "view")
    found = _page(archive, actor, paper_id, page)
    if width is not None:
        width = min(max(int(width), MIN_WIDTH), MAX_WIDTH)
    folder = archive.root / "cache" / "pages"  # derived: on the archive's folder, whatever the papers' store
    cached = folder / f"{found['pdf_sha256'] or found['sha256']}-{page}-{width or f'{DPI}dpi'}.png"
    if not cached.exists():
        folder.mkdir(parents=True, exist_ok=True)
        prefix = folder / f".tmp-{uuid.uuid4().hex}"  # same folder: os.replace is atomic
        try:
            with _at_hand(archive, found) as source:
                made = (poppler.render_page(source, page, DPI, prefix) if width is None
                        else poppler.render_page_width(source, page, width, prefix))
            os.replace(made, cached)
        finally:
            prefix.with_suffix(".png").unlink(missing_ok=True)
    audit.log(archive.catalog, actor, "view-page", paper_id=paper_id, detail=f"page {page}")
    return cached


def page_words(archive: Archive, actor: Actor, paper_id: int, page: int, query: str | None = None) -> list[dict]:
    """The words of a page with their boxes as fractions 0..1 of the page's width and height
    (origin top left): [{text, x0, y0, x1, y1}]; with a search `query`, each also says whether it
    is one the search found (`match`), to highlight it over the page's image."""
    require(actor, "view")
    found = _page(archive, actor, paper_id, page)
    with _at_hand(archive, found) as source:
        layout = poppler.words_layout(source, page)
    try:
        root = ET.fromstring(layout)
    except ET.ParseError as exc:
        raise InputError("pdftotext gave word boxes that cannot be read ({problem})", problem=str(exc)) from None
    words = []
    for sheet in root.iter():
        if _tag(sheet) != "page":
            continue
        width, height = float(sheet.get("width")), float(sheet.get("height"))
        for word in sheet.iter():
            if _tag(word) == "word" and (word.text or "").strip():
                words.append({"text": word.text.strip(),
                              "x0": _fraction(word.get("xMin"), width), "y0": _fraction(word.get("yMin"), height),
                              "x1": _fraction(word.get("xMax"), width), "y1": _fraction(word.get("yMax"), height)})
    if query:
        from index import matching_words, parse

        for word, match in zip(words, matching_words(parse(query), [w["text"] for w in words])):
            word["match"] = match
    return words


@contextmanager
def _at_hand(archive: Archive, found: dict) -> Iterator[Path]:
    """The paper's file as a local path for a program (PaperFiles.local_path)."""
    with ExitStack() as held:
        try:
            path = held.enter_context(archive.paper_files.local_path(found["pdf_path"]))
        except FileNotFoundError:
            raise _missing(found) from None
        yield path


def _missing(found: dict) -> ArchiveError:
    return ArchiveError("paper {paper}: its file {path} is missing; run sohoa check", paper=found["id"],
                        path=found["pdf_path"])


def _page(archive: Archive, actor: Actor, paper_id: int, page: int) -> dict:
    """The paper's row, or NotFound if it has no page `page` (or is out of `actor`'s scope)."""
    found = paper(archive, actor, paper_id)
    if not 1 <= page <= found["page_count"]:
        raise NotFound("paper {paper_id} has no page {number} (it has {count})", field="page",
                       paper_id=paper_id, number=page, count=found["page_count"])
    return found


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]  # without the XHTML namespace


def _fraction(value: str | None, whole: float) -> float:
    return round(min(max(float(value or 0) / whole, 0.0), 1.0), 5) if whole else 0.0
