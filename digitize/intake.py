"""Intake: find the scans a user named and stream their pages as image files ready for OCR.

Each input file is one paper. Pages are read one at a time so memory stays flat, images are
handed to OCR as they are (no lossy re-encoding), and every way a file can be unreadable becomes
an InputError that names the problem and what to do.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import unicodedata
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from digitize.errors import EncryptedPDF, InputError, MissingDependency

SCAN_SUFFIXES = {".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png"}
MAX_PIXELS = 120_000_000  # an A3 page at 600 dpi is 70 MP; beyond this OCR takes minutes and GBs
DEFAULT_DPI = 300  # assumed when a file does not say, as for most scanner PNGs
RASTER_DPI = 300  # for PDF pages that are not a single embedded image
MIN_TEXT_LAYER_CHARS = 20  # fewer visible characters than this is no real text layer
PASSWORD_ADVICE = ("is a password-protected PDF; remove the password first "
                   "(e.g. qpdf --decrypt --password=PASSWORD in.pdf out.pdf) and scan the copy")

# Pillow's own bomb check would raise for large pages before ours can give the advice below.
Image.MAX_IMAGE_PIXELS = None
# pypdf logs what it repairs in a damaged file; with no handler Python would print it on stderr,
# where only Sohoa's one line per file belongs.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


@contextmanager
def _quiet():
    """Libraries' warnings about a damaged file: Sohoa says what is wrong in its own one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@dataclass
class Page:
    number: int
    width: int
    height: int
    dpi: int  # 0 for a page kept as vector PDF with its text layer
    mode: str
    image_path: Path | None = None  # the file to OCR
    text: str | None = None  # a real text layer, kept instead of OCR
    pdf_page: object | None = None  # the original pypdf page, copied as it is when its text is kept


def find_inputs(paths: list[Path]) -> Iterator[Path]:
    """Files as named, and the scans inside folders (recursively, sorted, links not followed)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for folder, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(folder) / name
                    if candidate.suffix.lower() in SCAN_SUFFIXES and not name.startswith(".") and not candidate.is_symlink():
                        yield candidate
        else:
            yield path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sniff(path: Path) -> str:
    """The file's real type from its first bytes, whatever its name says."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(1024)
    except FileNotFoundError:
        raise InputError("no such file; check the path") from None
    except IsADirectoryError:
        raise InputError("is a folder") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror}); check its permissions") from None
    if size == 0:
        raise InputError("is empty (0 bytes); scan the paper again")
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    raise InputError("is not a PDF, TIFF, JPEG or PNG scan; export it from the scanner in one of those formats")


def read_pages(path: Path, workdir: Path, force_ocr: bool = False) -> Iterator[Page]:
    """Yield the pages of one scan, writing images that need converting into `workdir`.

    `force_ocr` hands PDF pages that carry a text layer over as images too, to be OCR'd again.
    """
    kind = sniff(path)
    if kind == "pdf":
        yield from _pdf_pages(path, workdir, force_ocr)
    else:
        yield from _image_pages(path, workdir, kind)


def count_pages(path: Path) -> int:
    """The number of pages a scan holds, cheaply (for progress); 0 when it cannot be told."""
    try:
        if sniff(path) == "pdf":
            with open(path, "rb") as stream:  # a path would make pypdf read all of it into memory
                return len(PdfReader(stream, strict=False).pages)
        with _quiet(), Image.open(path) as image:
            return getattr(image, "n_frames", 1)
    except Exception:  # the real read reports what is wrong with it
        return 0


# -- images --------------------------------------------------------------------------------
def _image_pages(path: Path, workdir: Path, kind: str) -> Iterator[Page]:
    try:
        image = Image.open(path)
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"is not a readable {kind.upper()} image ({exc}); scan the paper again") from None
    with image:
        try:
            with _quiet():
                count = getattr(image, "n_frames", 1)
        except Exception as exc:  # Pillow raises many kinds on a damaged frame table
            raise InputError(f"is a damaged {kind.upper()} file ({_brief(exc)}); scan the paper again") from None
        for number in range(1, count + 1):
            try:
                with _quiet():
                    image.seek(number - 1)
                    _check_size(image.size, f"page {number}")
                    image.load()
                dpi = _image_dpi(image)
                # Tesseract reads single-frame PNG/JPEG of ordinary modes directly, and embeds a
                # JPEG in the PDF byte for byte; anything else becomes a lossless PNG first.
                if count == 1 and kind in ("png", "jpeg") and image.mode in ("1", "L", "RGB", "P"):
                    image_path = path
                else:
                    image_path = workdir / f"page-{number:04d}.png"
                    eight_bit(image).save(image_path, dpi=(dpi, dpi))
            except InputError:
                raise
            except Exception as exc:
                raise InputError(f"page {number} is damaged or truncated ({_brief(exc)}); scan the paper again") from None
            yield Page(number=number, width=image.width, height=image.height, dpi=dpi, mode=image.mode,
                       image_path=image_path)


