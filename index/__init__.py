"""Search index: Vietnamese analysis, writing and rebuilding, queries, highlights.

Three engines behind one interface (:class:`SearchEngine`, opened with :func:`open_index`):
Whoosh, the default; tantivy, an optional extra; postgres, tables in a PostgreSQL database (extra
`postgresql`). Knows nothing of OCR or SQLite: it is handed plain dicts (see :mod:`index.documents`) and is derived data, rebuildable from the
catalog at any time.
"""

from .analysis import VietnameseAnalyzer, fold, nfc
from .engine import DEFAULT_ENGINE, ENGINES, SearchEngine, init_index, open_index, recorded_engine, recorded_url
from .hits import Hit, make_snippet, matching_words
from .query import Filters, parse

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Filters", "Hit", "SearchEngine", "VietnameseAnalyzer",
           "fold", "init_index", "make_snippet", "matching_words", "nfc", "open_index", "parse", "recorded_engine",
           "recorded_url"]
