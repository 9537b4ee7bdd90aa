"""Tesseract's C API through ctypes: each process keeps its language models loaded between pages.

The `tesseract` command loads its model for every page (0.07 s for vie, 0.15 s for vie+eng here)
and needs its word table (TSV, 0.065 s a page) for confidences; in the library the words are
walked for them in 0.012 s and the text is the same, for ~5 % less CPU a page (bench/README.md). Only the page
calls live here: decoding a page once (Leptonica, which libtesseract links), the connected components
of Tesseract's own binarisation of it, and reading it; ocr.tesseract decides what to read and falls
back to the command when the library cannot be loaded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from ocr.errors import one_line

PSM_AUTO = 3  # what the command uses; the library's own default is a single block of text
RIL_WORD = 3

_c = ctypes.c_void_p
_SIGNATURES = {
    "TessBaseAPICreate": (_c, []),
    "TessBaseAPIInit3": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.c_char_p]),
    "TessBaseAPISetPageSegMode": (None, [_c, ctypes.c_int]),
    "TessBaseAPISetVariable": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.c_char_p]),
    "TessBaseAPIGetDatapath": (ctypes.c_char_p, [_c]),
    "TessBaseAPISetInputName": (None, [_c, ctypes.c_char_p]),
    "TessBaseAPISetImage2": (None, [_c, _c]),
    "TessBaseAPIGetThresholdedImage": (_c, [_c]),
    "TessBaseAPIRecognize": (ctypes.c_int, [_c, _c]),
    "TessMonitorCreate": (_c, []),
    "TessMonitorSetDeadlineMSecs": (None, [_c, ctypes.c_int]),
    "TessMonitorDelete": (None, [_c]),
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
    "TessResultRendererBeginDocument": (ctypes.c_int, [_c, ctypes.c_char_p]),
    "TessResultRendererAddImage": (ctypes.c_int, [_c, _c]),
    "TessResultRendererEndDocument": (ctypes.c_int, [_c]),
    "TessDeleteResultRenderer": (None, [_c]),
    # Leptonica's, found through libtesseract, which links it
    "pixRead": (_c, [ctypes.c_char_p]),
    "pixDestroy": (None, [ctypes.POINTER(_c)]),
    "pixConnCompBB": (_c, [_c, ctypes.c_int]),
    "boxaExtractAsNuma": (ctypes.c_int, [_c, *[ctypes.POINTER(_c)] * 6, ctypes.c_int]),
    "boxaDestroy": (None, [ctypes.POINTER(_c)]),
    "numaGetCount": (ctypes.c_int, [_c]),
    "numaGetFArray": (ctypes.POINTER(ctypes.c_float), [_c, ctypes.c_int]),
    "numaDestroy": (None, [ctypes.POINTER(_c)]),
}
L_NOCOPY = 1


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


class Page:
    """A page image decoded once, as Tesseract decodes it, to be looked at and read by any Reader.
    Use it as a context manager: the image is freed, and forgotten by the readers it was set on."""

    def __init__(self, image_path: Path):
        lib = library()
        self._lib = lib
        self.path = os.fsencode(image_path)
        self._readers: list[Reader] = []
        with _stderr_captured() as said:
            self.pix = lib.pixRead(self.path)
        if not self.pix:
            raise LibraryError(_reason(said, "not readable as an image"))

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc) -> None:
        for reader in self._readers:
            reader.forget(self)
        self._lib.pixDestroy(ctypes.byref(_c(self.pix)))


class Reader:
    """One TessBaseAPI with one language model loaded; calls are serialised by a lock."""

    def __init__(self, language: str):
        lib = library()
        self._lib = lib
        self.language = language
        self._api = lib.TessBaseAPICreate()
        if lib.TessBaseAPIInit3(self._api, None, language.encode()) != 0:
            lib.TessBaseAPIDelete(self._api)
            raise LibraryError(f"Tesseract could not load the language data for {language}")
        lib.TessBaseAPISetPageSegMode(self._api, PSM_AUTO)
        # "Detected 356 diacritics" would land under the progress bar; the command's goes to a pipe.
        lib.TessBaseAPISetVariable(self._api, b"debug_file", os.devnull.encode())
        self._datapath = lib.TessBaseAPIGetDatapath(self._api)
        self._lock = threading.Lock()
        self._page: tuple[Page, int] | None = None  # the image set on the API, with its dpi

    def _set(self, page: Page, dpi: int) -> None:
        if self._page != (page, dpi):
            lib, api = self._lib, self._api
            lib.TessBaseAPISetVariable(api, b"user_defined_dpi", str(int(dpi)).encode())
            lib.TessBaseAPISetInputName(api, page.path)  # the PDF embeds a JPEG file as it is
            lib.TessBaseAPISetImage2(api, page.pix)  # Tesseract takes its own copy
            self._page = (page, dpi)
            page._readers.append(self)

    def forget(self, page: Page) -> None:
        """Free the copy of `page` Tesseract holds, if it is still the one set."""
        with self._lock:
            if self._page and self._page[0] is page:
                self._lib.TessBaseAPIClear(self._api)
                self._page = None

    def components(self, page: Page, dpi: int) -> np.ndarray:
        """The bounding boxes (x, y, width, height) of the page's connected components of ink, as
        Tesseract's own binarisation sees them. That binarisation is kept: reading the same page
        next with this Reader does not binarise it again."""
        lib = self._lib
        with self._lock, _stderr_captured():
            self._set(page, dpi)
            binary = lib.TessBaseAPIGetThresholdedImage(self._api)
            if not binary:
                return np.zeros((0, 4), dtype=np.int32)
            try:
                return _boxes(lib, binary)
            finally:
                lib.pixDestroy(ctypes.byref(_c(binary)))

    def read(self, page: Page, dpi: int, timeout: int) -> tuple[str, list[int], bytes]:
        """The page's text, each word's confidence (0–100) and a one-page PDF of the image with the
        text invisible on top: what `tesseract IMAGE out --dpi DPI txt tsv pdf` writes."""
        lib, api = self._lib, self._api
        with self._lock, tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
            base = os.path.join(tmp, "page")
            renderer = lib.TessPDFRendererCreate(base.encode(), self._datapath, 0)
            monitor = lib.TessMonitorCreate()
            try:
                with _stderr_captured() as said:
                    self._set(page, dpi)
                    lib.TessMonitorSetDeadlineMSecs(monitor, int(timeout * 1000))
                    ok = (lib.TessResultRendererBeginDocument(renderer, b"")
                          and lib.TessBaseAPIRecognize(api, monitor) == 0
                          and lib.TessResultRendererAddImage(renderer, api)
                          and lib.TessResultRendererEndDocument(renderer))
                if not ok:
                    raise LibraryError(_reason(said, f"recognition failed or took over {timeout} s"))
                text = _take_text(lib, lib.TessBaseAPIGetUTF8Text(api))
                confidences = _word_confidences(lib, api)
            finally:
                lib.TessMonitorDelete(monitor)
                lib.TessDeleteResultRenderer(renderer)
                lib.TessBaseAPIClear(api)
                self._page = None
            pdf = Path(base + ".pdf").read_bytes()
        return text, confidences, pdf


def _boxes(lib, binary: int) -> np.ndarray:
    """Leptonica's connected components (8-connected) of a 1-bit image, as an n x 4 array."""
    found = np.zeros((0, 4), dtype=np.int32)
    boxa = _c(lib.pixConnCompBB(binary, 8))
    if not boxa:
        return found
    columns = [_c() for _ in range(6)]  # left, top, right, bottom, width, height
    try:
        if lib.boxaExtractAsNuma(boxa, *map(ctypes.byref, columns), 0) == 0 and (n := lib.numaGetCount(columns[0])):
            left, top, _, _, width, height = (np.ctypeslib.as_array(lib.numaGetFArray(c, L_NOCOPY), (n,)) for c in columns)
            found = np.stack([left, top, width, height], axis=1).astype(np.int32)
    finally:
        for column in columns:
            lib.numaDestroy(ctypes.byref(column))
        lib.boxaDestroy(ctypes.byref(boxa))
    return found


