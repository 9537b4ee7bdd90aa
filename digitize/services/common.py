"""What every service uses: what an actor is shown of citizen IDs, date values, a paper that must exist."""

from __future__ import annotations

from digitize import audit
from digitize.archive import Archive
from digitize.dates import date_given
from digitize.services.actor import Actor


def masked(value):
    """A value to show with every citizen ID in it masked (0792******34); paths and checksums kept."""
    return audit.mask_ids(value)


def shown(archive: Archive, actor: Actor, show_ids: bool, what: str, rows, key: str | None = "id",
          record_code: str | None = None):
    """`rows` as `actor` may see them: IDs masked, or in full when `show_ids`, which is logged once per
    paper shown (`key` names a row's paper id), or once for the record shown or the listing, so the
    log says whose IDs were seen."""
    if not show_ids:
        return masked(rows)
    papers = sorted({r[key] for r in rows if r.get(key) is not None}) if key else []
    if papers:
        audit.log_many(archive.catalog, actor, "show-ids", papers, detail=what)
    else:
        audit.log(archive.catalog, actor, "show-ids", record_code=record_code, detail=what)
    return rows


def date(value: str | None, field: str) -> str | None:
    """A date a user typed (YYYY-MM-DD or DD/MM/YYYY) as ISO, if any; BadArgument about `field`."""
    return None if value is None else date_given(value, field)


def paper(archive: Archive, paper_id: int) -> dict:
    """The catalog's row of a paper, or NotFound."""
    archive.catalog.require_paper(paper_id)
    return archive.catalog.get_paper(paper_id)
