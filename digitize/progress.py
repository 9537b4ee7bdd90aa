"""Progress of a scan on stderr: a bar on a terminal, a plain line now and then otherwise (logs, cron).

stdout stays clean for --json either way.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total_pages: int, stream=None, every: float = 10.0):
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty()
        self.total = total_pages
        self.pages = self.papers = 0
        self.every = 0.2 if self.bar else every  # a bar redraws often; log lines are sparse
        self.start = self.last = time.monotonic()

    def page(self) -> None:
        self.pages += 1
        # The total is counted cheaply beforehand and a damaged file may count as 0 pages, then read
        # as more: the total is at least what was read, never "1/0 pages".
        self.total = max(self.total, self.pages)
        self._tick()

    def paper(self) -> None:
        self.papers += 1
        self._tick()

    def status(self) -> str:
        minutes = (time.monotonic() - self.start) / 60
        rate = self.pages / minutes if minutes > 0 else 0.0
        left = ""
        if rate and self.total > self.pages:
            seconds = round((self.total - self.pages) / rate * 60)
            left = f", {seconds // 60}:{seconds % 60:02d} left"
        return f"{self.pages}/{self.total} pages, {self.papers} papers, {rate:.0f} pages/min{left}"

    def _tick(self) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        if self.bar:
            done = min(1.0, self.pages / self.total) if self.total else 0.0
            width = 30
            filled = round(done * width)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.status()}\x1b[K")
        else:
            self.stream.write(f"progress: {self.status()}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
