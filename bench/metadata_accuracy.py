"""Metadata extraction accuracy on rendered Vietnamese papers read by real Tesseract.

    .venv/bin/python bench/metadata_accuracy.py [--count 36] [--jobs 2] [--show-misses]

Renders `samples/papers.py`'s set (varied types, layouts, fonts, sizes, dpi, noise), OCRs each
page once with `ocr.TesseractEngine`, runs `digitize.metadata.extract` and prints per-field
precision and recall.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitize.metadata import extract  # noqa: E402
from samples.papers import accuracy, format_accuracy, ocr_texts, paper_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=36)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--show-misses", action="store_true", help="print every wrong or missed value")
    args = parser.parse_args()
    papers = paper_set(args.count)
    started = time.perf_counter()
    texts = ocr_texts(papers, args.jobs)
    ocr_seconds = time.perf_counter() - started
    pairs = []
    for paper, text in zip(papers, texts):
        found = {f: v.value for f, v in extract(text).items()}
        pairs.append((paper.truth, found))
        if args.show_misses:
            for f, want in paper.truth.items():
                if (found.get(f) or None) != want:
                    print(f"{paper.name:24} {f:15} want {want!r:45} got {found.get(f)!r}")
    print(f"{len(papers)} papers, OCR {ocr_seconds:.1f} s with {args.jobs} threads")
    print(format_accuracy(accuracy(pairs)))


if __name__ == "__main__":
    main()
