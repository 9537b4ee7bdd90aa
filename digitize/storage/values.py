"""Values every storage backend writes the same way: NFC text (invariant 4) and ISO timestamps."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone


def nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
