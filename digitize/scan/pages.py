"""One page, in a worker process: prepare its image — blank? record code? turned? skewed? faded? —
and OCR it, turning and reading it again where the first reading says it should (the turn and OCR
policy); the page's one-page PDF is written beside it."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from digitize import crashpoints, prepare
from digitize.errors import DiskFull, InputError, SohoaError, disk_full, from_library, one_line
from ocr.layers import text_over

# Below this mean word confidence a page is more likely turned than badly printed: ask OSD. Upright
# pages read 85–97 here, pages turned 90° or 180° about 40.
DOUBTFUL_CONFIDENCE = 70.0
OSD_CONFIDENCE = 1.5  # OSD's own confidence needed before a turned reading is even tried
# A faded, grainy or blurred page read under this is read again from a prepared copy. Crisp pages
# are never read twice for it, however they read; degraded ones reading 92-95 lose little.
POOR_CONFIDENCE = 92.0
HANG_READS = 6  # a worker still on one page after this many OCR timeouts is stuck: it is ended


@dataclass
class PageTask:
    """A page to read: its image, and what the reading should look for and write."""

    image_path: Path
    dpi: int
    pdf_path: Path  # where the OCR'd one-page PDF goes
    codes: bool  # look for record codes in QR codes and barcodes
    blank_pdf: bool  # a blank page is kept in its paper (not a separator): it still needs a PDF page
    owned: bool  # the image is a work file, not the user's original: deleted once the page is settled


@dataclass
class PageRead:
    """What reading a page found."""

    text: str = ""
    confidence: float | None = None
    language: str = ""
    words: int = 0
    pdf_path: Path | None = None  # None: the page is copied from the source PDF with its text layer
    blank: bool = False
    codes: list[str] = field(default_factory=list)
    rotation: int = 0
    skew: float = 0.0


def read_page(engine, task: PageTask) -> PageRead:
    """Prepare one page image and OCR it; the one-page PDF is written to `task.pdf_path`."""
    # Tesseract's own deadline covers recognition only; a page stuck in decoding or layout analysis
    # would hang its worker for good. SIGALRM's default action ends the worker, and the page is
    # retried alone (PagePool._read_again), then failed. A page reads up to 5 times (straightened or
    # not, turned, two prepared copies), each perhaps in two languages.
    signal.alarm(HANG_READS * int(engine.timeout))
    try:
        crashpoints.reached("ocr-worker")
        return _read_page(engine, task)
    except Exception as exc:
        # A work file that could not be written for want of room is no fault of the page; said here,
        # since the cause of an error does not cross back from the worker.
        if disk_full(exc):
            raise DiskFull(str(exc)) from None
        if isinstance(exc, SohoaError):
            raise
        if (kind := from_library(exc)) is not None:  # from OCR
            raise kind from exc
        # an image intake accepted but preparation cannot decode
        raise InputError(f"cannot be prepared for OCR ({one_line(exc)})") from None
    finally:
        signal.alarm(0)


def _read_page(engine, task: PageTask) -> PageRead:
    # Decisions are taken on a ~150 dpi copy; the full page is decoded only to be turned or straightened.
    small, small_dpi = prepare.small_copy(task.image_path, task.dpi)
    found = prepare.analyse(small, small_dpi)
    codes = prepare.record_codes(small, small_dpi) if task.codes else []
    if found.blank:
        done = PageRead(blank=True, codes=codes)
        if task.blank_pdf:  # no OCR: show-through only gives junk text
            with Image.open(task.image_path) as image:
                prepare.square_pixels(image).save(task.pdf_path, "PDF", resolution=float(task.dpi))
            done.pdf_path = task.pdf_path
        return done
    rotation, skew, sure = 0, found.skew, found.skew_sure
    if found.sideways:  # text runs up and down: ask OSD which way before reading
        rotation = _osd(engine, small, found, 0.0)
        if rotation:
            upright = prepare.analyse(prepare.straighten(small, rotation, 0.0), small_dpi)
            skew, sure = upright.skew, upright.skew_sure
    result = _ocr(engine, task, rotation, skew)
    if abs(skew) >= prepare.MIN_SKEW and (not sure or _confidence(result) < DOUBTFUL_CONFIDENCE):
        # A skew the two halves of the page do not agree on (a photo, a drawing) is kept only if the
        # straightened page reads better; and no straightening may cost the page its text.
        as_is = _ocr(engine, task, rotation, 0.0)
        if not _reads_better(result, as_is):
            result, skew = as_is, 0.0
    if rotation == 0 and _confidence(result) < DOUBTFUL_CONFIDENCE:
        # Upside down (or sideways unnoticed) reads as garbage of confidence ~40: OSD decides, and the
        # turned reading is kept only if it reads better. Upright pages never pay for OSD (0.4 s).
        turn = _osd(engine, small, found, skew)
        if turn:
            turned_skew = skew if turn == 180 else prepare.analyse(prepare.straighten(small, turn, 0.0), small_dpi).skew
            other = _ocr(engine, task, turn, turned_skew)
            if _confidence(other) > _confidence(result):
                result, rotation, skew = other, turn, turned_skew
    if found.degraded and _confidence(result) < POOR_CONFIDENCE:
        # Faded, grainy or blurred and read poorly: read a prepared copy (sharpened first if blurred,
        # then the other way), keep the better reading over the page as scanned.
        soft = found.sharpness < prepare.SOFT
        for sharpen in (soft, not soft):
            other = _ocr(engine, task, rotation, skew, prepared=found, sharpen=sharpen)
            if _confidence(other) >= prepare.JUNK_CONFIDENCE and _reads_better(other, result):
                result = replace(other, pdf=text_over(result.pdf, other.pdf))
            if _confidence(result) >= POOR_CONFIDENCE:
                break
    task.pdf_path.write_bytes(result.pdf)
    return PageRead(text=result.text, confidence=result.confidence, language=result.language, words=result.words,
                     pdf_path=task.pdf_path, codes=codes, rotation=rotation,
                     skew=skew if abs(skew) >= prepare.MIN_SKEW else 0.0)


def _confidence(result) -> float:
    return result.confidence or 0.0


def _reads_better(a, b) -> bool:
    """Whether reading `a` of a page is better than `b`: more words, weighted by their confidence
    squared, so that a reading padded with junk of confidence ~40 does not win by its length."""
    return a.words * _confidence(a) ** 2 > b.words * _confidence(b) ** 2


def _ocr(engine, task: PageTask, rotation: int, skew: float, prepared: prepare.Analysis | None = None,
         sharpen: bool = False):
    """OCR the page as given, or a turned/straightened copy of it with square pixels (which the PDF
    then shows); or a copy `prepared` for OCR (prepare.cleaned), whose text the caller puts over
    the page as scanned."""
    with Image.open(task.image_path) as image:
        if not rotation and abs(skew) < prepare.MIN_SKEW and prepared is None and prepare.pixel_aspect(image) == 1:
            return engine.read(task.image_path, task.dpi)
        fixed = prepare.straighten(prepare.square_pixels(image), rotation, skew)
        if prepared is not None:
            fixed = prepare.cleaned(fixed, prepared, task.dpi, sharpen)
    # A JPEG scan stays JPEG (quality 92 is visually lossless); lossless scans stay lossless.
    if task.image_path.suffix.lower() in (".jpg", ".jpeg") and fixed.mode in ("L", "RGB") and prepared is None:
        path = task.pdf_path.with_suffix(".jpg")
        fixed.save(path, quality=92, dpi=(task.dpi, task.dpi))
    else:
        path = task.pdf_path.with_suffix(".png")
        fixed.save(path, compress_level=1, dpi=(task.dpi, task.dpi))  # a work file: speed over size
    try:
        return engine.read(path, task.dpi)
    finally:
        path.unlink(missing_ok=True)


def _osd(engine, small: Image.Image, found: prepare.Analysis, skew: float) -> int:
    """Clockwise degrees to stand the page upright, when OSD is confident; else 0."""
    if found.degraded:  # OSD finds no letters in grain on grey either
        small = prepare.cleaned(small, found, prepare.ANALYSIS_DPI, sharpen=False)
    rotation, confidence = engine.orientation(prepare.straighten(small, 0, skew))
    return rotation if confidence >= OSD_CONFIDENCE else 0

