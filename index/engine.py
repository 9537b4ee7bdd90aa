"""Which engine an index uses, and opening it with that engine (the engines import :mod:`index.base`)."""

from __future__ import annotations

from pathlib import Path

from .base import IndexBase, SearchEngine, recorded_engine, recorded_url, recover_interrupted_swap, written_by
from .errors import EngineInUse, EngineMissing, UnknownEngine

ENGINES = ("whoosh", "tantivy", "postgres")
DEFAULT_ENGINE = "whoosh"

__all__ = ["DEFAULT_ENGINE", "ENGINES", "IndexBase", "SearchEngine", "check_engine", "init_index", "open_index",
           "recorded_engine", "recorded_url", "written_by"]


def check_engine(name: str) -> str:
    if name not in ENGINES:
        raise UnknownEngine(f"unknown search engine {name!r}; choose one of {', '.join(ENGINES)}")
    return name


def open_index(path: Path, engine: str | None = None, url: str | None = None) -> "IndexBase":
    """Open (or create) the index at ``path`` with the engine it records, else ``engine``,
    else Whoosh. Asking for another engine than the one recorded gives an index that only
    ``rebuild`` works on (that is how an archive switches engines). ``url``: the PostgreSQL
    server of the postgres engine (else $SOHOA_SEARCH_URL, else the one recorded beside ``path``)."""
    recover_interrupted_swap(Path(path))
    name = check_engine(engine or recorded_engine(path) or DEFAULT_ENGINE)
    if name == "postgres":
        try:
            from .postgres_engine import PostgresIndex
        except ImportError:
            raise EngineMissing(
                "this archive's search index is on PostgreSQL, and psycopg is not installed: "
                "pip install 'sohoa[postgresql]' (or switch with sohoa reindex --engine whoosh)"
            ) from None
        return PostgresIndex(path, url)
    if name == "tantivy":
        try:
            from .tantivy_engine import TantivyIndex
        except ImportError:
            raise EngineMissing(
                "this archive's search index uses tantivy, which is not installed: "
                "pip install 'sohoa[tantivy]' (or switch with sohoa reindex --engine whoosh)"
            ) from None
        return TantivyIndex(path)
    from .whoosh_engine import WhooshIndex

    return WhooshIndex(path)


def init_index(path: Path, engine: str | None = None, url: str | None = None) -> tuple[str, bool]:
    """Create the index at ``path`` with ``engine`` (default Whoosh) unless one exists.

    Returns (engine, created). An existing index keeps its engine; asking for another one
    is refused unless the index is still empty (switching a filled one is a rebuild).
    """
    recorded = recorded_engine(path)
    if recorded is not None and engine and engine != recorded:
        with open_index(path, url=url) as current:
            if current.count():
                raise EngineInUse(
                    f"{Path(path).parent} already searches with {recorded}; "
                    f"switch with: sohoa reindex --engine {engine}"
                )
        with open_index(path, engine, url) as ix:
            ix.rebuild([])
        return engine, True
    with open_index(path, engine, url) as ix:
        return ix.name, recorded is None
