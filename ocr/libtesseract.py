"""Tesseract's C API through ctypes: each process keeps its language models loaded between pages.

The `tesseract` command loads its model for every page (0.07 s for vie, 0.15 s for vie+eng here)
and needs its word table (TSV, 0.065 s a page) for confidences; in the library the words are
walked for them in 0.012 s and the text is the same, for ~5 % less CPU per page (bench/README.md). Only the page
call lives here; ocr.tesseract decides what to read and falls back to the command when the
library cannot be loaded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile
import sys
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

PSM_AUTO = 3  # what the command uses; the library's own default is a single block of text
RIL_WORD = 3

_c = ctypes.c_void_p
_SIGNATURES = {
    "TessBaseAPICreate": (_c, []),
    "TessBaseAPIInit3": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.c_char_p]),
    "TessBaseAPISetPageSegMode": (None, [_c, ctypes.c_int]),
    "TessBaseAPISetVariable": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.c_char_p]),
    "TessBaseAPIGetDatapath": (ctypes.c_char_p, [_c]),
    "TessBaseAPIProcessPages": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, _c]),
    "TessBaseAPIGetUTF8Text": (_c, [_c]),
    "TessBaseAPIGetIterator": (_c, [_c]),
    "TessResultIteratorNext": (ctypes.c_int, [_c, ctypes.c_int]),
    "TessResultIteratorConfidence": (ctypes.c_float, [_c, ctypes.c_int]),
    "TessResultIteratorGetUTF8Text": (_c, [_c, ctypes.c_int]),
    "TessResultIteratorDelete": (None, [_c]),
    "TessBaseAPIClear": (None, [_c]),
    "TessBaseAPIDelete": (None, [_c]),
    "TessDeleteText": (None, [_c]),
    "TessPDFRendererCreate": (_c, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]),
    "TessDeleteResultRenderer": (None, [_c]),
}


class LibraryError(Exception):
    """Tesseract's library failed on a page (the message says how); the page is the problem."""


@lru_cache(maxsize=None)
def library() -> ctypes.CDLL | None:
    """libtesseract with its functions typed, or None when it is not installed where ctypes looks."""
    # find_library asks ldconfig, which a slim image may lack: then try the sonames by hand
    for name in (ctypes.util.find_library("tesseract"), "libtesseract.so.5", "libtesseract.so.4"):
        if name is None:
            continue
        try:
            lib = ctypes.CDLL(name)
            for function, (restype, argtypes) in _SIGNATURES.items():
                getattr(lib, function).restype = restype
                getattr(lib, function).argtypes = argtypes
        except (OSError, AttributeError):  # not there, or a version without this C API
            continue
        return lib
    return None


class Reader:
    """One TessBaseAPI with one language model loaded; not shared between threads."""

    def __init__(self, language: str):
        lib = library()
        self._lib = lib
        self._api = lib.TessBaseAPICreate()
        if lib.TessBaseAPIInit3(self._api, None, language.encode()) != 0:
            lib.TessBaseAPIDelete(self._api)
            raise LibraryError(f"Tesseract could not load the language data for {language}")
        lib.TessBaseAPISetPageSegMode(self._api, PSM_AUTO)
        # "Detected 356 diacritics" would land under the progress bar; the command's goes to a pipe.
        lib.TessBaseAPISetVariable(self._api, b"debug_file", os.devnull.encode())
        self._datapath = lib.TessBaseAPIGetDatapath(self._api)
        self._lock = threading.Lock()

    def read(self, image_path: Path, dpi: int, timeout: int) -> tuple[str, list[int], bytes]:
        """The page's text, each word's confidence (0–100) and a one-page PDF of the image with the
        text invisible on top: what `tesseract IMAGE out --dpi DPI txt tsv pdf` writes."""
        lib, api = self._lib, self._api
        with self._lock, tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
            base = os.path.join(tmp, "page")
            lib.TessBaseAPISetVariable(api, b"user_defined_dpi", str(int(dpi)).encode())
            renderer = lib.TessPDFRendererCreate(base.encode(), self._datapath, 0)
            try:
                with _stderr_to(os.path.join(tmp, "stderr")) as said:
                    ok = lib.TessBaseAPIProcessPages(api, os.fsencode(image_path), None, int(timeout * 1000), renderer)
                if not ok:
                    raise LibraryError(" ".join(said[-1].split())[:200] if said else f"not readable as an image, or recognition over {timeout} s")
                text = _take_text(lib, lib.TessBaseAPIGetUTF8Text(api))
                confidences = _word_confidences(lib, api)
            finally:
                lib.TessDeleteResultRenderer(renderer)  # a PDF still open is finished here
                lib.TessBaseAPIClear(api)
            pdf = Path(base + ".pdf").read_bytes()
        return text, confidences, pdf


def _take_text(lib, pointer: int | None) -> str:
    if not pointer:
        return ""
    try:
        return ctypes.string_at(pointer).decode("utf-8", errors="replace")
    finally:
        lib.TessDeleteText(pointer)


def _word_confidences(lib, api) -> list[int]:
    """Each word's confidence, cut to a whole number, for the words with text: what the command's
    TSV lists (Tesseract also keeps empty words, e.g. on a page of blocks, which must not count)."""
    found: list[int] = []
    words = lib.TessBaseAPIGetIterator(api)
    if not words:
        return found
    try:
        while True:
            if _take_text(lib, lib.TessResultIteratorGetUTF8Text(words, RIL_WORD)).strip():
                found.append(int(lib.TessResultIteratorConfidence(words, RIL_WORD)))
            if not lib.TessResultIteratorNext(words, RIL_WORD):
                return found
    finally:
        lib.TessResultIteratorDelete(words)


@contextmanager
def _stderr_to(path: str):
    """Send file descriptor 2 to `path` while Tesseract works: its image libraries (libpng's
    "iCCP: too short", libjpeg's "premature end") print there, under the progress bar. Yields a
    list that holds the lines said once the block ends: the reason when the page fails."""
    said: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    capture = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(capture, 2)
    os.close(capture)
    try:
        yield said
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        said += [line for line in Path(path).read_text("utf-8", "replace").splitlines() if line.strip()]


_readers: dict[tuple[int, str], Reader] = {}


def reader(language: str) -> Reader:
    """This process's Reader for `language`, loaded on first use. Keyed by process too: a worker
    forked from a process that had loaded one makes its own rather than share the parent's state."""
    key = (os.getpid(), language)
    if key not in _readers:
        _readers[key] = Reader(language)
    return _readers[key]
