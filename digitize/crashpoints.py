"""Named moments where tests kill Sohoa, or fill its disk, to prove that a failure there loses nothing.

`SOHOA_CRASH_AT=NAME:N` makes the N-th time this process reaches `NAME` (default the first)
SIGKILL the process itself: no cleanup, no `finally`, like a power cut. `SOHOA_DISK_FULL_AT=NAME:N`
makes it raise ENOSPC there instead, the N-th time and every time after (a full disk stays full).
Unset, each costs a lookup.

Points: ocr-worker (an OCR worker process starts a page: kills that worker), ocr-page (a page's OCR came back), pdf-write (archive PDF half written, not yet renamed),
pdf-written (file in place, catalog row not committed), catalog-commit (row committed, not indexed),
index-commit (index written, catalog not yet told), reindex-build (rebuilding, one document in),
reindex-swap (new index built, between the renames).
"""

from __future__ import annotations

import errno
import os
import signal

_hits: dict[tuple[str, str], int] = {}


def reached(name: str) -> None:
    if _due("SOHOA_CRASH_AT", name):
        os.kill(os.getpid(), signal.SIGKILL)
    if _due("SOHOA_DISK_FULL_AT", name):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _due(variable: str, name: str) -> bool:
    spec = os.environ.get(variable)
    if not spec:
        return False
    point, _, nth = spec.partition(":")
    if point != name:
        return False
    key = (variable, name)
    _hits[key] = _hits.get(key, 0) + 1
    return _hits[key] >= int(nth or 1)
