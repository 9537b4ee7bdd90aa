"""The worker processes that read pages (pages.read_page), one per core: a worker that dies or
hangs on a page costs only that page's file, not the batch."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from digitize.errors import InputError
from digitize.scan.pages import PageRead, PageTask, read_page


def _worker_start(parent: int, engine=None) -> None:
    """Ctrl-C is the main process's to handle; and a worker whose main process died (killed, power
    cut in a test) must not linger holding its pipes and the hot folder's lock: it checks and exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def orphaned():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=orphaned, daemon=True).start()
    if engine is not None:
        engine.warm()


def _start(size: int, engine=None) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(size, initializer=_worker_start, initargs=(os.getpid(), engine))
    started = [pool.submit(os.getpid) for _ in range(size)]
    if engine is not None:  # warmed: ready once each has loaded it
        for future in started:
            future.result()
    return pool


class PagePool:
    """`size` worker processes, forked when made (best while the main process is still small); with
    `warm`, each loads the engine at once (a pool that lives longer than one scan)."""

    def __init__(self, engine, size: int, warm: bool = False):
        self.engine = engine
        self.size = size
        self._warm = engine if warm else None
        self._pool = _start(size, self._warm)

    def submit(self, task: PageTask) -> Future:
        try:
            return self._pool.submit(read_page, self.engine, task)
        except BrokenProcessPool:
            self._renew()
            return self._pool.submit(read_page, self.engine, task)

    def result(self, future: Future, task: PageTask) -> PageRead:
        """The page `future` reads; read again alone if a worker died with it in flight."""
        try:
            return future.result()
        except BrokenProcessPool:
            return self._read_again(task)

    def shutdown(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def _renew(self) -> None:
        try:
            self._pool.submit(os.getpid)  # raises at once if a worker died
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = _start(self.size, self._warm)

    def _read_again(self, task: PageTask) -> PageRead:
        """A worker died with this page in flight (killed for memory, or Tesseract crashed), which
        breaks every page in flight: each is read once more in a process of its own, so a page that
        kills that one too is the cause, and only its file fails."""
        self._renew()
        with _start(1) as alone:
            try:
                return alone.submit(read_page, self.engine, task).result()
            except BrokenProcessPool:
                raise InputError("OCR stopped twice on this page (the OCR process was killed: out of memory, "
                                 "Tesseract crashed, or it hung); check the scan, or scan it again") from None
