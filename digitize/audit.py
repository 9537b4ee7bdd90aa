"""The audit log (who did what to whose papers, and when) and citizen-ID masking.

Every scan, view of a paper's text or PDF, export, edit, reuse, backup and restore appends one
row per paper to the catalog's `audit` table, with the user, the time, the paper, the record
and the citizen IDs of the people the paper is about (as they were at that moment, so a later
register change does not rewrite history). Rows are only ever inserted.
"""

from __future__ import annotations

import re
from typing import Iterable

from digitize.catalog import Catalog, nfc

# A CCCD (12 digits) or old CMND (9 digits), also glued to letters as in a file name (`cccd079…10.png`),
# but not part of a longer number; a run of 32 or more hex digits is a checksum (SHA-256 in archive
# paths) and is matched first only to be left as it is.
_CITIZEN_ID = re.compile(r"[0-9A-Fa-f]{32,}|(?<![0-9])([0-9]{4})([0-9]{3}|[0-9]{6})([0-9]{2})(?![0-9])")


def mask_id(text):
    """`079203001234` → `0792******34` for every 9- or 12-digit ID in `text` (non-strings pass through)."""
    if not isinstance(text, str):
        return text
    return _CITIZEN_ID.sub(lambda m: m[0] if m[1] is None else m[1] + "*" * len(m[2]) + m[3], text)


def mask_ids(value, keep: tuple[str, ...] = ("pdf_path", "source_path", "sha256", "pdf_sha256")):
    """`mask_id` on every string of a JSON-like value (rows a command prints), file paths and checksums kept."""
    if isinstance(value, list):
        return [mask_ids(v, keep) for v in value]
    if isinstance(value, dict):
        return {k: v if k in keep else mask_ids(v, keep) for k, v in value.items()}
    return mask_id(value)


def holder_ids(catalog: Catalog, paper_id: int | None = None, record_code: str | None = None) -> list[str]:
    """Citizen IDs of the people a paper is about: its holder, and the applicants of the records it
    serves (or the applicant of one record)."""
    return sorted({i for i in catalog.audit.holder_ids(paper_id, record_code) if i})


def log(catalog: Catalog, user: str, action: str, paper_id: int | None = None,
        record_code: str | None = None, detail: str = "") -> None:
    """Append one event; the record defaults to the first the paper is attached to."""
    with catalog.transaction():
        _insert(catalog, user, action, paper_id, record_code, detail)


def log_many(catalog: Catalog, user: str, action: str, paper_ids: Iterable[int], detail: str = "") -> None:
    """One event per paper, in one commit."""
    with catalog.transaction():
        for paper_id in paper_ids:
            _insert(catalog, user, action, paper_id, None, detail)


def _first_record(catalog: Catalog, paper_id: int, agencies: Iterable[str] | None) -> str | None:
    """The record an event on a paper is noted under: the first it serves, or for a user bound to
    agencies the first of theirs (a paper two agencies share: each one's events under its own)."""
    if not agencies:
        return catalog.papers.first_record(paper_id)
    codes = [a["record_code"] for a in catalog.papers.records_of(paper_id)]
    of, scope = catalog.records.agencies_of(codes), {nfc(a).strip() for a in agencies}
    return next((code for code in codes if of.get(code) in scope), None)


def _insert(catalog: Catalog, user: str, action: str, paper_id: int | None, record_code: str | None,
            detail: str) -> None:
    if record_code is None and paper_id is not None:
        record_code = _first_record(catalog, paper_id, getattr(user, "agencies", None))
    ids = holder_ids(catalog, paper_id=paper_id) if paper_id is not None else holder_ids(catalog, record_code=record_code)
    # `user`: a name, or who acts (a services Actor: name, role, channel, address), kept as it came
    catalog.audit.append(getattr(user, "name", user), action, paper_id, record_code, ids, detail,
                         channel=getattr(user, "channel", None), address=getattr(user, "address", None),
                         role=getattr(user, "role", None))


def events(catalog: Catalog, paper_id: int | None = None, holder_id: str | None = None,
           since: str | None = None) -> list[dict]:
    """The log, oldest first, filtered by paper, by a citizen's ID, or from a date (YYYY-MM-DD) on."""
    return catalog.audit.events(paper_id, None if holder_id is None else "".join(holder_id.split()), since)
