"""What goes into the index for one paper, the same for every engine.

The caller (the catalog) hands in plain dicts; unknown keys are ignored and missing ones
count as None. Each searchable group of fields (``GROUPS``) is indexed twice, as typed (marks kept) and
folded (``<group>_f``); citizen IDs go into one exact ``ids`` field; dates become YYYYMMDD
integers for range filters.
"""

from __future__ import annotations

import hashlib
import json

from .analysis import fold_text, nfc
from .query import FIELDS, day_number

# Metadata searched by unfielded words (with the text: the `all` group), in the order `matched` reports them.
META_KEYS = (
    "record_code", "doc_type", "holder_name", "applicant_name", "component", "procedure_name",
    "procedure_code", "agency", "issuer", "number", "source_name", "linked_records", "linked_applicants",
)
ID_KEYS = FIELDS["id"]
# Index field groups: each is a text field pair <name> / <name>_f. Unfielded words search
# one `all` field rather than text and metadata apart: half the postings to walk per word.
GROUPS = {"all": ("text", *META_KEYS), **{k: v for k, v in FIELDS.items() if k != "id"}}
# The order in which matched fields are reported.
MATCH_ORDER = ("text", "record_code", *ID_KEYS, *META_KEYS[1:])
STORED_KEYS = ("id", "text", "pdf_path", "scanned_at", "is_result", "issue_date", "expiry_date",
               "replaced_by", *ID_KEYS, *META_KEYS)


def _clean(value) -> str | None:
    """NFC, stripped string or None."""
    if value is None:
        return None
    s = nfc(str(value)).strip()
    return s or None


def prepare(doc: dict) -> dict:
    """A catalog dict -> ``{"id", "groups": {name: text}, "ids", "issued", "expires",
    "replaced", "stored", "json"}``; ``stored`` (also as ``json``) is what a hit is made from."""
    if doc.get("id") is None:
        raise ValueError("an index document needs an id")
    stored: dict = {"id": int(doc["id"]), "text": nfc(doc.get("text") or "")}
    for key in STORED_KEYS[2:]:
        value = doc.get(key)
        if key == "is_result":
            stored[key] = None if value is None else bool(value)
        elif key == "replaced_by":
            stored[key] = None if value is None else int(value)
        else:
            stored[key] = _clean(value)
    # The text folded, whitespace collapsed, as hits need it: folding at search time would
    # cost more than the search itself with the fast engine.
    stored["folded_text"] = fold_text(" ".join(stored["text"].split()))
    for key in ID_KEYS:  # digits only; several IDs (a paper serving several records) comma-separated
        if stored[key]:
            stored[key] = ",".join("".join(part.split()) for part in stored[key].split(","))
    groups = {}
    for name, keys in GROUPS.items():
        # Each value on its own line; the analyzers only see words, so this is cosmetic.
        value = "\n".join(stored[k] for k in keys if stored[k])
        if value:
            groups[name] = value
    return {
        "id": stored["id"],
        "groups": groups,
        "ids": sorted({i for k in ID_KEYS if stored[k] for i in stored[k].split(",") if i}),
        "issued": day_number(stored["issue_date"]),
        "expires": day_number(stored["expiry_date"]),
        "replaced": stored["replaced_by"] is not None,
        "stored": stored,
        "json": json.dumps(stored, ensure_ascii=False, sort_keys=True),
    }


def digest(prepared: dict) -> str:
    """A short fingerprint of everything indexed, to tell a resumed build what is unchanged."""
    return hashlib.blake2b(prepared["json"].encode(), digest_size=12).hexdigest()
