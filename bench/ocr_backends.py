"""Tesseract's library vs the `tesseract` command, as `ocr.TesseractEngine` calls them, page by page.

    .venv/bin/python bench/ocr_backends.py                # 12 pages, 2 rounds
    .venv/bin/python bench/ocr_backends.py --pages 40 --rounds 3

Reads the same 300 dpi pages (bench/ocr_throughput.py's batch) in one process, one page at a time,
with each backend in turn, and prints the CPU seconds per page (this process and its children,
so the command's Tesseract processes count) and whether both gave the same text, confidence and
word count on every page. Rounds alternate the order; the best round of each is kept.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from ocr import TesseractEngine  # noqa: E402
from ocr_throughput import OUT, build  # noqa: E402


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    _, jpegs = build(max(args.pages, 40), OUT / f"throughput-{max(args.pages, 40)}")
    pages = jpegs[: args.pages]
    best: dict[str, float] = {}
    readings: dict[str, list] = {}
    for turn in range(args.rounds):
        for backend in (("library", "command") if turn % 2 == 0 else ("command", "library")):
            engine = TesseractEngine(backend=backend)
            start, wall = cpu(), time.monotonic()
            results = [engine.read(page, 300) for page in pages]
            seconds = (cpu() - start) / len(pages)
            print(f"    round {turn + 1}: {backend:8} {seconds:.3f} CPU s/page  ({time.monotonic() - wall:.1f} s wall)")
            best[backend] = min(best.get(backend, seconds), seconds)
            readings[backend] = [(r.text, r.confidence, r.words) for r in results]
    same = readings["library"] == readings["command"]
    print(f"{len(pages)} pages A4 300 dpi, one at a time, OMP_THREAD_LIMIT=1")
    print(f"command: {best['command']:.3f} CPU s/page   library: {best['library']:.3f} CPU s/page   "
          f"library/command = {best['library'] / best['command']:.2f}")
    print(f"same text, confidence and word count on every page: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
