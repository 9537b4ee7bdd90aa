"""A paper into the archive exactly once: its catalog row with pages, metadata, audit entry, place
in its batch and link to a record, committed together with its file written under the same lock.
A paper archived before (by a run that crashed after, or by another scan at the same time) is
recognised by its identity and only attached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digitize import audit, batches, crashpoints, metadata, prepare
from digitize.archive import Archive
from digitize.catalog import NewPaper, PageInfo
from digitize.errors import disk_full
from digitize.scan.cutting import Paper
from digitize.scan.targets import Target


@dataclass
class Archived:
    """A paper in the catalog: committed now (`new`), or found there already (`note` says so)."""

    paper_id: int
    new: bool
    pdf_path: str  # where the file is, as shown (PaperFiles.where)
    pages: int
    note: str | None = None


@dataclass
class BatchPlace:
    """Where a paper sits in its batch file, noted beside it so that the batch is recognised later."""

    batch_sha256: str
    first: int
    last: int
    record_code: str | None


def paper_row(source: Path, paper: Paper, sha256: str, user: str,
              agency: str | None = None) -> tuple[NewPaper, list[str]]:
    """The catalog row of a paper with its pages, and why pages of it should be scanned again."""
    texts, pages, rescan = [], [], []
    for n, (page, read) in enumerate(paper.pages, 1):
        texts.append(read.text)
        reasons = [] if read.pdf_path is None else prepare.rescan_reasons(page.dpi, read.blank, read.words,
                                                                           read.confidence)
        rescan += [f"page {n}: {r}" for r in reasons]
        text_layer = read.language == "text-layer"
        pages.append(PageInfo(
            width=page.width, height=page.height, dpi=page.dpi, mode=page.mode, confidence=read.confidence,
            text_source="text-layer" if text_layer else "ocr", language="" if text_layer else read.language,
            rotation=read.rotation, skew=read.skew, rescan="; ".join(reasons),
        ))
    languages = sorted({p.language for p in pages if p.language}) or ["text-layer"]
    row = NewPaper(
        sha256=sha256, source_name=source.name, source_path=str(source.resolve()),
        pdf_path="", text="\f".join(texts), pages=pages, ocr_languages=",".join(languages),
        scanned_by=user, agency=agency,  # pdf_sha256: of the archived copy, once written
    )
    return row, rescan


def commit_paper(archive: Archive, user: str, row: NewPaper, pdf: Path, target: Target | None,
                 place: BatchPlace | None) -> Archived:
    """Archive the paper whose row is `row` and file `pdf`, unless a paper of its identity is there."""
    catalog = archive.catalog
    committing = False
    # The paper, its audit row and its place in the batch commit together; the file is written
    # under the same lock, so two scans of one file at once archive it once, with one checksum.
    try:
        with catalog.transaction():
            if (existing := catalog.paper_id_by_sha(row.sha256)) is not None:  # before a crash, or by another scan
                if place:
                    batches.note_paper(catalog, existing, place.batch_sha256, place.first, place.last,
                                       place.record_code)
                return already_archived(archive, user, existing, target)
            row.pdf_path, row.pdf_sha256 = archive.write_paper(row.sha256, pdf)
            paper_id = catalog.add_paper(row, link=target.link() if target else None)
            metadata.store(catalog, paper_id, metadata.extract(row.text))
            audit.log(catalog, user, "scan", paper_id=paper_id, detail=row.source_name)
            if place:
                batches.note_paper(catalog, paper_id, place.batch_sha256, place.first, place.last, place.record_code)
            committing = True
    except Exception as exc:
        # Rolled back: its file goes too, leaving no orphan. Not after a failed COMMIT of another
        # kind (an I/O error), which may yet count as committed when the catalog is next opened.
        if row.pdf_path and (disk_full(exc) or not committing):
            archive.paper_files.remove(row.pdf_path)
        raise
    crashpoints.reached("catalog-commit")
    return Archived(paper_id, True, archive.paper_files.where(row.pdf_path), len(row.pages))


def already_archived(archive: Archive, user: str, paper_id: int, target: Target | None) -> Archived:
    """A paper found archived: attached to `target` if it is not yet."""
    note = f"already archived as paper {paper_id}"
    if target:
        if archive.catalog.attach(paper_id, user=user, **target.link()):
            note += f"; now attached to {target.record_code}"
    paper = archive.catalog.get_paper(paper_id)
    return Archived(paper_id, False, archive.paper_files.where(paper["pdf_path"]), paper["page_count"], note)
