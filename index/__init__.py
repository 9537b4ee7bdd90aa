"""Search index (Whoosh): Vietnamese analysis, writing and rebuilding, queries, highlights.

Knows nothing of OCR or SQLite: it is handed plain dicts (see :class:`SearchIndex`) and is
derived data, rebuildable from the catalog at any time.
"""

from .analysis import VietnameseAnalyzer, fold, nfc
from .store import Hit, SearchIndex, make_schema, make_snippet

__all__ = ["Hit", "SearchIndex", "VietnameseAnalyzer", "fold", "make_schema", "make_snippet", "nfc"]
