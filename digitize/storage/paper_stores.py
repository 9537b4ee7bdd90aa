"""Which papers' store a location names: none, the archive's own folder; `scheme://…`, the store
an installed package registers for that scheme (entry-point group ``sohoa.paper_files``)."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable

from digitize.errors import BadArgument
from digitize.storage.folder_files import FolderFiles
from digitize.storage.paper_files import PaperFiles
from digitize.storage.values import without_password

ENTRY_POINTS = "sohoa.paper_files"  # group: a URL scheme → a factory(url, work: Path) -> PaperFiles


def open_paper_files(url: str | None, root: Path, checkpoint: Callable[[str], None] = lambda name: None) -> PaperFiles:
    """The store `url` names (None: the archive folder `root` itself, papers/ in it, temporary files
    in its tmp/). `checkpoint(name)` is called at the moments a crash test stops a write."""
    if not url:
        return FolderFiles(root, root / "tmp", checkpoint)
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    found = {e.name.lower(): e for e in entry_points(group=ENTRY_POINTS)}
    if scheme not in found:
        known = ", ".join(f"{name}://" for name in sorted(found)) or "none installed"
        raise BadArgument("SOHOA_PAPERS {url}: no papers' store for {scheme} (stores: {known}); leave SOHOA_PAPERS "
                          "unset to keep the papers in the archive's folder", url=without_password(url),
                          scheme=f"{scheme}://" if scheme else "a URL without a scheme", known=known)
    return found[scheme].load()(url, root / "tmp")
