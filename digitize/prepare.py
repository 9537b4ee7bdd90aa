"""Image preparation before OCR: blank pages, skew, sideways pages, record codes in QR/barcodes.

Everything here looks at a small greyscale copy of the page (about 150 dpi), so it costs a few
tens of milliseconds against Tesseract's seconds; only a page that must be turned or straightened
is touched at full resolution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

ANALYSIS_DPI = 150
INK_LEVEL = 140  # darker than this (0–255) on the 150 dpi copy is ink; faint show-through is lighter
BLANK_INK = 0.0005  # a page with less ink than this fraction (margins excluded) is blank
MARGIN = 0.05  # scanner edges and punch holes live here; blank detection ignores them
MAX_SKEW = 10.0  # degrees, either way
# Measured here on a full A4 page: Tesseract reads text tilted up to 1.5° as well as straight text
# (99 % of the words in place) and starts dropping lines from 2°; turning a 300 dpi page costs
# 0.17 s (bilinear; bicubic 0.5 s). So pages tilted under 1° are left as they are.
MIN_SKEW = 1.0
SIDEWAYS_RATIO = 1.4  # column profile this much sharper than the row profile: text runs vertically

# AGENCY-YYMMDD-NNNN, e.g. 000.00.53.H48-220921-0099; a receipt's QR may wrap it in a URL.
RECORD_CODE = re.compile(r"(?<![\w.])(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4})(?![\w])")


@dataclass
class Analysis:
    blank: bool
    ink: float  # fraction of the page (inside the margins) that is ink, specks of dust left out
    skew: float  # degrees the text is tilted, counter-clockwise positive; straightened by turning back
    sideways: bool  # text lines run up and down: turned 90° or 270°


def small_grey(image: Image.Image, dpi: int) -> Image.Image:
    """A greyscale copy at about ANALYSIS_DPI (box-averaged, so scanner dust fades away)."""
    grey = image if image.mode == "L" else image.convert("L")
    factor = max(1, round(dpi / ANALYSIS_DPI))
    return grey.reduce(factor) if factor > 1 else grey


def small_copy(path, dpi: int) -> tuple[Image.Image, int]:
    """The page file as a ~ANALYSIS_DPI greyscale image, and its dpi. A JPEG is decoded straight at
    1/2 or 1/4 scale (libjpeg's DCT scaling), 4x cheaper than decoding it whole and reducing."""
    with Image.open(path) as image:
        width = image.width
        if image.format == "JPEG":
            image.draft("L", (image.width * ANALYSIS_DPI // dpi, image.height * ANALYSIS_DPI // dpi))
        grey = image.convert("L") if image.mode != "L" else image.copy()
    scaled = round(dpi * grey.width / width)
    factor = max(1, round(scaled / ANALYSIS_DPI))
    return (grey.reduce(factor) if factor > 1 else grey), round(scaled / factor)


def analyse(image: Image.Image, dpi: int) -> Analysis:
    small = np.asarray(small_grey(image, dpi))
    h, w = small.shape
    my, mx = int(h * MARGIN), int(w * MARGIN)
    ink = small[my:h - my, mx:w - mx] < INK_LEVEL
    fraction = _joined_ink(ink)
    if fraction < BLANK_INK:
        return Analysis(blank=True, ink=fraction, skew=0.0, sideways=False)
    ys, xs = np.nonzero(ink)
    skew, row_score = _best_angle(ys, xs)
    _, column_score = _best_angle(xs, ys)
    sideways = column_score > row_score * SIDEWAYS_RATIO
    return Analysis(blank=False, ink=fraction, skew=0.0 if sideways else skew, sideways=sideways)


def _joined_ink(ink: np.ndarray) -> float:
    """The fraction of ink pixels that touch another ink pixel. Print is strokes; scanner dust is
    specks on their own, which averaging down to 150 dpi only fades for scans of 300 dpi and more:
    at 200 dpi 0.1 % of dust made a blank back look printed."""
    if ink.size == 0:
        return 0.0
    joined = np.zeros_like(ink)
    joined[:, 1:] |= ink[:, :-1]
    joined[:, :-1] |= ink[:, 1:]
    joined[1:, :] |= ink[:-1, :]
    joined[:-1, :] |= ink[1:, :]
    return float((ink & joined).mean())


def _best_angle(ys: np.ndarray, xs: np.ndarray) -> tuple[float, float]:
    """Projection profile: the angle whose row histogram of ink is sharpest (text lines line up).

    Ink pixels are projected rather than the image rotated, so each angle tried is one bincount.
    Coarse 0.5° steps over ±MAX_SKEW, then 0.05° steps around the best.
    """
    step = max(1, len(ys) // 40_000)  # a sample of the ink is as sharp a witness as all of it
    ys = ys[::step].astype(np.float64)
    xs = xs[::step].astype(np.float64)
    xs -= xs.mean()

    def score(angle: float) -> float:
        rows = np.round(ys - xs * np.tan(np.radians(angle))).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        # mean squared count over mean count: 1 + CV², comparable between rows and columns
        return float(np.dot(counts, counts)) * len(counts) / len(ys) ** 2

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=score)
    fine = max(np.arange(coarse - 0.5, coarse + 0.51, 0.05), key=score)
    return -round(float(fine), 2), score(fine)


def straighten(image: Image.Image, rotation: int, skew: float) -> Image.Image:
    """Turn the page `rotation` degrees clockwise (0/90/180/270), then undo `skew`."""
    if rotation:
        image = image.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                                 270: Image.Transpose.ROTATE_90}[rotation])
    if abs(skew) >= MIN_SKEW:
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB" if image.mode in ("P", "RGBA", "CMYK") else "L")
        white = 255 if image.mode == "L" else (255, 255, 255)
        image = image.rotate(-skew, resample=Image.Resampling.BILINEAR, fillcolor=white)
    return image


def record_codes(image: Image.Image, dpi: int) -> list[str]:
    """Record codes found in the page's QR codes and barcodes, in reading order."""
    import zxingcpp  # a compiled decoder; imported only where codes are wanted

    # At 150 dpi a 2 cm QR is still ~120 px, plenty for the decoder, at a quarter of 300 dpi's pixels.
    found = zxingcpp.read_barcodes(small_grey(image, dpi))
    codes = []
    for barcode in found:
        for code in RECORD_CODE.findall(barcode.text or ""):
            if code not in codes:
                codes.append(code)
    return codes


MIN_DPI = 200  # the Vietnamese scan standard's minimum
LOW_CONFIDENCE = 60.0  # mean word confidence; clean print reads 85–97, a 100 dpi page ~70–80
FEW_WORDS = 5  # fewer words than this on a page that is not blank: nearly empty


def rescan_reasons(dpi: int, blank: bool, words: int, confidence: float | None) -> list[str]:
    """Why a scanned page should be scanned again; empty when it is fine."""
    reasons = []
    if 0 < dpi < MIN_DPI:
        reasons.append(f"scanned at {dpi} dpi, under {MIN_DPI}")
    if blank:
        reasons.append("blank page")
    elif words < FEW_WORDS:
        reasons.append(f"nearly empty ({words} words read)")
    elif confidence is not None and confidence < LOW_CONFIDENCE:
        reasons.append(f"low OCR confidence ({confidence:.0f} < {LOW_CONFIDENCE:.0f})")
    return reasons
