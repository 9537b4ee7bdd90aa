"""Turning an engine's answer (stored fields + score) into a :class:`Hit`, for every engine alike.

Which fields matched and which words to highlight are worked out here from the stored
values and the parsed query, so both engines report them identically (and fuzzy matches are
highlighted too, which neither engine's own highlighter does for folded text).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import re

from .analysis import WORD_PATTERN, fold_text, fold_word, nfc, within_one_edit
from .documents import ID_KEYS, MATCH_ORDER, META_KEYS
from .query import FIELDS, Clause, Query

SNIPPET_CHARS = 200  # highlighted snippet budget (plain characters, markers not counted)
LEAD_CHARS = 150  # snippet when only metadata matched
FRAGMENT_CHARS = 133  # one passage: a run of matches...
CONTEXT_CHARS = 40  # ...with this much text either side

_WORD = re.compile(WORD_PATTERN)
_ORDER = {name: i for i, name in enumerate(MATCH_ORDER)}


class Estimate(int):
    """A search's total that is an estimate, not a count: the postgres engine's, for a query
    matching more papers than it counts (see postgres_engine.CANDIDATES). An int all the same."""

    estimated = True


@dataclass
class Hit:
    """One search result."""

    id: int
    score: float
    record_code: str | None
    component: str | None
    source_name: str | None
    pdf_path: str | None
    snippet: str
    matched: list[str] = field(default_factory=list)


def _matching_tokens(clause: Clause, tokens: list[str], token_set: set[str]) -> set[str]:
    """The folded ``tokens`` of one field value that ``clause`` matches."""
    want = clause.folded
    if clause.phrase:
        if not set(want) <= token_set:
            return set()
        n = len(want)
        return set(want) if any(tuple(tokens[i:i + n]) == want for i in range(len(tokens) - n + 1)) else set()
    (w,) = want
    if w in token_set:
        return {w}
    # one edit or one OCR slip away counts only where the word itself is absent
    return (clause.slips & token_set) | ({t for t in token_set if within_one_edit(w, t)} if clause.fuzzy else set())


def make_hit(stored: dict, score: float, query: Query) -> Hit:
    """A hit from a document's stored fields (see documents.prepare) and its score."""
    matched: set[str] = set()
    text_terms: set[str] = set()
    folded: dict[str, tuple[list[str], set[str]]] = {}
    for clause in query.clauses():
        keys = ("text", *ID_KEYS, *META_KEYS) if clause.field is None else FIELDS[clause.field]
        for key in keys:
            value = stored.get(key)
            if not value:
                continue
            if key in ID_KEYS:
                if len(clause.words) == 1 and clause.words[0] in value.split(","):
                    matched.add(key)
                continue
            if key not in folded:
                source = stored.get("folded_text") if key == "text" else None
                tokens = _WORD.findall(source or fold_text(value))
                folded[key] = (tokens, set(tokens))
            found = _matching_tokens(clause, *folded[key])
            if found:
                matched.add(key)
                if key == "text":
                    text_terms |= found
    return Hit(
        id=int(stored["id"]),
        score=float(score or 0.0),
        record_code=stored.get("record_code"),
        component=stored.get("component"),
        source_name=stored.get("source_name"),
        pdf_path=stored.get("pdf_path"),
        snippet=make_snippet(stored.get("text") or "", text_terms, stored.get("folded_text")),
        matched=sorted(matched, key=lambda n: (_ORDER.get(n, len(_ORDER)), n)),
    )


def _lead(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + " …"


def _spans(flat: str, folded_terms: set[str], folded: str | None) -> list[tuple[int, int]]:
    """Where the words in ``folded_terms`` are in ``flat`` (start, end)."""
    if folded is None:
        folded = fold_text(flat)
    if len(folded) == len(flat):  # offsets in the folded text hold in the original
        pattern = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(folded_terms, key=len, reverse=True))))
        return [m.span() for m in pattern.finditer(folded)]
    return [m.span() for m in _WORD.finditer(flat) if fold_word(m.group()) in folded_terms]


def make_snippet(text: str, folded_terms: set[str], folded: str | None = None, budget: int = SNIPPET_CHARS) -> str:
    """Up to ~``budget`` characters of ``text`` around the words in ``folded_terms``.

    Matching is done on folded words, so ``dang`` highlights ``**Đặng**``; the original
    spelling is kept in the output. Whitespace is collapsed. Up to three passages, the ones
    with the most matches, each a run of matches with ~40 characters of context either side.
    Without matches (metadata-only hits), the opening of the text is returned. ``folded``:
    the text already folded and collapsed, if the caller has it.
    """
    flat = " ".join(nfc(text).split())
    if not flat:
        return ""
    hits = _spans(flat, folded_terms, folded) if folded_terms else []
    if not hits:
        return _lead(flat, LEAD_CHARS)
    # Runs of matches that fit in a passage, then the best three, in text order.
    runs: list[list[tuple[int, int]]] = []
    for t in hits:
        if runs and t[1] - runs[-1][0][0] <= FRAGMENT_CHARS - 2 * CONTEXT_CHARS:
            runs[-1].append(t)
        else:
            runs.append([t])
    best = sorted(sorted(runs, key=len, reverse=True)[:3], key=lambda r: r[0][0])
    chosen, used = [], 0
    for run in best:
        start, end = _widen(flat, run[0][0] - CONTEXT_CHARS, run[-1][1] + CONTEXT_CHARS)
        if chosen and used + end - start > budget:
            break
        if chosen and start <= chosen[-1][1]:  # overlapping context: one passage
            chosen[-1] = (chosen[-1][0], end, chosen[-1][2] + run)
        else:
            chosen.append((start, end, run))
        used += end - start
    parts = []
    for start, end, run in chosen:
        out, pos = [], start
        for s, e in run:
            out += [flat[pos:s], "**", flat[s:e], "**"]
            pos = e
        out.append(flat[pos:end])
        parts.append("".join(out))
    body = " … ".join(parts)
    if chosen[0][0] > 0:
        body = "… " + body
    if chosen[-1][1] < len(flat):
        body += " …"
    return body


def _widen(flat: str, start: int, end: int) -> tuple[int, int]:
    """Clip to the text, then move both ends inwards so no word is cut."""
    start, end = max(0, start), min(len(flat), end)
    if start > 0 and not flat[start - 1].isspace():
        space = flat.find(" ", start)
        start = space + 1 if space != -1 else start
    if end < len(flat) and not flat[end].isspace():
        space = flat.rfind(" ", start, end)
        end = space if space > start else end
    return start, end


def matching_words(query: Query, texts: list[str]) -> list[bool]:
    """Which of ``texts`` (a page's words in reading order, as the OCR laid them out) the query's
    text clauses match, folded as the index folds and with the fuzzy and OCR-slip matches the
    snippet highlights; a word fenced by punctuation (``An,``) matches by its letters."""
    tokens = [_WORD.findall(fold_text(nfc(t))) for t in texts]
    flat = [w for ws in tokens for w in ws]
    present = set(flat)
    found: set[str] = set()
    for clause in query.clauses():
        if clause.field is None:
            found |= _matching_tokens(clause, flat, present)
    return [not found.isdisjoint(ws) for ws in tokens]
