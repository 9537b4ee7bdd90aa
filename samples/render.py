"""Render paper-like page images with real fonts, for samples, tests and benchmarks.

Only Pillow is needed, so `make demo` can run it before any test dependency is installed.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

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


def degrade(image: Image.Image, ink: int = 0, paper: int | tuple[int, int, int] = 255, blur: float = 0.0,
            grain: int = 0, seed: int = 0) -> Image.Image:
    """The page as a poor scan gives it: black printed as grey `ink` on `paper` (a grey level, or an
    RGB colour for pink or blue forms; a photocopy of a photocopy is ~140 on ~215), out of focus by
    a Gaussian blur of `blur` pixels, and `grain` levels of sensor noise either way. dpi kept."""
    dpi = image.info.get("dpi", (300, 300))
    if isinstance(paper, tuple):
        image = image.convert("RGB")
        tables = [[ink + (p - ink) * v // 255 for v in range(256)] for p in paper]
        image = image.point([v for table in tables for v in table])
    elif (ink, paper) != (0, 255):
        image = image.point([ink + (paper - ink) * v // 255 for v in range(256)] * len(image.getbands()))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if grain:
        rng = random.Random(seed)
        spread = bytes(v % (2 * grain + 1) for v in range(256))
        noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height).translate(spread))
        if image.mode == "RGB":
            noise = Image.merge("RGB", [noise] * 3)
        image = ImageChops.add(image, noise, offset=-grain)
    image.info["dpi"] = dpi
    return image


def add_picture(image: Image.Image, kind: str = "photo",
                box: tuple[float, float, float, float] = (0.55, 0.45, 0.92, 0.9), seed: int = 0) -> Image.Image:
    """The page with a picture inside `box` (left, top, right, bottom as fractions of the page): a
    "photo" (a grey portrait-like block), "hatching" (an engraving's shading, strokes slanted 10°)
    or a "map" (winding roads). Pictures like these sway a skew measured from the ink."""
    dpi = image.info.get("dpi", (300, 300))
    left, top = round(box[0] * image.width), round(box[1] * image.height)
    size = (round(box[2] * image.width) - left, round(box[3] * image.height) - top)
    rng = random.Random(seed)
    scale = dpi[0] / 300
    if kind == "photo":
        picture = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
        picture = ImageOps.autocontrast(picture.filter(ImageFilter.GaussianBlur(8 * scale)), cutoff=1)
    else:
        picture = Image.new("L", size, 255)
        draw = ImageDraw.Draw(picture)
        if kind == "hatching":
            rise = size[0] * math.tan(math.radians(10))
            for y in range(-round(rise), size[1], max(3, round(24 * scale))):  # 2 mm apart
                draw.line([(0, y), (size[0], y + rise)], fill=0, width=max(1, round(2 * scale)))
            draw.rectangle([0, 0, size[0] - 1, size[1] - 1], outline=0, width=max(1, round(3 * scale)))
        elif kind == "map":
            for _ in range(30):
                x, y = rng.uniform(0, size[0]), rng.uniform(0, size[1])
                road = [(x, y)]
                for _ in range(8):
                    heading = rng.uniform(0, 2 * math.pi)
                    x, y = x + 80 * scale * math.cos(heading), y + 80 * scale * math.sin(heading)
                    road.append((x, y))
                draw.line(road, fill=rng.randint(0, 120), width=max(1, round(rng.randint(2, 6) * scale)))
        else:
            raise ValueError(f"picture {kind!r}: photo, hatching or map")
    out = image.copy()
    out.paste(picture if out.mode == "L" else picture.convert(out.mode), (left, top))
    out.info["dpi"] = dpi
    return out
