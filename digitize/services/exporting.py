"""A record exported for the archive (Decree 30/2020): its papers as PDF in the order received and
one XML of its metadata; to a folder (the command line) or as one zip (a web route)."""

from __future__ import annotations

from pathlib import Path

from digitize import audit
from digitize import export as exporting
from digitize.archive import Archive
from digitize.scan.targets import resolve_target
from digitize.services.access import agencies, require
from digitize.services.actor import Actor


def _code(archive: Archive, actor: Actor, record_code: str) -> str:
    """The record's code; an unknown one, or another agency's, gets scan's message."""
    return resolve_target(archive, record_code, None, True, agencies(actor)).record_code


def export(archive: Archive, actor: Actor, record_code: str, folder: Path) -> dict:
    """Write the record's papers and XML into `folder`: {record_code, folder, xml, files, documents, pages}.
    Logged: the papers leave the archive."""
    require(actor, "export")
    code = _code(archive, actor, record_code)
    done = exporting.export_record(archive, code, folder)
    audit.log(archive.catalog, actor, "export", record_code=code, detail=str(folder))
    return done


def export_zip(archive: Archive, actor: Actor, record_code: str, target: Path) -> dict:
    """The same as one zip file at `target` (for GET /api/v1/records/{code}/export)."""
    require(actor, "export")
    code = _code(archive, actor, record_code)
    done = exporting.export_zip(archive, code, target)
    audit.log(archive.catalog, actor, "export", record_code=code, detail="zip")
    return done
