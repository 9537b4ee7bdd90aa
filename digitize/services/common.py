"""What every service uses: what an actor is shown of citizen IDs, date values, a paper that must exist
and be in the actor's agencies' scope."""

from __future__ import annotations

from digitize import audit
from digitize.archive import Archive
from digitize.dates import date_given
from digitize.errors import NotFound
from digitize.services.access import agencies
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


def seen(archive: Archive, actor: Actor, paper_ids) -> set[int]:
    """Those of `paper_ids` `actor` may see (Decree 30: rights per record; see Papers.seen_by).
    Unscoped: all of them."""
    ids = list(paper_ids)
    scope = agencies(actor)
    return set(ids) if scope is None else archive.catalog.papers.seen_by(ids, scope)


def in_scope(archive: Archive, actor: Actor, paper_id: int) -> bool:
    return paper_id in seen(archive, actor, [paper_id])


def require_in_scope(archive: Archive, actor: Actor, paper_id: int, field: str | None = None) -> None:
    """NotFound (about `field`, if given) unless the paper exists and `actor` may see it: one out of
    scope is not revealed (the same message as an unknown id)."""
    if not archive.catalog.papers.exists(paper_id) or not in_scope(archive, actor, paper_id):
        raise NotFound("no paper {paper} in this archive; find ids with sohoa search", paper=paper_id, field=field)


def records_in_scope(archive: Archive, actor: Actor, rows: list[dict]) -> list[dict]:
    """Those of `rows` (each with a `record_code`) whose record is of `actor`'s agencies: a paper
    both agencies see does not name the other's records. Unscoped: all of them."""
    scope = agencies(actor)
    if scope is None:
        return rows
    of = archive.catalog.records.agencies_of(sorted({r["record_code"] for r in rows if r.get("record_code")}))
    return [r for r in rows if of.get(r.get("record_code")) in scope]


def events_in_scope(archive: Archive, actor: Actor, rows: list[dict]) -> list[dict]:
    """Those audit `rows` `actor` may read: of papers it sees and naming no record of an agency it
    does not serve (a paper two agencies share keeps each one's records, components and clerks to
    itself); events of no paper and no record (backups) too. Unscoped: all of them."""
    if agencies(actor) is None:
        return rows
    visible = seen(archive, actor, {r["paper_id"] for r in rows if r["paper_id"] is not None})
    named = {r["record_code"] for r in records_in_scope(archive, actor, [r for r in rows if r["record_code"]])}
    return [r for r in rows if (r["paper_id"] is None or r["paper_id"] in visible)
            and (not r["record_code"] or r["record_code"] in named)]


def require_record_in_scope(archive: Archive, actor: Actor, record_code: str | None) -> None:
    """NotFound if the record is unknown or of an agency `actor` does not serve, with the same
    message either way (nothing given: nothing to check)."""
    if record_code:
        from digitize.scan.targets import resolve_target

        resolve_target(archive, record_code, None, True, agencies(actor))


def paper(archive: Archive, actor: Actor, paper_id: int) -> dict:
    """The catalog's row of a paper, or NotFound (also when out of `actor`'s scope)."""
    require_in_scope(archive, actor, paper_id)
    return archive.catalog.get_paper(paper_id)
