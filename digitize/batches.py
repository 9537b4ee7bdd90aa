"""What the catalog keeps about batch intake: papers split out of batch files, and pages to rescan.

A batch file's SHA-256 is its identity; a paper cut out of it is known by the SHA-256 of the
batch and its page range, so scanning the same batch again finds every paper it made.
"""

from __future__ import annotations

import hashlib

from digitize.catalog import Catalog, now_iso


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
    """Every page flagged for rescanning, with the paper it belongs to and where it sits in its batch."""
    rows = catalog.db.execute(
        """SELECT p.id, p.source_name, p.source_path, p.pdf_path, g.page_no AS page, g.rescan AS reasons,
                  g.dpi, g.confidence, b.first_page, b.record_code AS batch_record,
                  (SELECT record_code FROM attachments WHERE paper_id = p.id ORDER BY attached_at LIMIT 1) AS record
           FROM pages g JOIN papers p ON p.id = g.paper_id
           LEFT JOIN batch_papers b ON b.paper_id = p.id
           WHERE g.rescan != '' ORDER BY p.id, g.page_no""")
    out = []
    for r in rows:
        out.append({
            "id": r["id"], "source_name": r["source_name"], "source_path": r["source_path"], "page": r["page"],
            "source_page": (r["first_page"] or 1) + r["page"] - 1,
            "reasons": r["reasons"].split("; "), "dpi": r["dpi"], "confidence": r["confidence"],
            "record_code": r["record"] or r["batch_record"], "pdf_path": r["pdf_path"],
        })
    return out
