"""Image preparation before OCR: blank pages, skew, sideways pages, record codes in QR/barcodes,
and a cleaned copy of faded, grainy or blurred pages for a second reading.

Everything here looks at a small greyscale copy of the page (about 150 dpi), so it costs a few
tens of milliseconds against Tesseract's seconds; only a page that must be turned, straightened
or read again from a cleaned copy is touched at full resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from digitize.codes import codes_in
from digitize.tools import zxing

ANALYSIS_DPI = 150
# Ink is judged against the page's own paper and print (a photocopy of a photocopy is grey ~140 on
# grey ~215, a pink form's paper ~215, an over-bright scan's print ~160 on white): a mark is ink when
# it is darker than halfway from the paper to the print. Never lighter than INK_CEILING, nor than
# SHOW_THROUGH darker than the paper: show-through from the back of a sheet (grey ~225 on white,
# 12 %) is lighter than any print, however faded (170 on 200 is 15 %).
INK_CEILING = 200
SHOW_THROUGH = 0.135
MARK_STEP = 16  # a mark is at least this much darker than the paper (and 4 sigma of its grain)
BLANK_INK = 0.0005  # a page with less ink than this fraction (margins excluded) is blank
MARGIN = 0.05  # scanner edges and punch holes live here; blank detection ignores them
# A page is worth preparing for a second reading when its first was poor and it is faded (print
# and paper closer than this), grainy (paper's noise, grey levels) or out of focus (its steepest
# edges, relative to the contrast, under SOFT: crisp print measures 0.8-0.95 on the 150 dpi copy,
# a 2 px blur at 300 dpi 0.45, 3 px 0.3).
FADED_CONTRAST = 160
NOISY = 3.0
SOFT = 0.5
MAX_SKEW = 10.0  # degrees, either way
# Measured here on a full A4 page: Tesseract reads text tilted up to 1.5° as well as straight text
# (99 % of the words in place) and starts dropping lines from 2°; turning a 300 dpi page costs
# 0.17 s (bilinear; bicubic 0.5 s). So pages tilted under 1° are left as they are.
MIN_SKEW = 1.0
# The angle is searched a little beyond MAX_SKEW: a profile that is still sharpening at the edge of
# the range (a photo, a hatched drawing) has no peak there, and is no skew.
SKEW_SEARCH = MAX_SKEW + 1.5
SKEW_AGREE = 0.5  # degrees: each half of the page must find the same angle as the whole
# a second sharp angle this high (of the best's height over the lowest) makes it doubtful; the
# profile of a page of text wiggles to under 0.1 away from its peak
RIVAL_PEAK = 0.15
SIDEWAYS_RATIO = 1.4  # column profile this much sharper than the row profile: text runs vertically



@dataclass
class Analysis:
    blank: bool
    ink: float  # fraction of the page (inside the margins) that is ink, specks of dust left out
    skew: float  # degrees the text is tilted, counter-clockwise positive; straightened by turning back
    sideways: bool  # text lines run up and down: turned 90° or 270°
    skew_sure: bool = True  # the skew stands out of the profile alone, and each half of the page finds it
    paper: float = 255.0  # grey level of the paper (on the 150 dpi copy)
    print_level: float = 0.0  # grey level of the print's cores
    noise: float = 0.0  # grain of the scan, in grey levels (one sigma)
    sharpness: float = 1.0  # steepest edges of the print over its contrast

    @property
    def degraded(self) -> bool:
        """Faded, grainy or out of focus: a poor reading may do better on a prepared copy."""
        return (not self.blank and (self.paper - self.print_level < FADED_CONTRAST or self.noise >= NOISY
                                    or self.sharpness < SOFT))


def small_grey(image: Image.Image, dpi: int) -> Image.Image:
    """A greyscale copy at about ANALYSIS_DPI (box-averaged, so scanner dust fades away)."""
    grey = image if image.mode == "L" else image.convert("L")
    factor = max(1, round(dpi / ANALYSIS_DPI))
    return grey.reduce(factor) if factor > 1 else grey


def small_copy(path, dpi: int) -> tuple[Image.Image, int]:
    """The page file as a ~ANALYSIS_DPI greyscale image, and its dpi. A JPEG is decoded straight at
    1/2 or 1/4 scale (libjpeg's DCT scaling), 4x cheaper than decoding it whole and reducing."""
    with Image.open(path) as image:
        width, stretch = image.width, pixel_aspect(image)
        if image.format == "JPEG":
            image.draft("L", (image.width * ANALYSIS_DPI // dpi, image.height * ANALYSIS_DPI // dpi))
        grey = image.convert("L") if image.mode != "L" else image.copy()
    scaled = round(dpi * grey.width / width)
    factor = max(1, round(scaled / ANALYSIS_DPI))
    small = grey.reduce(factor) if factor > 1 else grey
    if stretch != 1.0:
        small = small.resize((small.width, round(small.height * stretch)), Image.Resampling.BILINEAR)
    return small, round(scaled / factor)


def pixel_aspect(image: Image.Image) -> float:
    """A scan's horizontal over its vertical resolution (2.0 for 200×100 dpi): what its height is
    stretched by to square its pixels. 1.0 when they are square, or the file does not say."""
    try:
        x, y = (float(v) for v in image.info["dpi"])
    except (KeyError, TypeError, ValueError):
        return 1.0
    return 1.0 if x <= 0 or y <= 0 or abs(x / y - 1) < 0.02 else x / y


def square_pixels(image: Image.Image) -> Image.Image:
    """The page with square pixels at its horizontal resolution: Tesseract reads letters squashed
    to half their height (a 200×100 dpi fax mode) badly, and a PDF page takes one resolution."""
    stretch = pixel_aspect(image)
    if stretch == 1.0:
        return image
    return image.resize((image.width, round(image.height * stretch)), Image.Resampling.BICUBIC)


def analyse(image: Image.Image, dpi: int) -> Analysis:
    small = np.asarray(small_grey(image, dpi))
    h, w = small.shape
    my, mx = int(h * MARGIN), int(w * MARGIN)
    inner = small[my:h - my, mx:w - mx]
    levels = _levels(inner)
    ink = inner < levels["threshold"]
    fraction = _joined_ink(ink)
    if fraction < BLANK_INK:
        return Analysis(blank=True, ink=fraction, skew=0.0, sideways=False, **_public(levels))
    ys, xs = np.nonzero(ink)
    skew, row_score, sure = _best_angle(ys, xs)
    _, column_score, _ = _best_angle(xs, ys)
    sideways = column_score > row_score * SIDEWAYS_RATIO
    if sideways or abs(skew) > MAX_SKEW:
        skew, sure = 0.0, True  # nothing to straighten
    elif abs(skew) >= MIN_SKEW:
        sure = sure and _halves_agree(ys, xs, skew)
    return Analysis(blank=False, ink=fraction, skew=skew, sideways=sideways, skew_sure=sure,
                    sharpness=_sharpness(inner, ink, levels), **_public(levels))


def _levels(inner: np.ndarray) -> dict:
    """The page's paper and print levels, its grain, and the grey level under which a mark is ink."""
    if inner.size == 0:
        return {"paper": 255.0, "print_level": 0.0, "noise": 0.0, "threshold": 0}
    sample = inner[::2, ::2]  # levels are as well measured on a quarter of the pixels, 4x faster
    counts = np.bincount(sample.ravel(), minlength=256)
    paper = float(np.searchsorted(np.cumsum(counts), sample.size / 2))  # most of a page is paper
    # Grain from neighbours' differences (every 4th row): edges of print are too few to move the median.
    steps = np.bincount(np.abs(np.diff(inner[::4].astype(np.int16), axis=1)).ravel(), minlength=256)
    noise = float(np.searchsorted(np.cumsum(steps), steps.sum() / 2)) / 0.954
    step = max(MARK_STEP, 4 * noise)
    marks = sample < paper - step
    joined = marks & _neighbours(marks)
    cores = np.bincount(sample[joined], minlength=256) if joined.any() else None
    # the print's level: its darkest tenth, specks of dust left out
    level = float(np.searchsorted(np.cumsum(cores), cores.sum() / 10)) if cores is not None else paper
    threshold = min(INK_CEILING, paper * (1 - SHOW_THROUGH), (paper + level) / 2, paper - step)
    return {"paper": paper, "print_level": level, "noise": round(noise, 1), "threshold": threshold}


def _public(levels: dict) -> dict:
    return {k: levels[k] for k in ("paper", "print_level", "noise")}


def _neighbours(mask: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour set in `mask`."""
    near = np.zeros_like(mask)
    near[:, 1:] |= mask[:, :-1]
    near[:, :-1] |= mask[:, 1:]
    near[1:, :] |= mask[:-1, :]
    near[:-1, :] |= mask[1:, :]
    return near


def _joined_ink(ink: np.ndarray) -> float:
    """The fraction of ink pixels that touch another ink pixel. Print is strokes; scanner dust is
    specks on their own, which averaging down to 150 dpi only fades for scans of 300 dpi and more:
    at 200 dpi 0.1 % of dust made a blank back look printed."""
    if ink.size == 0:
        return 0.0
    return float((ink & _neighbours(ink)).mean())


def _sharpness(inner: np.ndarray, ink: np.ndarray, levels: dict) -> float:
    """How steep the print's edges are: the 90th percentile of the grey step between neighbours
    around the ink, over the print's contrast. A blur spreads each edge over more pixels."""
    grey = inner[::2].astype(np.int16)  # every other row is as good a witness
    step = np.maximum(np.abs(np.diff(grey, axis=1))[:-1, :], np.abs(np.diff(grey, axis=0))[:, :-1])
    around = step[ink[::2][:-1, :-1]]
    contrast = max(1.0, levels["paper"] - levels["print_level"])
    return round(float(np.percentile(around, 90)) / contrast, 3) if around.size else 1.0


def _halves_agree(ys: np.ndarray, xs: np.ndarray, skew: float) -> bool:
    """A second measurement of the skew: the left and the right half of the ink (split at its
    median) each find the same angle. A tilted page does; a photo or drawing that sways the whole
    page's profile does not."""
    middle = np.median(xs)
    for half in (xs < middle, xs >= middle):
        angle, _, _ = _best_angle(ys[half], xs[half], sample=10_000)
        if abs(angle - skew) > SKEW_AGREE:
            return False
    return True


def _best_angle(ys: np.ndarray, xs: np.ndarray, sample: int = 40_000) -> tuple[float, float, bool]:
    """Projection profile: the angle whose row histogram of ink is sharpest (text lines line up),
    the sharpest profile found, and whether that angle stands alone.

    Ink pixels are projected rather than the image rotated, so each angle tried is one bincount.
    Coarse 0.5° steps over ±SKEW_SEARCH; the highest peak within ±MAX_SKEW (a profile still
    sharpening at the end of the search has no peak there: a photo, not lines), then 0.05° steps
    around it. A second peak of RIVAL_PEAK of its height, 2° away or more, makes the angle doubtful:
    a drawing's strokes or hatching line up there as the text does at the other.
    """
    step = max(1, len(ys) // sample)  # a sample of the ink is as sharp a witness as all of it
    ys = ys[::step].astype(np.float64)
    xs = xs[::step].astype(np.float64)
    xs -= xs.mean()

    def score(angle: float) -> float:
        rows = np.round(ys - xs * np.tan(np.radians(angle))).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        # mean squared count over mean count: 1 + CV², comparable between rows and columns
        return float(np.dot(counts, counts)) * len(counts) / len(ys) ** 2

    angles = np.arange(-SKEW_SEARCH, SKEW_SEARCH + 0.01, 0.5)
    scores = np.array([score(a) for a in angles])
    peaks = [i for i in range(1, len(angles) - 1)
             if scores[i] >= max(scores[i - 1], scores[i + 1]) and abs(angles[i]) <= MAX_SKEW]
    if not peaks:
        return 0.0, float(scores.max()), False
    best = max(peaks, key=lambda i: scores[i])
    floor = scores.min()
    alone = not any(abs(angles[i] - angles[best]) >= 2 and scores[i] - floor >= RIVAL_PEAK * (scores[best] - floor)
                    for i in peaks)
    fine = max(np.arange(angles[best] - 0.5, angles[best] + 0.51, 0.05), key=score)
    return -round(float(fine), 2), max(score(fine), float(scores.max())), alone


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


def cleaned(image: Image.Image, found: Analysis, dpi: int, sharpen: bool) -> Image.Image:
    """A copy of a faded, grainy or blurred page that Tesseract reads better: grey, its grain
    smoothed, stretched from its print's level to its paper's, and sharpened if `sharpen`.

    Measured on rendered pages (bench/README.md): on faded grainy pages Tesseract's own
    binarisation turns the grain into specks and reads nothing; a 1 px Gaussian (at 300 dpi)
    brings them back whole, where sharpening would bring the grain back too. On pages blurred by
    3-4 px an unsharp mask of 3 px halves the errors. Upscaling, Sauvola binarisation and other
    page-segmentation modes read worse or no better.
    """
    scale = dpi / 300
    grey = image.convert("L").filter(ImageFilter.GaussianBlur(scale))
    low, high = found.print_level, found.paper
    if high - low >= 1:
        grey = grey.point([min(255, max(0, round((v - low) * 255 / (high - low)))) for v in range(256)])
    if sharpen:
        grey = grey.filter(ImageFilter.UnsharpMask(radius=3 * scale, percent=250, threshold=0))
    return grey


def record_codes(image: Image.Image, dpi: int) -> list[str]:
    """Record codes found in the page's QR codes and barcodes, in reading order."""
    # At 150 dpi a 2 cm QR is still ~120 px, plenty for the decoder, at a quarter of 300 dpi's pixels.
    found = zxing.read_barcodes(small_grey(image, dpi))
    codes = []
    for barcode in found:
        for code, _ in codes_in(barcode.text or ""):  # a receipt's QR may wrap the code in a URL
            if code not in codes:
                codes.append(code)
    return codes


MIN_DPI = 200  # the Vietnamese scan standard's minimum
LOW_CONFIDENCE = 60.0  # mean word confidence; clean print reads 85–97, a 100 dpi page ~70–80
FEW_WORDS = 5  # fewer words than this on a page that is not blank: nearly empty
JUNK_CONFIDENCE = 30.0  # a reading this unsure is marks taken for letters, not words
UNREADABLE = "faded or unreadable, rescan with more contrast"


def rescan_reasons(dpi: int, blank: bool, words: int, confidence: float | None) -> list[str]:
    """Why a scanned page should be scanned again; empty when it is fine."""
    reasons = []
    if 0 < dpi < MIN_DPI:
        reasons.append(f"scanned at {dpi} dpi, under {MIN_DPI}")
    if blank:
        reasons.append("blank page")
    elif words == 0 or (confidence or 0) < JUNK_CONFIDENCE or (words < FEW_WORDS and confidence < LOW_CONFIDENCE):
        reasons.append(UNREADABLE)  # ink, but (almost) no words read from it
    elif words < FEW_WORDS:
        reasons.append(f"nearly empty ({words} words read)")
    elif confidence is not None and confidence < LOW_CONFIDENCE:
        reasons.append(f"low OCR confidence ({confidence:.0f} < {LOW_CONFIDENCE:.0f})")
    return reasons
