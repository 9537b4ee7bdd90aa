"""Intake: find the scans a user named and stream their pages as image files ready for OCR.

Each input file is one paper. Pages are read one at a time so memory stays flat, images are
handed to OCR as they are (no lossy re-encoding), and every way a file can be unreadable becomes
an InputError that names the problem and what to do.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import unicodedata
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pypdf
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from digitize import textlayer
from digitize.errors import EncryptedPDF, InputError, MissingDependency, one_line
from digitize.tools import poppler

SCAN_SUFFIXES = {".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png"}
MAX_PIXELS = 120_000_000  # an A3 page at 600 dpi is 70 MP; beyond this OCR takes minutes and GBs
DEFAULT_DPI = 300  # assumed when a file does not say, as for most scanner PNGs
RASTER_DPI = 300  # for PDF pages drawn rather than scanned (vector text, drawings)
# A page poppler renders stays within this many pixels (A2 at 300 dpi, A1 at 212): a larger page is
# rendered at a lower resolution, flagged for rescan under 200 dpi. At 300 dpi a 5000 pt page was
# 434 MP (GBs, a minute), and poppler gives back 1 pixel for pages of 14400 pt.
RASTER_MAX_PIXELS = 35_000_000
MIN_RASTER_DPI = 72  # under a pixel per point no ordinary text can be read: a larger page is refused
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
            raise InputError(f"is a damaged {kind.upper()} file ({one_line(exc)}); scan the paper again") from None
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
                    eight_bit(image).save(image_path, dpi=_dpi_pair(image, dpi))
            except InputError:
                raise
            except Exception as exc:
                raise InputError(f"page {number} is damaged or truncated ({one_line(exc)}); scan the paper again") from None
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
    return _plausible_dpi(value)


def _dpi_pair(image: Image.Image, dpi: int) -> tuple[float, float]:
    """The frame's resolution across and down, at `dpi` across: a 200×100 dpi fax frame keeps its
    non-square pixels in the work file, for the page reader to square (prepare.square_pixels)."""
    try:
        x, y = (float(v) for v in image.info["dpi"])
    except (KeyError, TypeError, ValueError):
        return dpi, dpi
    return (dpi, dpi * y / x) if x > 0 and y > 0 else (dpi, dpi)


def _plausible_dpi(value: float) -> int:
    """A resolution a scanner could have used; else DEFAULT_DPI (a file that says 1 dpi, or a full-page
    image in a 1 pt page box, 183,600 dpi: read at that, Tesseract finds no character)."""
    return round(value) if 30 <= value <= 2400 else DEFAULT_DPI


def _page_dpi(pixels: int, points: float) -> int:
    return _plausible_dpi(pixels / (points / 72) if points > 0 else 0)


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
        raise MissingDependency(f"cannot be opened ({one_line(exc)}); install it with: pip install cryptography") from None
    except Exception as exc:  # pypdf raises many kinds on damaged files
        count = _poppler_page_count(path)  # poppler rebuilds a broken cross-reference table
        if count is None:
            raise InputError(f"is not a readable PDF ({one_line(exc)}); re-export or rescan it") from None
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
        except LimitReachedError:  # a stream inflating past what its image needs
            raise InputError(f"page {number} holds an image too large to decompress safely (a decompression "
                             "bomb); refused; rescan the paper at 200–300 dpi") from None
        except Exception as exc:
            raise InputError(f"page {number} of the PDF is damaged ({one_line(exc)}); re-export or rescan it") from None


def _pdf_page(path: Path, page, number: int, workdir: Path, force_ocr: bool = False) -> Page:
    width_pt, height_pt = float(page.mediabox.width), float(page.mediabox.height)
    text = "" if force_ocr else unicodedata.normalize("NFC", page.extract_text() or "")
    # A layer of junk (a font mapping its letters wrong) would leave the page's words unsearchable: OCR it.
    if sum(not c.isspace() for c in text) >= MIN_TEXT_LAYER_CHARS and textlayer.readable(text):
        return Page(number=number, width=round(width_pt), height=round(height_pt), dpi=0, mode="vector",
                    text=text.strip(), pdf_page=page)
    sizes = _image_sizes(page)
    for width, height in sizes:  # before anything is decoded
        if width * height > MAX_PIXELS:
            raise InputError(f"page {number} holds an image of {width}×{height} pixels ({width * height // 1_000_000} "
                             f"megapixels, over the {MAX_PIXELS // 1_000_000} MP limit): too large to decompress "
                             "safely (a decompression bomb); refused; rescan the paper at 200–300 dpi")
    jpeg = _single_jpeg(page)
    if jpeg is not None:
        # The common scanner page, read without decoding it here: the OCR worker decodes it anyway.
        data, width, height, mode = jpeg
        image_path = workdir / f"page-{number:04d}.jpg"
        image_path.write_bytes(data)
        return Page(number=number, width=width, height=height, dpi=_page_dpi(width, width_pt), mode=mode,
                    image_path=image_path)
    if len(page.images) != 1:  # counted from the page's resources and content, nothing decoded
        return _rasterise(path, number, workdir)
    # A scanner's page is one image: take it as it is rather than re-rasterising it.
    try:
        with _room_to_decode(sizes):
            embedded = page.images[0]
            image = embedded.image
    except (DependencyError, NotImplementedError):  # a filter pypdf cannot decode here (JBIG2 without
        return _rasterise(path, number, workdir)    # jbig2dec): poppler renders it at its own resolution
    dpi = _page_dpi(image.width, width_pt)
    stream = embedded.indirect_reference.get_object() if embedded.indirect_reference else None
    if stream is not None and stream.get("/Filter") == "/DCTDecode" and image.mode in ("L", "RGB"):
        image_path = workdir / f"page-{number:04d}.jpg"
        image_path.write_bytes(stream.get_data())  # the scanner's JPEG itself; pypdf's .data re-encodes
    else:
        image_path = workdir / f"page-{number:04d}.png"
        eight_bit(image).save(image_path, dpi=(dpi, dpi))
    return Page(number=number, width=image.width, height=image.height, dpi=dpi, mode=image.mode,
                image_path=image_path)


def _image_sizes(page) -> list[tuple[int, int]]:
    """The declared pixel sizes of the page's image XObjects, those inside its forms included."""
    sizes, seen = [], set()

    def walk(resources, depth: int) -> None:
        try:
            xobjects = resources["/XObject"].get_object()
        except (KeyError, TypeError, AttributeError):
            return
        for ref in xobjects.values():
            xobject = ref.get_object()
            if not isinstance(xobject, dict) or id(xobject) in seen:
                continue
            seen.add(id(xobject))
            if xobject.get("/Subtype") == "/Image":
                try:
                    sizes.append((int(xobject["/Width"]), int(xobject["/Height"])))  # [] resolves references
                except (KeyError, TypeError, ValueError):
                    continue  # decoding it will say what is wrong
            elif xobject.get("/Subtype") == "/Form" and depth < 10 and "/Resources" in xobject:
                walk(xobject["/Resources"].get_object(), depth + 1)

    try:
        walk(page["/Resources"].get_object(), 0)
    except (KeyError, TypeError, AttributeError, ValueError):
        pass
    return sizes


