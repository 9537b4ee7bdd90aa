"""Whether a PDF page's text layer says what the page shows, or is junk to be OCR'd instead.

A font without a true Unicode map gives a text layer that is text to a program and nonsense to a
person (`F n e m b \\ h e h k`): kept, the page's words could never be found. Real text is made of
words, so a layer is trusted when most of what it holds is words of Tesseract's own Vietnamese and
English dictionaries (the lists it reads with, installed with it). Judging costs no OCR.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

LANGUAGES = ("vie", "eng")
READABLE_SHARE = 0.5  # real layers measured 0.95 (Vietnamese papers, English prose); junk 0–0.1
MIN_JUDGED = 20  # fewer characters than this to judge by (a page of numbers): trusted
# Digits, spaces and the punctuation of real text say nothing either way; anything else is judged.
NEUTRAL = set("0123456789.,:;!?()[]/-–—_'\"“”‘’«»%…*+=&#§°•·@")
WORD = re.compile(r"[^\W\d_]{2,}")


def readable(text: str) -> bool:
    """True when most of `text` (letters and odd symbols) is dictionary words of two letters or more."""
    text = unicodedata.normalize("NFC", text).lower()
    judged = sum(not c.isspace() and c not in NEUTRAL for c in text)
    if judged < MIN_JUDGED:
        return True
    known = dictionary()
    if not len(known):  # no dictionary on this machine to judge by: trust the layer, as before
        return True
    words = WORD.findall(text)
    found = np.isin(np.fromiter(map(hash, words), dtype=np.int64, count=len(words)), known)
    return sum(len(w) for w, f in zip(words, found) if f) >= READABLE_SHARE * judged


@lru_cache(maxsize=1)
def dictionary() -> np.ndarray:
    """The sorted hashes of Tesseract's words for LANGUAGES, lower-cased: ~200,000 words in 1.6 MB
    (as a set of strings 44 MB), read in 0.4 s once per process; empty when its tools are missing."""
    try:
        folder = _tessdata()
        with tempfile.TemporaryDirectory() as tmp:
            hashes = [_word_hashes(folder / f"{language}.traineddata", Path(tmp) / language)
                      for language in LANGUAGES]
    except (OSError, subprocess.SubprocessError, ValueError):
        hashes = []
    return np.unique(np.concatenate(hashes)) if hashes else np.zeros(0, dtype=np.int64)


def _tessdata() -> Path:
    run = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    found = re.search(r'languages in "([^"]+)"', run.stdout + run.stderr)
    if found is None:
        raise ValueError("tessdata folder not found")
    return Path(found[1])


def _word_hashes(traineddata: Path, base: Path) -> np.ndarray:
    # LSTM models carry their own unicharset and word list; older files the legacy pair.
    for kind in ("lstm-", ""):
        unicharset, dawg = Path(f"{base}.{kind}unicharset"), Path(f"{base}.{kind}word-dawg")
        subprocess.run(["combine_tessdata", "-e", str(traineddata), str(unicharset), str(dawg)],
                       capture_output=True, timeout=60)
        if unicharset.exists() and dawg.exists():
            out = Path(f"{base}.words")
            subprocess.run(["dawg2wordlist", str(unicharset), str(dawg), str(out)], capture_output=True,
                           timeout=60, check=True)
            with open(out, encoding="utf-8", errors="replace") as lines:  # one at a time: memory stays flat
                return np.fromiter((hash(unicodedata.normalize("NFC", w.strip()).lower()) for w in lines),
                                   dtype=np.int64)
    return np.zeros(0, dtype=np.int64)
