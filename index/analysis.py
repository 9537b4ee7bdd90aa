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

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

__all__ = ["fold", "fold_chars", "fold_word", "nfc", "words", "NFCTokenizer", "FoldFilter", "VietnameseAnalyzer"]

WORD_PATTERN = r"\w+"


def nfc(text):
    """``text`` in Unicode normal form C (composed); a value that is not a string (None) as it is."""
    return unicodedata.normalize("NFC", text) if isinstance(text, str) else text


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


_TOKEN = re.compile(WORD_PATTERN)

FUZZY_MIN_LETTERS = 5  # shorter words are too often a different real word one edit away


def words(text: str) -> list[str]:
    """The lower-cased NFC words of ``text`` (what the exact analyzer indexes)."""
    return _TOKEN.findall(nfc(text).lower())


def fold_word(word: str) -> str:
    """:func:`fold` for one word, cached (the vocabulary repeats a lot)."""
    return _fold_word(word)


def fuzzy_allowed(folded: str) -> bool:
    """OCR-error tolerance applies to words of five letters or more (never to numbers or IDs)."""
    return len(folded) >= FUZZY_MIN_LETTERS and folded.isalpha()


def within_one_edit(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` differ by at most one insertion, deletion, substitution or
    transposition of neighbours (the distance both engines' fuzzy queries use)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:] or (a[i + 1:i + 2] == b[i:i + 1] and a[i:i + 1] == b[i + 1:i + 2]
                                          and a[i + 2:] == b[i + 2:])
    return a[i + 1:] == b[i:] if la > lb else a[i:] == b[i + 1:]


# Shapes OCR takes for one another on a poor scan, as folded lower-case text, either way: staff who
# copy a name from such a scan type the slip (larn for Lam, blnh for Bình), and papers read from
# one carry it. Single letters among them are one edit, which long words already match; the pairs
# (rn, cl, vv, li) are two.
OCR_CONFUSIONS = (("rn", "m"), ("cl", "d"), ("vv", "w"), ("li", "h"), ("l", "i"), ("1", "i"), ("1", "l"),
                  ("0", "o"), ("5", "s"))


def ocr_variants(word: str) -> frozenset[str]:
    """The words one OCR confusion away from the folded ``word`` (itself left out). A variant
    keeps a letter, so a number never becomes another: a citizen ID one digit off is someone else's."""
    if word.isdigit():
        return frozenset()
    found = set()
    for a, b in OCR_CONFUSIONS:
        for seen, instead in ((a, b), (b, a)):
            at = word.find(seen)
            while at != -1:
                found.add(word[:at] + instead + word[at + len(seen):])
                at = word.find(seen, at + 1)
    return frozenset(v for v in found if not v.isdigit()) - {word}


def edits_within_one(word: str, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> set[str]:
    """Every string at most one edit from ``word`` over ``alphabet`` (``word`` included)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {word}
    out.update(a + b[1:] for a, b in splits if b)
    out.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    out.update(a + c + b[1:] for a, b in splits if b for c in alphabet)
    out.update(a + c + b for a, b in splits for c in alphabet)
    return out


class _CharFolds(dict):
    """str.translate table of each character to its fold, filled in as characters are met. A character
    whose fold is not one character (a lone mark folds to nothing) gets its first, or a space, so the
    text keeps its length; those are noted in `inexact`."""

    def __init__(self):
        super().__init__()
        self.inexact: set[str] = set()

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))
        if len(folded) != 1:
            self.inexact.add(chr(code))
        self[code] = one = folded[:1] or " "
        return one


_CHAR_FOLDS = _CharFolds()


def fold_chars(text: str) -> str:
    """:func:`fold` one character at a time: the result always has the length of ``text``, so an
    offset found in it is an offset in ``text`` (a lone mark becomes a space)."""
    return text.translate(_CHAR_FOLDS)


def fold_text(text: str) -> str:
    """:func:`fold` for a whole (NFC) text at C speed; for NFC Vietnamese the result has the
    same length, so offsets found in it hold in ``text`` (check ``len`` before relying on it)."""
    lowered = text.lower()
    # Fast path: a canonical decomposition has one base letter, so if dropping everything
    # but ASCII from the NFD form keeps the length, every character became its base letter.
    ascii_only = unicodedata.normalize("NFD", lowered.replace("đ", "d")).encode("ascii", "ignore")
    if len(ascii_only) == len(lowered):
        return ascii_only.decode("ascii")
    folded = fold_chars(lowered)
    # A character whose fold is not one character (a lone mark) sends the text down the general path.
    if _CHAR_FOLDS.inexact and not _CHAR_FOLDS.inexact.isdisjoint(lowered):
        return fold(text)
    return folded
