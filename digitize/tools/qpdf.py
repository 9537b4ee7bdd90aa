"""qpdf: one PDF made of pages copied from others, page by page from the files (18 MB of memory for
200 pages, where pypdf holds every page in memory twice over)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from digitize.errors import DiskFull, one_line
from digitize.tools import failed, installed, run

INSTALL = "to assemble PDFs; install it with: apt-get install qpdf"


def available() -> bool:
    return installed("qpdf")


def merge_pages(pages: list[tuple[Path, int]], out: Path) -> None:
    """Write `out` with the given (file, page number) pages, in order; nothing is left at `out` if it fails."""
    spec = [str(value) for path, number in pages for value in (path, number)]
    done = run(["qpdf", "--empty", "--pages", *spec, "--", str(out)], INSTALL)
    if done.returncode in (0, 3):  # 3: warnings only, output written
        return
    out.unlink(missing_ok=True)
    if os.strerror(errno.ENOSPC) in done.stderr:
        raise DiskFull(one_line(done.stderr))
    raise failed(done)
