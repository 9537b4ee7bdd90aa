"""Values every storage backend writes the same way: NFC text (invariant 4) and ISO timestamps."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from index.analysis import nfc  # noqa: F401 (the index's, so the catalog and the index store one form)


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def without_password(url: str) -> str:
    """A database URL as files and messages may show it: any password left out."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
