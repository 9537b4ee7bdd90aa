"""Values every storage backend writes the same way: NFC text (invariant 4) and ISO timestamps."""

from __future__ import annotations

from datetime import datetime, timezone

from index.analysis import nfc  # noqa: F401 (the index's, so the catalog and the index store one form)


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
