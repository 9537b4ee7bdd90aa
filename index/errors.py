"""What the search index raises. It knows nothing of archives or exit codes: `digitize.errors.from_library`
gives each its kind there."""


class SearchIndexError(Exception):
    """The base: the index cannot do what was asked, and the message says what to do."""


class IndexLocked(SearchIndexError):
    """Another process holds the index's write lock longer than the caller waits."""


class IndexDamaged(SearchIndexError):
    """The index cannot be created, read or opened (damaged, another engine's): rebuilding fixes it."""


class UnknownEngine(SearchIndexError):
    """No search engine of that name."""


class EngineInUse(SearchIndexError):
    """A filled index already searches with another engine: switching it is a rebuild."""


class EngineMissing(SearchIndexError):
    """The engine the index uses is not installed."""


class SearchUnavailable(SearchIndexError):
    """The search engine's server is not named, or cannot be reached."""
