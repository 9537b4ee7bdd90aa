"""The scanner: input files through the steps — read their pages (digitize.intake), read each page
in the pool of workers (pool, pages), cut the pages into papers (cutting), assemble each paper's PDF
(assemble) and commit it (commit) — one Outcome per paper, and the exit code a batch ends with."""

from __future__ import annotations

import contextlib
import os
from collections import deque
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from digitize import batches, crashpoints, pdfa
from digitize.archive import INDEX_BATCH, Archive
from digitize.errors import BadArgument, DiskFull, InputError, SohoaError, disk_full, library_errors
from digitize.intake import Page, find_inputs, read_pages, sha256_file, sniff
from digitize.scan.assemble import assemble_pdf
from digitize.scan.commit import Archived, BatchPlace, already_archived, commit_paper, paper_row
from digitize.scan.cutting import SPLITS, Cutter, Paper
from digitize.scan.pages import PageRead, PageTask
from digitize.scan.pool import PagePool
from digitize.scan.targets import Target, target_for_code


@dataclass
class Outcome:
    source_name: str
    source_path: str
    status: str  # new | skipped | failed
    id: int | None = None
    error: str | None = None
    exit_code: int = 0
    pages: int = 0
    record_code: str | None = None
    component: str | None = None
    is_result: bool = False
    pdf_path: str | None = None
    mean_confidence: float | None = None
    note: str | None = None
    page_range: str | None = None  # pages of the source file this paper came from, "3-5"
    rescan: list[str] = field(default_factory=list)  # "page 2: scanned at 100 dpi, under 200"

    def to_json(self) -> dict:
        return asdict(self)


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when nothing failed; the failure's own code when all failures agree, else InputError's."""
    codes = {o.exit_code for o in outcomes if o.status == "failed"}
    if not codes:
        return 0
    return codes.pop() if len(codes) == 1 else InputError.exit_code


@dataclass
class InputFile:
    """One input file on its way through the steps; a batch file yields several papers."""

    path: Path
    cutter: Cutter
    workdir: Path | None = None  # holds converted page images and OCR'd page PDFs
    sha256: str | None = None
    pages: int = 0  # pages read so far
    error: SohoaError | None = None
    outcomes: list[Outcome] | None = None  # decided early: skipped, or failed before OCR


_END = object()  # marks the last item of a file in the queue


class Scanner:
    def __init__(self, archive: Archive, engine, user: str, processes: int | None = None, split: str = "none",
                 read_codes: bool | None = None, force_ocr: bool = False, agency: str | None = None,
                 pool: PagePool | None = None, index: bool = True):
        if split not in SPLITS:
            raise BadArgument("{split} {value!r}: choose one of {choices}", field="split", value=split,
                              choices=", ".join(SPLITS))
        self.archive = archive
        self.engine = engine
        self.user = user
        self.agency = agency  # the clerk's, noted on each new paper (who sees it while on no record)
        self.processes = max(1, processes or os.cpu_count() or 1)
        self.split = split
        self.read_codes = split != "none" if read_codes is None else read_codes
        self.force_ocr = force_ocr
        self.shared_pool = pool  # a worker's, kept across its jobs: not started nor shut down by a scan
        # False for a worker's jobs: the worker indexes the papers of the jobs it holds in one commit
        # (a commit takes ~0.45 s at 10,000 papers with tantivy, and one writer at a time)
        self.index = index

    def scan(self, paths: Iterable[Path], target: Target | None = None,
             on_page: Callable[[], None] | None = None) -> Iterator[Outcome]:
        """Archive the papers in each file; yields one Outcome per paper (or failed file), in input order.

        A full disk stops the batch with DiskFull once what was archived is indexed; every paper is
        archived whole or not at all, so running the same scan again finishes it."""
        with library_errors():
            self.engine.check()
        self.target = target
        files = list(find_inputs(list(paths)))
        self._archived = self._finished = 0
        try:
            if self.index:
                self.archive.sync_index()  # a previous run may have died between catalog and index
            window = self.processes * 2
            # forked now, while this process is small
            self._pool = self.shared_pool or PagePool(self.engine, self.processes)
            try:
                with self.archive.work_dir("scan-") as tmp:
                    yield from self._run(files, tmp, window, on_page)
            finally:
                if self._pool is not self.shared_pool:
                    self._pool.shutdown()
            if self.index:
                self.archive.sync_index()
        except Exception as exc:
            if not disk_full(exc):
                raise
            with contextlib.suppress(Exception):  # the work files are gone: there may be room for the index
                self.archive.sync_index()
            n = self._archived
            raise DiskFull(f"{self.archive.root}: the archive's disk is full: {n} paper{'s' if n != 1 else ''} "
                           f"archived, {len(files) - self._finished} not attempted; free space and run the same "
                           "command again") from None

    def _run(self, files: list[Path], tmp: Path, window: int, on_page) -> Iterator[Outcome]:
        unindexed = 0
        queue: deque = deque()
        for item in self._plan(files, tmp):
            queue.append(item)
            while len(queue) > window:
                for outcome in self._settle_counted(queue.popleft(), on_page):
                    unindexed += outcome.status != "failed"
                    yield outcome
            if unindexed >= INDEX_BATCH and self.index:
                self.archive.sync_index()
                unindexed = 0
        while queue:
            yield from self._settle_counted(queue.popleft(), on_page)

    def _settle_counted(self, item, on_page) -> list[Outcome]:
        outcomes = self._settle(*item, on_page)
        self._archived += sum(o.status == "new" for o in outcomes)
        self._finished += item[1] is _END
        return outcomes

    # -- stage 1: plan (main process) — hash, dedupe, open, submit pages -----------------------
    def _plan(self, files: list[Path], tmp: Path):
        seen: dict[str, str] = {}
        catalog = self.archive.catalog
        for n, path in enumerate(files):
            file = InputFile(path, Cutter(self.split))
            try:
                if path.is_symlink():  # named on the command line: links in folders are left out
                    raise InputError("is a symbolic link, which Sohoa does not follow; scan the file it points to "
                                     "by its own name")
                sniff(path)
                file.sha256 = sha256_file(path)
                if file.sha256 in seen:
                    file.outcomes = [self._outcome(file, "skipped",
                                                   note=f"same content as {seen[file.sha256]} in this batch")]
                elif (existing := catalog.paper_id_by_sha(file.sha256)) is not None:
                    file.outcomes = [self._already_archived(file, existing)]
                elif (papers := batches.batch_papers(catalog, file.sha256)) is not None:
                    file.outcomes = [self._already_archived(file, p["id"], (p["first_page"], p["last_page"]),
                                                            p["record_code"]) for p in papers]
                else:
                    seen[file.sha256] = path.name
                    file.workdir = tmp / str(n)
                    file.workdir.mkdir()
                    for page in read_pages(path, file.workdir, self.force_ocr):
                        file.pages += 1
                        future = task = None
                        if page.text is None:
                            task = PageTask(page.image_path, page.dpi, file.workdir / f"ocr-{page.number:04d}.pdf",
                                            codes=self.read_codes, blank_pdf=self.split != "blank",
                                            owned=page.image_path.parent == file.workdir)
                            future = self._pool.submit(task)
                        yield file, page, future, task
            except SohoaError as exc:
                if disk_full(exc):  # a page image intake could not write: no fault of the file
                    raise
                file.error = exc
            yield file, _END, None, None

    # -- stage 2: settle (main process, in order) — collect pages, cut papers, archive them ------
    def _settle(self, file: InputFile, page, future: Future | None, task: PageTask | None, on_page) -> list[Outcome]:
        if page is _END:
            return self._end(file)
        if future is None:
            read = PageRead(text=page.text, language="text-layer")
        else:
            try:
                read = self._pool.result(future, task)
            except SohoaError as exc:
                if isinstance(exc, DiskFull):
                    raise
                file.error = file.error or InputError(f"page {page.number}: {exc}")
                return []
            finally:  # not in the worker: a worker that dies after reading must leave the page for the retry
                if task.owned:
                    task.image_path.unlink(missing_ok=True)
            crashpoints.reached("ocr-page")
        if on_page:
            on_page()
        return [] if file.error else self._archive_closed(file, file.cutter.place(page, read))

    def _archive_closed(self, file: InputFile, paper: Paper | None) -> list[Outcome]:
        if paper is None:
            return []
        outcome = self._finish(file, paper)
        paper.remove_page_files()
        return [outcome]

    def _end(self, file: InputFile) -> list[Outcome]:
        if file.outcomes:
            return file.outcomes
        if file.error is not None:
            return [self._fail(file, file.error)]
        outcomes = self._archive_closed(file, file.cutter.close())
        if file.cutter.made == 0:
            return [self._fail(file, InputError("has only blank or separator pages; scan the papers again"))]
        if file.cutter.separated:
            batches.complete_batch(self.archive.catalog, file.sha256, file.path.name, self.split, file.pages)
        return outcomes

    def _finish(self, file: InputFile, paper: Paper) -> Outcome:
        """Archive one paper: its PDF, its catalog row with pages, its link to a record."""
        first, last = paper.first, paper.last
        sha = file.sha256 if paper.whole else batches.paper_identity(file.sha256, first, last)
        place = (BatchPlace(file.sha256, first, last, paper.record_code)
                 if not paper.whole or paper.record_code else None)
        try:
            pdf, made = assemble_pdf(file.path, paper, file.workdir)
            if pdf != file.path:  # pages of our own: PDF/A-2b; an original kept as it came stays as it is
                pdf, made = pdfa.archival(pdf, made, "\f".join(read.text for _, read in paper.pages), file.path.name,
                                          paper.record_code or (self.target and self.target.record_code), self.user)
        except Exception as exc:  # a page PDF pypdf cannot merge is a defect of that input
            if disk_full(exc):
                raise
            return self._fail(file, InputError(f"the archive PDF could not be assembled ({exc})"))
        try:
            row, rescan = paper_row(file.path, paper, sha, self.user, self.agency)
            target, note = target_for_code(self.archive.catalog, paper.record_code, self.target)
            archived = commit_paper(self.archive, self.user, row, pdf, target, place)
        finally:
            if made:
                pdf.unlink(missing_ok=True)
        if not archived.new:
            return self._skipped(file, archived, target, (first, last), paper.record_code)
        return self._outcome(file, "new", target=target, id=archived.paper_id, pages=archived.pages, note=note,
                             pdf_path=archived.pdf_path, mean_confidence=row.mean_confidence,
                             page_range=_range(first, last), rescan=rescan, record_code=paper.record_code)

    # -- outcomes ------------------------------------------------------------------------------
    def _already_archived(self, file: InputFile, paper_id: int, span: tuple[int, int] | None = None,
                          code: str | None = None) -> Outcome:
        target, _ = target_for_code(self.archive.catalog, code, self.target)
        return self._skipped(file, already_archived(self.archive, self.user, paper_id, target), target, span, code)

    def _skipped(self, file: InputFile, archived: Archived, target: Target | None, span: tuple[int, int] | None,
                 code: str | None) -> Outcome:
        return self._outcome(file, "skipped", target=target, id=archived.paper_id, pages=archived.pages,
                             note=archived.note, pdf_path=archived.pdf_path,
                             page_range=_range(*span) if span else None, record_code=code)

    def _fail(self, file: InputFile, error: SohoaError) -> Outcome:
        message = f"{file.path}: {error}"
        self.archive.quarantine(file.path, message)
        return self._outcome(file, "failed", error=str(error), exit_code=error.exit_code)

    def _outcome(self, file: InputFile, status: str, target=..., record_code: str | None = None, **values) -> Outcome:
        t = self.target if target is ... else target
        return Outcome(source_name=file.path.name, source_path=str(file.path), status=status,
                       record_code=t.record_code if t else record_code, component=t.component if t else None,
                       is_result=bool(t and t.is_result), **values)


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"
