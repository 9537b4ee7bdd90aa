"""Render paper-like page images with real fonts, for samples, tests and benchmarks.

Only Pillow is needed, so `make demo` can run it before any test dependency is installed.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

A4_MM = (210, 297)
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]
FONTS = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
}


def font_path(name: str = "serif") -> Path:
    for folder in FONT_DIRS:
        candidate = folder / FONTS[name]
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"font {FONTS[name]} not found; install fonts-dejavu-core")


def page_size(dpi: int, size_mm: tuple[int, int] = A4_MM) -> tuple[int, int]:
    return round(size_mm[0] / 25.4 * dpi), round(size_mm[1] / 25.4 * dpi)


def render_page(
    lines: list[str],
    dpi: int = 300,
    size_mm: tuple[int, int] = A4_MM,
    font: str = "serif",
    point_size: float = 12,
    title_lines: int = 0,
    noise: float = 0.0,
    seed: int = 0,
    mode: str = "L",
) -> Image.Image:
    """One page: `lines` top-down from a 20 mm margin; the first `title_lines` bold and centred.

    `noise` is the fraction of pixels turned to random grey speckles (a scanner's dust);
    the result carries its dpi so OCR and PDF writers size it correctly.
    """
    width, height = page_size(dpi, size_mm)
    image = Image.new("RGB" if mode == "RGB" else "L", (width, height), "white")
    draw = ImageDraw.Draw(image)
    px = point_size * dpi / 72
    body = ImageFont.truetype(str(font_path(font)), round(px))
    bold = ImageFont.truetype(str(font_path(font + "-bold" if font in ("sans", "serif") else font)), round(px * 1.15))
    margin = round(20 / 25.4 * dpi)
    y = margin
    for n, line in enumerate(lines):
        f = bold if n < title_lines else body
        if n < title_lines:
            text_width = draw.textlength(line, font=f)
            x = max(margin, (width - text_width) / 2)
        else:
            x = margin
        draw.text((x, y), line, fill="black", font=f)
        y += round(px * 1.7)
    if noise:
        rng = random.Random(seed)
        pixels = image.load()
        for _ in range(int(width * height * noise)):
            grey = rng.randint(0, 160)
            pixels[rng.randrange(width), rng.randrange(height)] = (grey,) * 3 if mode == "RGB" else grey
    image.info["dpi"] = (dpi, dpi)
    return image


def save(image: Image.Image, path: Path, **options) -> Path:
    """Save with the page's dpi kept in the file (PNG, JPEG, TIFF and PDF all carry it)."""
    dpi = image.info.get("dpi", (300, 300))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = path.suffix.lower()
    if kind == ".pdf":
        image.save(path, resolution=float(dpi[0]), **options)
    else:
        image.save(path, dpi=dpi, **options)
    return path


def save_multipage(images: list[Image.Image], path: Path, **options) -> Path:
    """A multi-page TIFF or PDF, the way a scanner's feeder writes a stack."""
    dpi = images[0].info.get("dpi", (300, 300))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {"resolution": float(dpi[0])} if path.suffix.lower() == ".pdf" else {"dpi": dpi}
    # Copies: Pillow's PDF writer leaves encoder state on the images that breaks a later TIFF save.
    first, *rest = (image.copy() for image in images)
    first.save(path, save_all=True, append_images=rest, **extra, **options)
    return path
