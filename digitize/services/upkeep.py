"""Keeping an archive: create it, rebuild its index, check it, back it up and restore it, read its audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from digitize import audit
from digitize.archive import Archive
from digitize.errors import library_errors
from digitize.services.access import require
from digitize.services.actor import Actor
from digitize.services.common import date, events_in_scope, require_in_scope, shown


def init(archive: Archive, actor: Actor, engine: str | None = None, search_url: str | None = None) -> dict:
    """Set up an archive's search index with `engine` (default Whoosh): {engine, created, catalog (its
    PostgreSQL URL without password, None for catalog.sqlite)}. The postgres engine's server is
    `search_url`, else the one recorded, else the catalog's database when that is PostgreSQL.
    Opening the archive made the catalog."""
    from index import init_index

    with library_errors():
        name, created = init_index(archive.root / "index", engine, archive.search_url(search_url))
    return {"engine": name, "created": created, "catalog": archive.catalog_url}


def reindex(archive: Archive, actor: Actor, engine: str | None = None, search_url: str | None = None,
            on_document: Callable[[int], None] | None = None) -> int:
    """Rebuild the search index from the catalog (with another `engine`, to switch); a killed rebuild
    resumes where it stopped. Returns how many papers were indexed; `on_document(n)` as it goes."""
    require(actor, "reindex")
    return archive.reindex(engine=engine, search_url=search_url, on_document=on_document)


def check(archive: Archive, actor: Actor, repair: bool = False):
    """Verify files and their SHA-256, the index against the catalog, orphans, the schema; `repair`
    re-indexes what is missing or stale and moves orphans aside. Returns a digitize.check.Report."""
    require(actor, "check")
    from digitize.check import check as run_check

    return run_check(archive, repair=repair, user=actor.name)


def backup(archive: Archive, actor: Actor, file: Path, progress: Callable[[int, int], None] | None = None,
           attempt: str = "") -> dict:
    """A consistent backup (catalog, archived files, manifest) written to `file` (.tar or .tar.gz);
    `progress(done, total)` per paper, `attempt` (a job's) names its partial file."""
    require(actor, "backup")
    from digitize.backup import backup as run_backup

    return run_backup(archive, file, user=actor.name, progress=progress, attempt=attempt)


def restore(actor: Actor, file: Path, root: Path) -> dict:
    """An archive rebuilt from a backup `file` in the new (or empty) folder `root`, checked."""
    from digitize.backup import restore as run_restore

    return run_restore(file, root, user=actor.name)


def audit_log(archive: Archive, actor: Actor, paper_id: int | None = None, holder_id: str | None = None,
              since: str | None = None, show_ids: bool = False) -> list[dict]:
    """Who scanned, viewed, edited, reused, attached, replaced, accepted, backed up or restored which
    papers, oldest first: of one paper, about one citizen, from a date on."""
    require(actor, "audit_log")
    if paper_id is not None:
        require_in_scope(archive, actor, paper_id)
    rows = audit.events(archive.catalog, paper_id=paper_id, holder_id=holder_id, since=date(since, "since"))
    rows = events_in_scope(archive, actor, rows)  # Decree 30: what the actor's agencies see
    return shown(archive, actor, show_ids, "audit", rows, key="paper_id")
