"""Vietnamese text analysis for the search index.

Two analyzers share one tokenizer:

* the *exact* analyzer keeps tone and diacritic marks (``Ân`` -> ``ân``), so a query typed
  with the right marks can rank exact matches first;
* the *folded* analyzer strips them and maps ``đ`` to ``d`` (``Đặng`` -> ``dang``), so a
  query typed on a keyboard without Vietnamese input still finds the paper.

Both normalise to NFC inside the tokenizer, so indexed text and typed queries (which may
arrive decomposed, NFD) meet in the same form, and token character offsets refer to the NFC
string. No stop words are removed and one-letter words are kept: in Vietnamese every
syllable is a word and "a", "ô", "ư" carry meaning.

The classes here are pickled into the index schema by Whoosh: renaming or moving them
makes existing indexes unreadable until they are rebuilt.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

__all__ = ["fold", "nfc", "NFCTokenizer", "FoldFilter", "VietnameseAnalyzer"]

WORD_PATTERN = r"\w+"


def nfc(text: str) -> str:
    """Return ``text`` in Unicode normal form C (composed)."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case ``text`` and strip every tone and diacritic mark; ``đ``/``Đ`` become ``d``.

    >>> fold("Đặng Thị Hương")
    'dang thi huong'
    """
    s = unicodedata.normalize("NFC", text).lower().replace("đ", "d")
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", s)


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    # Vocabulary repeats a lot (Vietnamese has ~7,000 syllables in common use), so caching
    # the per-token fold makes the folded analyzer almost as cheap as the exact one.
    return fold(word)


class NFCTokenizer(RegexTokenizer):
    """``\\w+`` tokenizer that first normalises the whole value to NFC.

    Character offsets (``chars=True``) refer to the NFC string, which is also what the
    index stores, so highlights line up with the stored text.
    """

    def __init__(self, expression: str = WORD_PATTERN, gaps: bool = False):
        super().__init__(expression, gaps=gaps)

    def __call__(self, value, **kwargs):
        return super().__call__(nfc(value), **kwargs)


class FoldFilter(Filter):
    """Replace each token's text by its folded form (no marks, ``đ`` -> ``d``, lower case)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = _fold_word(t.text)
            yield t


def VietnameseAnalyzer(folded: bool = False):
    """Analyzer for Vietnamese text: NFC, ``\\w+`` words, lower case, no stop words.

    With ``folded=True`` tone and diacritic marks are stripped and ``đ`` maps to ``d``.
    Supports ``positions=True`` and ``chars=True`` (phrases and highlighting).
    """
    if folded:
        return NFCTokenizer() | FoldFilter()
    return NFCTokenizer() | LowercaseFilter()
