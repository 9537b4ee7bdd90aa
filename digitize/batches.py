"""What the catalog keeps about batch intake: papers split out of batch files, and pages to rescan.

A batch file's SHA-256 is its identity; a paper cut out of it is known by the SHA-256 of the
batch and its page range, so scanning the same batch again finds every paper it made.

A page flagged for rescanning stays listed until its paper is replaced by the new scan
(`sohoa replace OLD NEW`) or a clerk accepts the page as the best the original allows; the
acceptance clears the flag, and the audit log keeps the old reasons and the clerk's.
"""

from __future__ import annotations

import hashlib

from digitize import audit
from digitize.catalog import Catalog, nfc
from digitize.errors import BadArgument, Conflict, NotFound


def paper_identity(batch_sha256: str, first: int, last: int) -> str:
    return hashlib.sha256(f"{batch_sha256}:{first}-{last}".encode()).hexdigest()


def note_paper(catalog: Catalog, paper_id: int, batch_sha256: str, first: int, last: int,
               record_code: str | None) -> None:
    catalog.batches.note_paper(paper_id, batch_sha256, first, last, record_code)


def complete_batch(catalog: Catalog, sha256: str, source_name: str, split: str, pages: int) -> None:
    catalog.batches.complete(sha256, source_name, split, pages)


def batch_papers(catalog: Catalog, sha256: str) -> list[dict] | None:
    """The papers of a batch archived in full before, in page order; None if it never was."""
    return catalog.batches.papers(sha256)


def rescan_list(catalog: Catalog) -> list[dict]:
    """Every page flagged for rescanning, with the paper it belongs to and where it sits in its batch;
    papers replaced by a newer one are left out."""
    rows = catalog.batches.rescan_pages()
    out = []
    for r in rows:
        out.append({
            "id": r["id"], "source_name": r["source_name"], "source_path": r["source_path"], "page": r["page"],
            "source_page": (r["first_page"] or 1) + r["page"] - 1,
            "reasons": r["reasons"], "dpi": r["dpi"], "confidence": r["confidence"],
            "record_code": r["record"] or r["batch_record"], "pdf_path": r["pdf_path"],
        })
    return out


def flagged_pages(catalog: Catalog, paper_id: int, field: str | None = None) -> tuple[dict, dict[int, list[str]]]:
    """A paper still to rescan: its state ({page_count, replaced_by}) and {page: reasons} of its
    flagged pages; NotFound, Conflict once it is replaced, BadArgument when no page is flagged."""
    paper = catalog.batches.rescan_state(paper_id)
    if paper is None:
        raise NotFound(f"no paper {paper_id} in the archive; list the pages to rescan with sohoa rescan", field=field)
    if paper["replaced_by"] is not None:
        raise Conflict(f"paper {paper_id} is replaced by #{paper['replaced_by']}; "
                       "its pages no longer need rescanning", field=field)
    flagged = catalog.batches.flagged(paper_id)
    if not flagged:
        raise BadArgument(f"paper {paper_id} has no pages flagged for rescanning", field=field)
    return paper, flagged


def accept_rescan(catalog: Catalog, paper_id: int, pages: list[int] | None, reason: str | None,
                  user: str) -> dict:
    """Clear the rescan flags of a paper's pages (all its flagged pages when `pages` is empty): the
    clerk judged them as good as the original allows. Returns {id, accepted: [{page, reasons}], reason}.

    One audit row keeps what each page was flagged for and the reason given.
    """
    reason = " ".join(nfc(reason or "").split())
    if not reason:
        raise BadArgument("{accept} needs {reason:TEXT} saying why the page is kept as it is", field="reason")
    with catalog.transaction():
        paper, flagged = flagged_pages(catalog, paper_id)
        wanted = sorted(set(pages)) if pages else sorted(flagged)
        for n in wanted:
            if not 1 <= n <= paper["page_count"]:
                count = paper["page_count"]
                raise BadArgument("paper {paper} has no page {n} (it has {count} page{s}); {page} counts the "
                                  "paper's pages, as sohoa show lists them", field="page", paper=paper_id, n=n,
                                  count=count, s="s" if count != 1 else "")
            if n not in flagged:
                raise BadArgument(f"page {n} of paper {paper_id} is not flagged for rescanning; "
                                  f"flagged: page{'s' if len(flagged) > 1 else ''} {', '.join(map(str, flagged))}")
        catalog.batches.accept(paper_id, wanted)
        accepted = [{"page": n, "reasons": flagged[n]} for n in wanted]
        audit.log(catalog, user, "accept-page", paper_id=paper_id,
                  detail=", ".join(f"page {a['page']} ({'; '.join(a['reasons'])})" for a in accepted)
                  + f" kept as it is: {reason}")
    return {"id": paper_id, "accepted": accepted, "reason": reason}
