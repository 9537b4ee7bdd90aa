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
from digitize.catalog import Catalog, nfc, now_iso
from digitize.errors import BadArgument


def paper_identity(batch_sha256: str, first: int, last: int) -> str:
    return hashlib.sha256(f"{batch_sha256}:{first}-{last}".encode()).hexdigest()


def note_paper(catalog: Catalog, paper_id: int, batch_sha256: str, first: int, last: int,
               record_code: str | None) -> None:
    catalog.db.execute(
        "INSERT OR IGNORE INTO batch_papers (paper_id, batch_sha256, first_page, last_page, record_code) "
        "VALUES (?,?,?,?,?)", (paper_id, batch_sha256, first, last, record_code))


def complete_batch(catalog: Catalog, sha256: str, source_name: str, split: str, pages: int) -> None:
    catalog.db.execute("INSERT OR IGNORE INTO batches (sha256, source_name, split, pages, scanned_at) "
                       "VALUES (?,?,?,?,?)", (sha256, source_name, split, pages, now_iso()))


def batch_papers(catalog: Catalog, sha256: str) -> list[dict] | None:
    """The papers of a batch archived in full before, in page order; None if it never was."""
    if catalog.db.execute("SELECT 1 FROM batches WHERE sha256 = ?", (sha256,)).fetchone() is None:
        return None
    rows = catalog.db.execute(
        "SELECT b.paper_id AS id, b.first_page, b.last_page, b.record_code, p.page_count, p.pdf_path "
        "FROM batch_papers b JOIN papers p ON p.id = b.paper_id WHERE b.batch_sha256 = ? ORDER BY b.first_page",
        (sha256,))
    return [dict(r) for r in rows]


def rescan_list(catalog: Catalog) -> list[dict]:
    """Every page flagged for rescanning, with the paper it belongs to and where it sits in its batch;
    papers replaced by a newer one are left out."""
    rows = catalog.db.execute(
        """SELECT p.id, p.source_name, p.source_path, p.pdf_path, g.page_no AS page, g.rescan AS reasons,
                  g.dpi, g.confidence, b.first_page, b.record_code AS batch_record,
                  (SELECT record_code FROM attachments WHERE paper_id = p.id ORDER BY attached_at LIMIT 1) AS record
           FROM pages g JOIN papers p ON p.id = g.paper_id
           LEFT JOIN batch_papers b ON b.paper_id = p.id
           WHERE g.rescan != ''  -- a replaced paper's new scan stands in for it
             AND NOT EXISTS (SELECT 1 FROM replacements x WHERE x.paper_id = p.id)
           ORDER BY p.id, g.page_no""")
    out = []
    for r in rows:
        out.append({
            "id": r["id"], "source_name": r["source_name"], "source_path": r["source_path"], "page": r["page"],
            "source_page": (r["first_page"] or 1) + r["page"] - 1,
            "reasons": r["reasons"].split("; "), "dpi": r["dpi"], "confidence": r["confidence"],
            "record_code": r["record"] or r["batch_record"], "pdf_path": r["pdf_path"],
        })
    return out


def accept_rescan(catalog: Catalog, paper_id: int, pages: list[int] | None, reason: str | None,
                  user: str) -> dict:
    """Clear the rescan flags of a paper's pages (all its flagged pages when `pages` is empty): the
    clerk judged them as good as the original allows. Returns {id, accepted: [{page, reasons}], reason}.

    One audit row keeps what each page was flagged for and the reason given.
    """
    reason = " ".join(nfc(reason or "").split())
    if not reason:
        raise BadArgument("--accept needs --reason TEXT saying why the page is kept as it is")
    with catalog.transaction():
        paper = catalog.db.execute(
            "SELECT p.page_count, x.new_paper_id AS replaced_by FROM papers p "
            "LEFT JOIN replacements x ON x.paper_id = p.id WHERE p.id = ?", (paper_id,)).fetchone()
        if paper is None:
            raise BadArgument(f"no paper {paper_id} in the archive; list the pages to rescan with sohoa rescan")
        if paper["replaced_by"] is not None:
            raise BadArgument(f"paper {paper_id} is replaced by #{paper['replaced_by']}; "
                              "its pages no longer need rescanning")
        flagged = {n: text.split("; ") for n, text in catalog.db.execute(
            "SELECT page_no, rescan FROM pages WHERE paper_id = ? AND rescan != '' ORDER BY page_no", (paper_id,))}
        if not flagged:
            raise BadArgument(f"paper {paper_id} has no pages flagged for rescanning")
        wanted = sorted(set(pages)) if pages else sorted(flagged)
        for n in wanted:
            if not 1 <= n <= paper["page_count"]:
                count = paper["page_count"]
                raise BadArgument(f"paper {paper_id} has no page {n} (it has {count} page{'s' if count != 1 else ''}); "
                                  "--page counts the paper's pages, as sohoa show lists them")
            if n not in flagged:
                raise BadArgument(f"page {n} of paper {paper_id} is not flagged for rescanning; "
                                  f"flagged: page{'s' if len(flagged) > 1 else ''} {', '.join(map(str, flagged))}")
        catalog.db.executemany("UPDATE pages SET rescan = '' WHERE paper_id = ? AND page_no = ?",
                               [(paper_id, n) for n in wanted])
        accepted = [{"page": n, "reasons": flagged[n]} for n in wanted]
        audit.log(catalog, user, "accept-page", paper_id=paper_id,
                  detail=", ".join(f"page {a['page']} ({'; '.join(a['reasons'])})" for a in accepted)
                  + f" kept as it is: {reason}")
    return {"id": paper_id, "accepted": accepted, "reason": reason}
