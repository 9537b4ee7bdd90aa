"""poppler: what pdfinfo and pdfimages say of a PDF's pages, pdftoppm rendering one of them, pdftotext's word boxes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from digitize.tools import failed, installed, run

INSTALL = "to read this PDF; install it with: apt-get install poppler-utils"


@dataclass
class PageImage:
    """One image drawn on a page, as `pdfimages -list` places it (without decoding it)."""

    kind: str  # image | mask | smask | stencil
    width: int
    height: int
    x_ppi: float
    y_ppi: float


def available(program: str = "pdftoppm") -> bool:
    return installed(program)


def page_count(path: Path) -> int | None:
    """The pages pdfinfo finds in the file (it rebuilds a broken cross-reference table); None if it says none."""
    done = run(["pdfinfo", str(path)], INSTALL)
    if done.returncode != 0:
        raise failed(done)
    found = re.search(r"^Pages:\s+(\d+)", done.stdout, re.M)
    return int(found[1]) if found else None


def page_size(path: Path, number: int) -> tuple[float, float] | None:
    """Page `number`'s width and height in points; None if pdfinfo gives none."""
    done = run(["pdfinfo", "-f", str(number), "-l", str(number), str(path)], INSTALL)
    if done.returncode != 0:
        raise failed(done)
    found = re.search(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", done.stdout, re.M)
    return (float(found[1]), float(found[2])) if found else None


def page_images(path: Path, number: int) -> list[PageImage]:
    """The images on page `number`, with the resolution each is drawn at."""
    done = run(["pdfimages", "-f", str(number), "-l", str(number), "-list", str(path)], INSTALL)
    if done.returncode != 0:
        raise failed(done)
    images = []
    for line in done.stdout.splitlines()[2:]:
        # page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
        cells = line.split()
        try:
            images.append(PageImage(cells[2], int(cells[3]), int(cells[4]), float(cells[12]), float(cells[13])))
        except (IndexError, ValueError):
            continue
    return images


def render_page(path: Path, number: int, dpi: float, prefix: Path) -> Path:
    """Page `number` rendered at `dpi` to the PNG file `prefix`.png."""
    return _render(path, number, ["-r", f"{dpi:.2f}"], prefix)


def render_page_width(path: Path, number: int, width: int, prefix: Path) -> Path:
    """Page `number` rendered `width` pixels wide (height to scale) to the PNG file `prefix`.png."""
    return _render(path, number, ["-scale-to-x", str(width), "-scale-to-y", "-1"], prefix)


def _render(path: Path, number: int, size: list[str], prefix: Path) -> Path:
    done = run(["pdftoppm", *size, "-f", str(number), "-l", str(number), "-png", "-singlefile",
                str(path), str(prefix)], INSTALL)
    image_path = prefix.with_suffix(".png")
    if done.returncode != 0 or not image_path.exists():
        raise failed(done)
    return image_path


def words_layout(path: Path, number: int) -> str:
    """Page `number`'s words with their boxes, as the XHTML `pdftotext -bbox-layout` writes."""
    done = run(["pdftotext", "-f", str(number), "-l", str(number), "-bbox-layout", str(path), "-"], INSTALL)
    if done.returncode != 0:
        raise failed(done)
    return done.stdout
