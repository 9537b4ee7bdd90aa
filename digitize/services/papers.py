"""A paper: show it, read its text, correct, re-extract, reuse, replace, attach; a citizen's papers; search.

A change to what the index holds about a paper (its metadata, its records, its validity) is followed
by an index sync, so a search right after it finds the paper as it now is.
"""

from __future__ import annotations

from typing import Callable

from digitize import audit, metadata, register
from digitize import reuse as reusing
from digitize.archive import Archive
from digitize.errors import library_errors
from digitize.register import attach_paper
from digitize.scan.targets import resolve_target
from digitize.services.access import agencies, require
from digitize.services.actor import Actor
from digitize.services.common import (date, events_in_scope, masked, paper, records_in_scope, require_in_scope, require_record_in_scope,
                                       seen, shown)
from index.analysis import fold


def _metadata(archive: Archive, paper_id: int) -> dict:
    return {"metadata": metadata.current(archive.catalog, paper_id),
            "validity": reusing.validity(reusing.values(archive.catalog, paper_id))}


def show(archive: Archive, actor: Actor, paper_id: int, show_ids: bool = False) -> dict:
    """A paper's catalog entry (source, pages, confidence, records), metadata and validity; its text
    only counted (`text_chars`); its signatures and their status; whether its copy is the original
    file as it came (`kept_as_is`)."""
    require(actor, "show")
    from digitize.services.signing import shown_signatures

    found = paper(archive, actor, paper_id)
    found["attachments"] = records_in_scope(archive, actor, found["attachments"])
    found["signatures"] = shown_signatures(archive, found)
    made_here = archive.catalog.signatures.of_paper(paper_id)
    # born digital (or signed elsewhere) and archived as it came, before any signature made here
    found["kept_as_is"] = found["sha256"] == (made_here[0]["revision_sha256"] if made_here else found["pdf_sha256"])
    found["pdf_path"] = archive.paper_files.where(found["pdf_path"])
    found["text_chars"] = len(found.pop("text"))
    found.pop("indexed")
    found.update(_metadata(archive, paper_id))
    (found,) = shown(archive, actor, show_ids, f"show {paper_id}", [found])
    return found


def history(archive: Archive, actor: Actor, paper_id: int) -> list[dict]:
    """What was done to a paper (scanned, viewed, corrected, reused, attached…), oldest first, for
    those who may see the paper itself; citizen IDs in it masked."""
    require(actor, "show")
    paper(archive, actor, paper_id)
    return masked(events_in_scope(archive, actor, audit.events(archive.catalog, paper_id=paper_id)))


def text(archive: Archive, actor: Actor, paper_id: int) -> str:
    """A paper's OCR text, pages separated by form feeds; reading it is logged."""
    require(actor, "view")
    found = paper(archive, actor, paper_id)
    audit.log(archive.catalog, actor, "view-text", paper_id=paper_id)
    return found["text"]


def edit(archive: Archive, actor: Actor, paper_id: int, changes: dict[str, str | None]) -> dict:
    """Correct fields of a paper (an empty value clears one): {id, changes: [{field, old, new}],
    metadata, validity}. Corrections win over extraction and are logged."""
    require(actor, "edit")
    require_in_scope(archive, actor, paper_id)
    done = reusing.edit(archive.catalog, paper_id, changes, user=actor.name)
    archive.sync_index()
    return {"id": paper_id, "changes": masked(done), **masked(_metadata(archive, paper_id))}


