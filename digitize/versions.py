"""A paper's archived copy replaced by a later version of it (signed, or converted to PDF/A).

The paper's identity — the SHA-256 of its original — stays; the new copy is a file of its own
beside the old (Archive.write_paper with a version, through its PaperFiles), the catalog moves to it with its checksum in
one commit together with what the caller records, and only then is the old file removed. A crash
before the commit leaves the new file as an orphan (`sohoa check --repair` sets it aside), after it
the old one: either way the catalog names one whole file whose checksum it has.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator

from digitize.archive import Archive
from digitize.errors import ArchiveError
from digitize.intake import sha256_file


@contextmanager
def current_copy(archive: Archive, paper: dict) -> Iterator[Path]:
    """The paper's archived file at hand (PaperFiles.local_path), checked against its recorded
    checksum first: a later version is made only from a copy known to be whole."""
    with ExitStack() as held:
        try:
            path = held.enter_context(archive.paper_files.local_path(paper["pdf_path"]))
            digest = sha256_file(path)
        except OSError as exc:
            raise ArchiveError(f"paper {paper['id']}: its file {paper['pdf_path']} cannot be read ({exc.strerror}); "
                               "run sohoa check") from None
        if paper.get("pdf_sha256") and digest != paper["pdf_sha256"]:
            raise ArchiveError(f"paper {paper['id']}: its file {paper['pdf_path']} does not match its checksum; "
                               "run sohoa check and restore it from a backup")
        yield path


def replace_copy(archive: Archive, paper: dict, new_file: Path, version: str,
                 record: Callable[[str], None] = lambda sha: None) -> tuple[str, str]:
    """Make `new_file` the paper's archived copy; `record(new_sha256)` runs in the same transaction.
    Returns the new copy's relative path and checksum."""
    catalog = archive.catalog
    relative, digest = archive.write_paper(paper["sha256"], new_file, version)
    try:
        with catalog.transaction():
            catalog.papers.replace_copy(paper["id"], relative, digest)
            record(digest)
    except BaseException:
        if relative != paper["pdf_path"]:
            archive.paper_files.remove(relative)
        raise
    if relative != paper["pdf_path"]:
        archive.paper_files.remove(paper["pdf_path"])
    return relative, digest