# pypdf refuses to inflate more than 75 MB per stream, which refuses pages well under MAX_PIXELS (an
# 81 MP grey page is 81 MB). Its limits are raised, for one page, to what its images' declared sizes
# need (checked against MAX_PIXELS first): a stream inflating past that is still a bomb.
_DECODE_LIMITS = ("zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
                  "jbig2_maximum_output_length", "brotli_maximum_output_length",
                  "array_based_stream_maximum_output_length", "image_maximum_buffer_size")


def _room_to_decode(sizes: list[tuple[int, int]]):
    need = max((w * h * 4 + h for w, h in sizes), default=0)  # 4 bytes a pixel at most, a predictor byte a row
    current = pypdf.get_configuration()
    limits = {name: max(getattr(current, name), need) for name in _DECODE_LIMITS}
    limits["stream_decoding_work_maximum_length"] = max(current.stream_decoding_work_maximum_length, 2 * need)
    return pypdf.apply_configuration(**limits)


def _poppler_page_count(path: Path) -> int | None:
    """Pages poppler finds in a PDF pypdf cannot open; None unless the file is complete (ends in
    %%EOF: poppler would also render what is left of a truncated file) and poppler reads it."""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 1024))
        if b"%%EOF" not in f.read() or not poppler.available("pdfinfo"):
            return None
    try:
        count = poppler.page_count(path)
    except InputError:
        return None
    return count if count else None


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
    if not poppler.available("pdftoppm"):
        raise MissingDependency(f"pdftoppm is needed {poppler.INSTALL}")
    dpi = _raster_dpi(path, number)
    try:
        image_path = poppler.render_page(path, number, dpi, workdir / f"raster-{number:04d}")
    except InputError as exc:
        raise InputError(f"page {number} of the PDF cannot be rendered ({exc}); re-export or rescan it") from None
    with Image.open(image_path) as image:
        return Page(number=number, width=image.width, height=image.height, dpi=_plausible_dpi(dpi), mode=image.mode,
                    image_path=image_path)


def _raster_dpi(path: Path, number: int) -> float:
    """The resolution to render a page at, as poppler sees the page: that of the images covering most
    of it (a scan kept at its own pixels), else RASTER_DPI for a drawn page; lowered to fit
    RASTER_MAX_PIXELS. A page too large to fit at MIN_RASTER_DPI cannot be read and is refused."""
    try:
        size = poppler.page_size(path, number)
    except InputError:
        size = None
    if size is None:
        return RASTER_DPI  # pdftoppm will say what is wrong with the page
    width_pt, height_pt = size
    area = max(width_pt * height_pt, 1.0)
    fit = 72 * math.sqrt(RASTER_MAX_PIXELS / area)
    if fit < MIN_RASTER_DPI:
        raise InputError(f"page {number} is {width_pt / 72 * 2.54:.0f}×{height_pt / 72 * 2.54:.0f} cm, too large "
                         f"to read as a paper (it could be rendered at {fit:.0f} dpi only); export it at its paper "
                         "size (A4, A3) or print and scan it")
    dpi = math.floor(min(max(_images_dpi(path, number, area) or RASTER_DPI, MIN_RASTER_DPI), fit) * 100) / 100
    while math.ceil(width_pt * dpi / 72) * math.ceil(height_pt * dpi / 72) > RASTER_MAX_PIXELS:
        dpi -= 0.01  # pdftoppm rounds each side up
    return dpi


def _images_dpi(path: Path, number: int, area: float) -> float | None:
    """The highest resolution at which the page's images cover half of it, from `pdfimages -list`
    (which places each image on the page without decoding it); None for a page mostly drawn."""
    try:
        drawn = poppler.page_images(path, number)
    except InputError:
        return None  # the page is rendered at RASTER_DPI, and pdftoppm says what is wrong with it
    images = [(min(i.x_ppi, i.y_ppi), (i.width / i.x_ppi * 72) * (i.height / i.y_ppi * 72))
              for i in drawn if i.kind in ("image", "stencil") and i.x_ppi > 0 and i.y_ppi > 0]
    covered = 0.0
    for ppi, covers in sorted(images, reverse=True):
        covered += covers
        if covered >= area / 2:
            return ppi
    return None