def extract(archive: Archive, actor: Actor, paper_ids: tuple[int, ...] = (), every: bool = False,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Extract metadata again from the stored text of these papers (none: those never extracted;
    `every`: all); corrections stay. Returns how many papers were done; `progress(done, total)`."""
    require(actor, "re_extract")
    for paper_id in paper_ids:
        paper(archive, actor, paper_id)
    count = metadata.reextract(archive.catalog, paper_ids or None, missing_only=not (paper_ids or every),
                               progress=progress)
    archive.sync_index()
    return count


def reuse(archive: Archive, actor: Actor, paper_id: int, record: str, component: str | None = None,
          force: bool = False, reason: str | None = None) -> dict:
    """Attach an archived paper to a component of another record, marked reused; an expired or
    replaced paper only when forced, with a reason."""
    require(actor, "reuse")
    paper(archive, actor, paper_id)
    target = resolve_target(archive, record, component, False, agencies(actor))
    done = reusing.reuse(archive.catalog, paper_id, target.record_code, target.component, user=actor.name,
                         force=force, reason=reason)
    archive.sync_index()
    return done


def replace(archive: Archive, actor: Actor, old_id: int, new_id: int) -> dict:
    """Mark a paper replaced by a newer one: it is then no longer valid for reuse."""
    require(actor, "replace")
    require_in_scope(archive, actor, old_id)
    require_in_scope(archive, actor, new_id)
    done = reusing.replace(archive.catalog, old_id, new_id, user=actor.name)
    archive.sync_index()
    return done


def attach(archive: Archive, actor: Actor, paper_id: int, record: str | None, component: str | None = None,
           result: bool = False) -> dict:
    """Link an archived paper to a record's component or result; attaching twice changes nothing."""
    require(actor, "attach")
    require_in_scope(archive, actor, paper_id)
    require_record_in_scope(archive, actor, record)
    done = attach_paper(archive, paper_id, record, component, result, actor.name)
    if done["attached"]:  # the index also searches the paper by every record it serves
        archive.sync_index()
    return done


def of_holder(archive: Archive, actor: Actor, holder_id: str, valid: bool = False,
              show_ids: bool = False) -> list[dict]:
    """A citizen's papers, newest first, each with whether it is still valid (`valid`: only those)."""
    require(actor, "of_holder")
    rows = reusing.papers_of(archive.catalog, holder_id, valid_only=valid)
    visible = seen(archive, actor, [r["id"] for r in rows])
    rows = [r for r in rows if r["id"] in visible]
    for r in rows:
        r["pdf_path"] = archive.paper_files.where(r["pdf_path"])
        r["records"] = records_in_scope(archive, actor, r["records"])
    return shown(archive, actor, show_ids, "papers --holder-id", rows)


def offered(archive: Archive, actor: Actor, record_code: str) -> dict[str, list[dict]]:
    """Reuse at the counter: for each component of the record, the papers of its applicant already in
    the archive whose document type fits the component's name (valid or not: each says its validity),
    but those already attached to the record. IDs masked: the applicant's is read here, not shown."""
    require(actor, "of_holder")
    require_record_in_scope(archive, actor, record_code)
    record = register.show_record(archive, record_code)
    holder = archive.catalog.records.get(record["record_code"]).applicant_id
    if not holder or not "".join(holder.split()).isdigit():
        return {c["name"]: [] for c in record["components"]}
    attached = {p["id"] for c in record["components"] for p in c["papers"]}
    theirs = [p for p in reusing.papers_of(archive.catalog, holder) if p["id"] not in attached]
    visible = seen(archive, actor, [p["id"] for p in theirs])  # Decree 30: only papers the actor may see
    theirs = [p for p in theirs if p["id"] in visible]
    for p in theirs:
        p["records"] = records_in_scope(archive, actor, p["records"])
    offers = {c["name"]: [p for p in theirs if _fits(p.get("doc_type"), c["name"])] for c in record["components"]}
    for rows in offers.values():
        for r in rows:
            r["pdf_path"] = archive.paper_files.where(r["pdf_path"])
    return {name: shown(archive, actor, False, "", rows) for name, rows in offers.items()}


def _fits(doc_type: str | None, component: str) -> bool:
    """A paper fits a component whose name holds its document type ("Bản chụp Căn cước công dân" takes a
    "Căn cước công dân"), compared without case or diacritics."""
    return bool(doc_type) and fold(doc_type) in fold(component)


def search(archive: Archive, actor: Actor, query: str, limit: int = 10, valid: bool = False,
           show_ids: bool = False, issued_from: str | None = None, issued_to: str | None = None,
           expires_from: str | None = None, expires_to: str | None = None) -> list[dict]:
    """Full-text and metadata search (the query language of index/query.py), best first; dates as
    typed, bounds included; `valid`: only papers not expired today and not replaced."""
    require(actor, "search")
    return search_page(archive, actor, query, limit=limit, valid=valid, show_ids=show_ids, issued_from=issued_from,
                       issued_to=issued_to, expires_from=expires_from, expires_to=expires_to)["hits"]


def _scoped_page(archive: Archive, actor: Actor, query: str, filters, limit: int, offset: int, total: int,
                 hits: list) -> tuple[int, list]:
    """The total and the page of a search counting only the papers `actor` may see: every match's
    id, best first, filtered in one catalog query, then the hits made for the page's span only. The
    index knows no scope (each engine would need the rule of Papers.seen_by), so this is O(matches):
    about 1 s for 4,721 matches of 5,000 papers with either engine (making every hit took 4-5 s),
    where an unscoped page of 10 takes 0.01-0.25 s."""
    if offset == 0 and len(hits) == total:  # the page already holds every match
        visible = seen(archive, actor, [h.id for h in hits])
        kept = [h for h in hits if h.id in visible]
        return len(kept), kept[:limit]
    ranked = archive.index.ranked(query, filters)
    visible = seen(archive, actor, [paper_id for paper_id, _ in ranked])
    positions = [n for n, (paper_id, _) in enumerate(ranked) if paper_id in visible]
    wanted = positions[offset:offset + limit]
    if not wanted:
        return len(positions), []
    end = wanted[-1] + 1
    while end < len(ranked) and ranked[end][1] == ranked[end - 1][1]:
        end += 1  # to the end of a run of equal scores: the engine's first `end` are then these
    _, span = archive.index.search_page(query, limit=end - wanted[0], offset=wanted[0], filters=filters)
    page_ids = {ranked[n][0] for n in wanted}
    return len(positions), [h for h in span if h.id in page_ids]


def _own_record(archive: Archive, actor: Actor, rows: list[dict]) -> None:
    """A hit names the record its paper was first attached to; when that is another agency's, it
    names the first of the actor's instead (none for a paper seen as its clerk's, on none of theirs)."""
    for row in rows:
        if row["record_code"] and not records_in_scope(archive, actor, [row]):
            mine = records_in_scope(archive, actor, archive.catalog.papers.records_of(row["id"]))
            row["record_code"], row["component"] = (mine[0]["record_code"], mine[0]["component"]) if mine \
                else (None, None)


def search_page(archive: Archive, actor: Actor, query: str, limit: int = 10, offset: int = 0, valid: bool = False,
                show_ids: bool = False, issued_from: str | None = None, issued_to: str | None = None,
                expires_from: str | None = None, expires_to: str | None = None, described: bool = False) -> dict:
    """`search`, a page at a time: {total (papers matching in all), total_estimated (the total is an
    estimate: the postgres engine's, for a query matching more papers than it counts), hits (from `offset` on)};
    `described`: each hit also with its paper's doc_type, holder_name, holder_id and validity (the
    search desk's columns)."""
    require(actor, "search")
    from index import Filters

    filters = Filters.make(valid=valid, issued_from=date(issued_from, "issued_from"),
                           issued_to=date(issued_to, "issued_to"), expires_from=date(expires_from, "expires_from"),
                           expires_to=date(expires_to, "expires_to"))
    with library_errors():
        total, hits = archive.index.search_page(query, limit=limit, offset=offset, filters=filters)
        if agencies(actor) is not None and total:
            total, hits = _scoped_page(archive, actor, query, filters, limit, offset, total, hits)
    rows = [{
        "id": h.id, "record_code": h.record_code, "component": h.component, "source_name": h.source_name,
        "pdf_path": archive.paper_files.where(h.pdf_path) if h.pdf_path else None,
        "score": round(h.score, 4), "snippet": h.snippet, "matched": h.matched,
    } for h in hits]
    if agencies(actor) is not None:
        _own_record(archive, actor, rows)
    if described:
        for row in rows:
            values = reusing.values(archive.catalog, row["id"])
            row.update({k: values.get(k) for k in ("doc_type", "holder_name", "holder_id")},
                       validity=reusing.validity(values)["status"])
    return {"total": int(total), "total_estimated": bool(getattr(total, "estimated", False)),
            "hits": shown(archive, actor, show_ids, "search " + query, rows)}