def eight_bit(image: Image.Image) -> Image.Image:
    """A mode Tesseract and PDF pages take as they are: 1, L or RGB, losing neither ink nor paper."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit scans: scale to 8 bits (a plain convert clips everything above 255 to white).
        high = image.convert("I").getextrema()[1] or 1
        scale = 255 / (65535 if high > 255 else 255)
        return image.convert("I").point(lambda v: v * scale).convert("L")
    if "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        page = Image.new("RGB", rgba.size, "white")  # transparent means paper, not black
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    return image.convert("RGB")


def _image_dpi(image: Image.Image) -> int:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError):
        value = 0
    return value if 30 <= value <= 2400 else DEFAULT_DPI


def _check_size(size: tuple[int, int], where: str) -> None:
    pixels = size[0] * size[1]
    if pixels > MAX_PIXELS:
        raise InputError(
            f"{where} is {size[0]}×{size[1]} pixels ({pixels // 1_000_000} megapixels, over the "
            f"{MAX_PIXELS // 1_000_000} MP limit); rescan it at 200–300 dpi"
        )


# -- PDF -----------------------------------------------------------------------------------
def _pdf_pages(path: Path, workdir: Path, force_ocr: bool = False) -> Iterator[Page]:
    # From an open file, not the path: given a path pypdf reads the whole file into memory (a
    # 200-page batch is 200 MB). Pages kept with their text layer are copied from `path` later.
    with open(path, "rb") as stream:
        yield from _pdf_stream_pages(path, stream, workdir, force_ocr)


def _pdf_stream_pages(path: Path, stream, workdir: Path, force_ocr: bool) -> Iterator[Page]:
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except NotImplementedError:  # a security handler pypdf does not know; qpdf may
                unlocked = 0
            if not unlocked:
                raise EncryptedPDF(PASSWORD_ADVICE)
        pages = reader.pages
        count = len(pages)
    except EncryptedPDF:
        raise
    except FileNotDecryptedError:
        raise EncryptedPDF(PASSWORD_ADVICE) from None
    except DependencyError as exc:  # AES needs `cryptography`, one of Sohoa's own dependencies
        raise MissingDependency(f"cannot be opened ({_brief(exc)}); install it with: pip install cryptography") from None
    except Exception as exc:  # pypdf raises many kinds on damaged files
        count = _poppler_page_count(path)  # poppler rebuilds a broken cross-reference table
        if count is None:
            raise InputError(f"is not a readable PDF ({_brief(exc)}); re-export or rescan it") from None
        for number in range(1, count + 1):
            yield _rasterise(path, number, workdir)
        return
    if count == 0:
        raise InputError("is a PDF with no pages; re-export or rescan it")
    for number in range(1, count + 1):
        try:
            page = pages[number - 1]
            yield _pdf_page(path, page, number, workdir, force_ocr)
            # pypdf keeps every object it has read, page images included: forget them page by page
            # so a long batch does not pile up in memory (pages already handed out keep their own).
            reader.resolved_objects.clear()
        except (InputError, MissingDependency):
            raise
        except LimitReachedError:
            raise InputError(f"page {number} holds an image too large to decompress safely (a decompression "
                             "bomb); refused; rescan the paper at 200–300 dpi") from None
        except Exception as exc:
            raise InputError(f"page {number} of the PDF is damaged ({_brief(exc)}); re-export or rescan it") from None


def _pdf_page(path: Path, page, number: int, workdir: Path, force_ocr: bool = False) -> Page:
    width_pt, height_pt = float(page.mediabox.width), float(page.mediabox.height)
    text = "" if force_ocr else unicodedata.normalize("NFC", page.extract_text() or "")
    if sum(not c.isspace() for c in text) >= MIN_TEXT_LAYER_CHARS:
        return Page(number=number, width=round(width_pt), height=round(height_pt), dpi=0, mode="vector",
                    text=text.strip(), pdf_page=page)
    jpeg = _single_jpeg(page)
    if jpeg is not None:
        # The common scanner page, read without decoding it here: the OCR worker decodes it anyway.
        data, width, height, mode = jpeg
        _check_size((width, height), f"page {number}")
        image_path = workdir / f"page-{number:04d}.jpg"
        image_path.write_bytes(data)
        dpi = round(width / (width_pt / 72)) if width_pt else DEFAULT_DPI
        return Page(number=number, width=width, height=height, dpi=dpi, mode=mode, image_path=image_path)
    images = list(page.images)
    if len(images) == 1:
        # A scanner's page is one image: take it as it is rather than re-rasterising it.
        embedded = images[0]
        image = embedded.image
        _check_size(image.size, f"page {number}")
        dpi = round(image.width / (width_pt / 72)) if width_pt else DEFAULT_DPI
        stream = embedded.indirect_reference.get_object() if embedded.indirect_reference else None
        if stream is not None and stream.get("/Filter") == "/DCTDecode" and image.mode in ("L", "RGB"):
            image_path = workdir / f"page-{number:04d}.jpg"
            image_path.write_bytes(stream.get_data())  # the scanner's JPEG itself; pypdf's .data re-encodes
        else:
            image_path = workdir / f"page-{number:04d}.png"
            eight_bit(image).save(image_path, dpi=(dpi, dpi))
        return Page(number=number, width=image.width, height=image.height, dpi=dpi, mode=image.mode,
                    image_path=image_path)
    return _rasterise(path, number, workdir)


def _poppler_page_count(path: Path) -> int | None:
    """Pages poppler finds in a PDF pypdf cannot open; None unless the file is complete (ends in
    %%EOF: poppler would also render what is left of a truncated file) and poppler reads it."""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 1024))
        if b"%%EOF" not in f.read() or shutil.which("pdfinfo") is None:
            return None
    run = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)", run.stdout, re.M)
    return int(found[1]) if run.returncode == 0 and found and int(found[1]) > 0 else None


def _single_jpeg(page) -> tuple[bytes, int, int, str] | None:
    """The page's only content as (JPEG bytes, width, height, mode) when it is one plain 8-bit grey or
    RGB JPEG — pypdf's `page.images` would decode it, 0.1 s of the main process per 300 dpi page."""
    try:
        xobjects = page["/Resources"]["/XObject"].get_object()
        if len(xobjects) != 1:
            return None
        image = next(iter(xobjects.values())).get_object()
        mode = {"/DeviceGray": "L", "/DeviceRGB": "RGB"}.get(image.get("/ColorSpace"))
        if (image.get("/Subtype") != "/Image" or image.get("/Filter") != "/DCTDecode" or mode is None
                or image.get("/BitsPerComponent") != 8 or "/SMask" in image or "/Decode" in image):
            return None
        return image.get_data(), int(image["/Width"]), int(image["/Height"]), mode
    except (KeyError, TypeError, AttributeError):
        return None


def _rasterise(path: Path, number: int, workdir: Path) -> Page:
    if shutil.which("pdftoppm") is None:
        raise MissingDependency("pdftoppm is needed to read this PDF; install it with: apt-get install poppler-utils")
    prefix = workdir / f"raster-{number:04d}"
    run = subprocess.run(
        ["pdftoppm", "-r", str(RASTER_DPI), "-f", str(number), "-l", str(number), "-png", "-singlefile",
         str(path), str(prefix)],
        capture_output=True, text=True,
    )
    image_path = prefix.with_suffix(".png")
    if run.returncode != 0 or not image_path.exists():
        raise InputError(f"page {number} of the PDF cannot be rendered ({_brief(run.stderr)}); re-export or rescan it")
    with Image.open(image_path) as image:
        return Page(number=number, width=image.width, height=image.height, dpi=RASTER_DPI, mode=image.mode,
                    image_path=image_path)


def _brief(exc) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
