"""Tesseract: one page image in, text + confidence + a one-page PDF out.

Knows nothing of records or indexes. One Tesseract pass gives the text, the word table (for
confidences) and a PDF page that embeds the image untouched under an invisible text layer. Pages
are read through Tesseract's library with the model kept loaded (ocr.libtesseract), or through the
`tesseract` command (pytesseract) where the library cannot be loaded; OSD always uses the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image, UnidentifiedImageError

from ocr.errors import TesseractMissing, UnreadablePage, one_line
from ocr import libtesseract

# OpenMP threads fight over the cores when several Tesseracts run: one thread each, one process
# per core is ~6x faster here (ARCHITECTURE.md, measured facts).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

INSTALL_HINT = "install it with: apt-get install tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd"


@dataclass
class OcrResult:
    text: str
    confidence: float | None  # mean word confidence 0–100, None when no word was found
    pdf: bytes  # one PDF page: the image as given, with the text invisible on top
    language: str
    words: int


@lru_cache(maxsize=None)
def available_languages() -> frozenset[str]:
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise TesseractMissing(f"Tesseract is not installed; {INSTALL_HINT}")
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractError, OSError, subprocess.SubprocessError) as exc:
        raise TesseractMissing(f"Tesseract does not run ({exc}); {INSTALL_HINT}") from exc


def check_languages(languages: str) -> None:
    missing = [lang for lang in languages.split("+") if lang not in available_languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m}" for m in missing)
        raise TesseractMissing(
            f"Tesseract has no language data for {', '.join(missing)}; install it with: apt-get install {packages}"
        )


# Share of letters with a small piece of ink just above or below them (tone marks, circumflexes,
# breves, dots below; and the dots of i and j), measured on rendered and scanned-like pages here:
# Vietnamese print 0.22-0.35, English 0.056-0.086. Under NO_DOTS a page has no dotted letters at all
# (figures, capitals only) and says nothing of its language.
MARKED_SHARE = 0.15
NO_DOTS_SHARE = 0.03


def _has_vietnamese_marks(word: str) -> bool:
    return "đ" in word.lower() or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", word))


def _marked_words(text: str) -> float | None:
    """The share of words carrying a Vietnamese mark, or None with too few words to judge."""
    words = [w for w in unicodedata.normalize("NFC", text).split() if w.isalpha() and len(w) > 1]
    if len(words) < 8:
        return None
    return sum(map(_has_vietnamese_marks, words)) / len(words)


def looks_vietnamese(text: str) -> bool:
    """Vietnamese prose carries marks on most lines; a page with almost none is likely another language."""
    share = _marked_words(text)
    return share is None or share >= 0.05  # too little text to judge: keep the Vietnamese reading


def dotted_share(boxes: np.ndarray, dpi: int) -> float | None:
    """From the connected components of a page's ink (x, y, width, height), the share of
    letter-sized ones with a small piece right above or below them: Vietnamese marks the ink well
    before any word is read. None when the page has too little print to judge."""
    x, y, w, h = boxes.T.astype(float) if len(boxes) else np.zeros((4, 0))
    ink = (w >= dpi / 100) | (h >= dpi / 100)  # specks of scanner dust are not print
    letters = h[ink & (h >= dpi / 50) & (h <= dpi / 3) & (w <= dpi / 2)]
    if len(letters) < 20:
        return None
    size = np.median(letters)
    big = ink & (h >= 0.6 * size) & (h <= 2.5 * size) & (w <= 3 * size)
    small = ink & (h < 0.45 * size) & (w < 0.8 * size) & (h >= 0.08 * size) & (w >= 0.08 * size)
    centre = x[small] + w[small] / 2
    # a mark sits over its letter (over a capital too), a dot below under it, a little closer
    above = _over_a_letter(centre, y[small] + h[small], y[big], x[big], x[big] + w[big], 0.5 * size)
    below = _over_a_letter(centre, -y[small], -(y[big] + h[big]), x[big], x[big] + w[big], 0.35 * size)
    return float(np.count_nonzero(above | below)) / max(1, np.count_nonzero(big))


def _over_a_letter(centre, edge, letter_edge, letter_left, letter_right, gap) -> np.ndarray:
    """For each small piece: is there a letter whose edge lies 0..gap beyond the piece's `edge`,
    under the piece's horizontal `centre`? Letters are sorted by edge, so each piece is checked
    against the letters of about one text line, all pieces at once."""
    order = np.argsort(letter_edge)
    letter_edge, letter_left, letter_right = letter_edge[order], letter_left[order], letter_right[order]
    first = np.searchsorted(letter_edge, edge, "left")
    counts = np.searchsorted(letter_edge, edge + gap, "right") - first
    piece = np.repeat(np.arange(len(edge)), counts)
    letter = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    hit = (letter_left[letter] <= centre[piece]) & (centre[piece] <= letter_right[letter])
    found = np.zeros(len(edge), dtype=bool)
    found[piece[hit]] = True
    return found


class TesseractEngine:
    """Reads each page once, in the language its print shows: `language` (Vietnamese) where the ink
    carries marks, `fallback` where its letters carry none but the dots of i and j. A second
    reading is made only when the text read contradicts the look of the page, as it does on a page
    too blurred for its marks to show; the `tesseract` command backend, which cannot look at a page
    before reading it, reads `language` first and `fallback` again when the text has no marks.

    Measured here: `-l vie+eng` drops the marks of whole Vietnamese lines (Đặng → Dang), while
    `-l vie` alone misreads English (fi → ñ, d → đ): each language reads its own pages best.
    """

    name = "tesseract"

    def __init__(self, language: str = "vie", fallback: str | None = "vie+eng", timeout: int = 600,
                 backend: str = "auto"):
        if backend not in ("auto", "library", "command"):
            raise ValueError(f"backend {backend!r}: auto, library or command")
        self.language = language
        self.fallback = fallback
        self.timeout = timeout
        # "auto": the library when it loads (faster, same text), else the command
        self.backend = backend if backend != "auto" else ("library" if libtesseract.library() else "command")

    def warm(self) -> None:
        """Load this process's Tesseract for the main language now, not on its first page (a
        server's worker, waiting for uploads, has the time; the first upload then reads as fast)."""
        if self.backend == "library":
            libtesseract.reader(self.language)

    def check(self) -> None:
        check_languages(self.language)
        if self.fallback:
            check_languages(self.fallback)
        check_languages("osd")

    def orientation(self, image) -> tuple[int, float]:
        """Degrees to turn the page clockwise to stand it upright (0/90/180/270), and OSD's confidence.

        `image` is a path or a PIL image; a 150 dpi copy is enough and takes half the time of
        300 dpi (0.4 s against 0.8 s here). A page with too little text to judge gives (0, 0.0).
        """
        try:
            osd = pytesseract.image_to_osd(image, config="--psm 0", output_type=pytesseract.Output.DICT,
                                           timeout=self.timeout)
        except pytesseract.TesseractNotFoundError as exc:
            raise TesseractMissing(f"Tesseract is not installed; {INSTALL_HINT}") from exc
        except (pytesseract.TesseractError, RuntimeError):
            return 0, 0.0  # "Too few characters": nothing to turn
        return int(osd["rotate"]) % 360, float(osd["orientation_conf"])

    def read(self, image_path: Path, dpi: int) -> OcrResult:
        # Tesseract takes a file it cannot decode for a list of image paths: make sure it is an image.
        try:
            with Image.open(image_path):
                pass
        except (UnidentifiedImageError, OSError) as exc:
            raise UnreadablePage(f"Tesseract could not read the page: {image_path} is not an image ({exc})") from None
        if self.backend == "command":
            return self._read(image_path, dpi)
        try:
            with libtesseract.Page(image_path) as page:
                return self._read(page, dpi)
        except libtesseract.LibraryError as exc:
            raise UnreadablePage(f"Tesseract could not read the page ({exc})") from None

    def _read(self, page: Path | libtesseract.Page, dpi: int) -> OcrResult:
        first = self._first_language(page, dpi)
        result = self._run(page, dpi, first)
        if not self.fallback:
            return result
        if first == self.language:
            if looks_vietnamese(result.text):
                return result
            other = self._run(page, dpi, self.fallback)
            return other if (other.confidence or 0) > (result.confidence or 0) else result
        if (_marked_words(result.text) or 0) < 0.05:
            return result
        return self._run(page, dpi, self.language)  # marks the image hid (a blurred scan): they are Vietnamese

    def _first_language(self, page: Path | libtesseract.Page, dpi: int) -> str:
        if not self.fallback or not isinstance(page, libtesseract.Page):
            return self.language
        looker = libtesseract.reader(self.language)
        share = dotted_share(looker.components(page, dpi), dpi)
        if share is None or not NO_DOTS_SHARE <= share < MARKED_SHARE:
            return self.language  # read next by the reader that looked, its binarisation kept
        looker.forget(page)  # one copy of the page in Tesseract at a time
        return self.fallback

    def _run(self, page: Path | libtesseract.Page, dpi: int, language: str) -> OcrResult:
        if isinstance(page, libtesseract.Page):
            text, confidences, pdf = libtesseract.reader(language).read(page, dpi, self.timeout)
        else:
            text, confidences, pdf = self._run_command(page, dpi, language)
        confidence = round(sum(confidences) / len(confidences), 2) if confidences else None
        text = unicodedata.normalize("NFC", text).replace("\f", "").strip()
        return OcrResult(text=text, confidence=confidence, pdf=pdf, language=language, words=len(confidences))

    def _run_command(self, image_path: Path, dpi: int, language: str) -> tuple[str, list[int], bytes]:
        with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
            base = os.path.join(tmp, "page")
            try:
                pytesseract.pytesseract.run_tesseract(
                    str(image_path), base, extension="txt pdf", lang=language,
                    config=f"--dpi {int(dpi)} -c tessedit_create_tsv=1", timeout=self.timeout,
                )
            except pytesseract.TesseractNotFoundError as exc:
                raise TesseractMissing(f"Tesseract is not installed; {INSTALL_HINT}") from exc
            except (pytesseract.TesseractError, RuntimeError) as exc:
                raise UnreadablePage(f"Tesseract could not read the page ({one_line(exc)})") from exc
            return (Path(base + ".txt").read_text(encoding="utf-8"),
                    _word_confidences(Path(base + ".tsv").read_text(encoding="utf-8")), Path(base + ".pdf").read_bytes())


def _word_confidences(tsv: str) -> list[int]:
    """Each word's confidence from the command's TSV, cut to whole numbers as the library gives them."""
    confidences = []
    for line in tsv.splitlines():  # level 5 rows are words; the first row is a header
        cols = line.split("\t")
        if len(cols) == 12 and cols[0] == "5" and cols[11].strip() and float(cols[10]) >= 0:
            confidences.append(int(float(cols[10])))
    return confidences
