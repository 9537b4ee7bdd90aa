"""Scoring OCR text against the text a benchmark rendered: edit distance, and the text without marks."""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein  # pip install -e '.[bench]'


def distance(a: str, b: str) -> int:
    """Levenshtein distance in characters."""
    return Levenshtein.distance(a, b)


def unmarked(text: str) -> str:
    """The text with tones, vowel marks and đ taken off (đ → d, Đ → D), case kept."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))
