"""One wrapper per external program the scan needs (as OCRmyPDF keeps `_exec/` apart from its
pipeline): `qpdf` (merging page PDFs), `poppler` (pdfinfo, pdfimages, pdftoppm), `zxing` (the QR and
barcode decoder). A wrapper runs its program and turns what goes wrong into digitize.errors kinds —
MissingDependency when it is not installed, InputError with what the program said, on one line —
and nothing else: what to do about it is the caller's. Tesseract's wrapper is the `ocr/` library.
"""

from __future__ import annotations

import shutil
import subprocess

from digitize.errors import InputError, MissingDependency, one_line


def installed(program: str) -> bool:
    return shutil.which(program) is not None


def run(args: list[str], install: str) -> subprocess.CompletedProcess:
    """Run a program, its output captured as text; MissingDependency naming `install` (what to do)
    when it is not installed."""
    if not installed(args[0]):
        raise MissingDependency(f"{args[0]} is needed {install}")
    return subprocess.run(args, capture_output=True, text=True)


def failed(run: subprocess.CompletedProcess) -> InputError:
    """What a program that failed said, as one line."""
    return InputError(one_line(run.stderr) or f"{run.args[0]} failed with exit status {run.returncode}")
