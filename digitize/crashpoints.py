"""Named moments where tests kill Sohoa, to prove that a crash there loses nothing.

`SOHOA_CRASH_AT=NAME:N` makes the N-th time this process reaches `NAME` (default the first)
SIGKILL the process itself: no cleanup, no `finally`, like a power cut. Unset, it costs a lookup.

Points: ocr-worker (an OCR worker process starts a page: kills that worker), ocr-page (a page's OCR came back), pdf-write (archive PDF half written, not yet renamed),
pdf-written (file in place, catalog row not committed), catalog-commit (row committed, not indexed),
index-commit (index written, catalog not yet told), reindex-build (rebuilding, one document in),
reindex-swap (new index built, between the renames).
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def reached(name: str) -> None:
    spec = os.environ.get("SOHOA_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