def _reason(said: list[str], otherwise: str) -> str:
    return one_line(said[-1]) if said else otherwise


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


class _Stderr:
    """File descriptor 2 sent to a file while Tesseract works: its image libraries (libpng's
    "iCCP: too short", libjpeg's "premature end") print there, under the progress bar. One
    redirection for all the threads inside at once, so that each puts back what was there."""

    def __init__(self):
        self._lock = threading.Lock()
        self._inside = 0
        self._saved = -1
        self._file = None

    @contextmanager
    def captured(self):
        """Yields a list that holds, once the block ends, the lines said meanwhile (by this thread
        or another one inside at the same time): the reason when a page fails."""
        with self._lock:
            if not self._inside:
                sys.stderr.flush()
                self._file = tempfile.TemporaryFile()
                self._saved = os.dup(2)
                os.dup2(self._file.fileno(), 2)
            self._inside += 1
            start = os.fstat(self._file.fileno()).st_size
        said: list[str] = []
        try:
            yield said
        finally:
            with self._lock:
                end = os.fstat(self._file.fileno()).st_size
                written = os.pread(self._file.fileno(), end - start, start).decode("utf-8", "replace")
                said += [line for line in written.splitlines() if line.strip()]
                self._inside -= 1
                if not self._inside:
                    os.dup2(self._saved, 2)
                    os.close(self._saved)
                    self._file.close()


_stderr_captured = _Stderr().captured
_readers: dict[tuple[int, str], Reader] = {}


def reader(language: str) -> Reader:
    """This process's Reader for `language`, loaded on first use. Keyed by process too: a worker
    forked from a process that had loaded one makes its own rather than share the parent's state."""
    key = (os.getpid(), language)
    if key not in _readers:
        _readers[key] = Reader(language)
    return _readers[key]
