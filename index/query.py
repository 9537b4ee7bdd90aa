"""The query language, parsed once in Python so both engines answer the same question.

    nguyen van an             every word must match (text or metadata), marks optional
    "giay khai sinh"          words side by side (also: one word that splits, like H48-220921)
    type:"giấy khai sinh"     a field: type holder id record procedure agency
    nguyen OR tran            either;  NOT word / -word  excludes;  AND is the default
    Nguyễn Văn Ân             a query typed with any mark ranks exact spellings first

Words of five letters or more also match one edit away, and words of any length one common OCR
confusion away (rn/m, cl/d, l/i, 0/o…: :data:`analysis.OCR_CONFUSIONS`), both ranked below exact
matches; numbers (citizen IDs, codes) only match exactly. Dates and validity are filters
(:class:`Filters`), not query syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date

from .analysis import fold_word, fuzzy_allowed, nfc, ocr_variants, words

# Query prefix -> the metadata keys it searches (see documents.GROUPS for the index fields).
FIELDS = {
    "type": ("doc_type",),
    "holder": ("holder_name", "applicant_name", "linked_applicants"),
    "id": ("holder_id", "applicant_id", "linked_applicant_ids"),
    "record": ("record_code", "linked_records"),
    "procedure": ("procedure_code", "procedure_name"),
    "agency": ("agency", "issuer"),
}
OPERATORS = {"AND", "OR", "NOT"}

# Scores, the same in both engines: exact spellings (queries typed with marks) above folded
# ones, a citizen ID above both; a fuzzy match (one edit or one OCR slip) counts a constant,
# below any real term match.
EXACT_BOOST = 2.0
ID_BOOST = 3.0
FUZZY_SCORE = 0.3

# Optional "-", optional known "field:", then a quoted phrase (closing quote optional) or a bare chunk.
_ITEM = re.compile(r'(-?)(?:(%s):)?(?:"([^"]*)"?|(\S+))' % "|".join(FIELDS))


@dataclass(frozen=True)
class Clause:
    """One word or phrase, in one field (None: text and every metadata field)."""

    words: tuple[str, ...]  # lower-cased NFC words, marks kept
    field: str | None = None
    phrase: bool = False

    folded: tuple[str, ...] = dc_field(init=False, compare=False)
    fuzzy: bool = dc_field(init=False, compare=False)  # a single word that also matches one edit away
    slips: frozenset[str] = dc_field(init=False, compare=False)  # ...and matches these, OCR's confusions

    def __post_init__(self):
        folded = tuple(fold_word(w) for w in self.words)
        single = not self.phrase and self.field != "id"
        object.__setattr__(self, "folded", folded)
        object.__setattr__(self, "fuzzy", single and fuzzy_allowed(folded[0]))
        object.__setattr__(self, "slips", ocr_variants(folded[0]) if single else frozenset())


@dataclass
class Query:
    """AND over ``groups`` (each an OR of clauses), minus any ``excluded`` clause."""

    groups: list[list[Clause]] = dc_field(default_factory=list)
    excluded: list[Clause] = dc_field(default_factory=list)
    marked: bool = False  # typed with tone/diacritic marks: exact spellings rank first

    def clauses(self) -> list[Clause]:
        return [c for g in self.groups for c in g]


@dataclass(frozen=True)
class Filters:
    """Restrictions that do not score: dates as ISO strings (inclusive), validity on a day."""

    issued_from: str | None = None
    issued_to: str | None = None
    expires_from: str | None = None
    expires_to: str | None = None
    valid_on: str | None = None  # not expired on this day (no expiry = valid) and not replaced

    @classmethod
    def make(cls, valid: bool = False, today: date | None = None, **dates) -> "Filters":
        return cls(valid_on=(today or date.today()).isoformat() if valid else None, **dates)

    def ranges(self) -> list[tuple[str, int | None, int | None]]:
        """(index field, low, high) integer YYYYMMDD ranges, inclusive, for the dates given."""
        out = []
        for name, low, high in (("issued", self.issued_from, self.issued_to),
                                ("expires", self.expires_from, self.expires_to)):
            if low or high:
                out.append((name, day_number(low), day_number(high)))
        return out

    def __bool__(self) -> bool:
        return any(vars(self).values())


def day_number(value) -> int | None:
    """``2024-05-02`` (or a date) -> 20240502; None or anything unreadable -> None."""
    if value is None:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(value).strip()[:10])
    return int("".join(m.groups())) if m else None


def _clause(field_name: str | None, chunk: str) -> Clause | None:
    if field_name == "id":  # a citizen ID: digits only, spaces and dots typed inside ignored
        digits = "".join(words(chunk))
        return Clause((digits,), "id") if digits else None
    ws = tuple(words(chunk))
    if not ws:  # punctuation only ("-", "–"): nothing to look for
        return None
    return Clause(ws, field_name, phrase=len(ws) > 1)


def parse(text: str) -> Query:
    """Parse a query; never raises (unknown syntax is searched as words)."""
    text = nfc(text or "")
    items = []  # (negate, field, chunk) or an operator string
    for m in _ITEM.finditer(text):
        minus, fname, quoted, bare = m.groups()
        if bare is not None and not minus and not fname and bare in OPERATORS:
            items.append(bare)
        else:
            items.append((bool(minus), fname, quoted if quoted is not None else bare))
    if not any(isinstance(i, tuple) for i in items):  # only operators: they are the words
        items = [(False, None, i) for i in items]

    query = Query()
    negate_next = join_next = False
    for item in items:
        if isinstance(item, str):
            if item == "NOT":
                negate_next = True
            elif item == "OR":
                join_next = bool(query.groups)
            continue
        minus, fname, chunk = item
        clause = _clause(fname, chunk)
        if clause is None:
            continue
        if minus or negate_next:
            query.excluded.append(clause)
        elif join_next:
            query.groups[-1].append(clause)
        else:
            query.groups.append([clause])
        negate_next = join_next = False
    query.marked = any(fold_word(w) != w for c in query.clauses() for w in c.words)
    return query
