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

import pytesseract
from PIL import Image, UnidentifiedImageError

from digitize.errors import InputError, MissingDependency
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
        raise MissingDependency(f"Tesseract is not installed; {INSTALL_HINT}")
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractError, OSError, subprocess.SubprocessError) as exc:
        raise MissingDependency(f"Tesseract does not run ({exc}); {INSTALL_HINT}") from exc


def check_languages(languages: str) -> None:
    missing = [lang for lang in languages.split("+") if lang not in available_languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m}" for m in missing)
        raise MissingDependency(
            f"Tesseract has no language data for {', '.join(missing)}; install it with: apt-get install {packages}"
        )


def _has_vietnamese_marks(word: str) -> bool:
    return "đ" in word.lower() or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", word))


def looks_vietnamese(text: str) -> bool:
    """Vietnamese prose carries marks on most lines; a page with almost none is likely another language."""
    words = [w for w in unicodedata.normalize("NFC", text).split() if w.isalpha() and len(w) > 1]
    if len(words) < 8:
        return True  # too little text to judge; keep the Vietnamese reading
    return sum(map(_has_vietnamese_marks, words)) / len(words) >= 0.05


class TesseractEngine:
    """Reads a page in Vietnamese first; re-reads in `fallback` only when the page shows no
    Vietnamese marks, keeping the more confident pass.

    Measured here: `-l vie+eng` drops the marks of whole Vietnamese lines (Đặng → Dang), while
    `-l vie` alone misreads some English capitals; one pass per page covers most papers.
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
            raise MissingDependency(f"Tesseract is not installed; {INSTALL_HINT}") from exc
        except (pytesseract.TesseractError, RuntimeError):
            return 0, 0.0  # "Too few characters": nothing to turn
        return int(osd["rotate"]) % 360, float(osd["orientation_conf"])

    def read(self, image_path: Path, dpi: int) -> OcrResult:
        # Tesseract takes a file it cannot decode for a list of image paths: make sure it is an image.
        try:
            with Image.open(image_path):
                pass
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"Tesseract could not read the page: {image_path} is not an image ({exc})") from None
        result = self._run(image_path, dpi, self.language)
        if self.fallback and not looks_vietnamese(result.text):
            other = self._run(image_path, dpi, self.fallback)
            if (other.confidence or 0) > (result.confidence or 0):
                result = other
        return result

    def _run(self, image_path: Path, dpi: int, language: str) -> OcrResult:
        if self.backend == "library":
            try:
                text, confidences, pdf = libtesseract.reader(language).read(image_path, dpi, self.timeout)
            except libtesseract.LibraryError as exc:
                raise InputError(f"Tesseract could not read the page ({exc})") from None
        else:
            text, confidences, pdf = self._run_command(image_path, dpi, language)
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
                raise MissingDependency(f"Tesseract is not installed; {INSTALL_HINT}") from exc
            except (pytesseract.TesseractError, RuntimeError) as exc:
                raise InputError(f"Tesseract could not read the page ({_one_line(exc)})") from exc
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


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
