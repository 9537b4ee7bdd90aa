"""The scan pipeline: files → pages → prepare + OCR (in parallel) → papers → archive → catalog → index.

Pages of all files stream through one pool of worker processes, so every core stays busy even when
each paper has a single page, and only a few pages are in flight whatever the batch size (memory
stays flat). A worker prepares its page — blank? record code? turned? skewed? — and OCRs it; the
main process takes the pages back in order, cuts batches into papers at separator pages, and
archives each paper as soon as it is complete. A file that cannot be read fails alone.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import unicodedata
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from PIL import Image
from pypdf import PdfReader, PdfWriter

from digitize import audit, batches, crashpoints, metadata, pdfa, prepare, signatures
from digitize.archive import INDEX_BATCH, Archive
from digitize.catalog import NewPaper, PageInfo
from digitize.errors import BadArgument, DiskFull, InputError, NotFound, SohoaError, disk_full, from_library, library_errors
from digitize.intake import Page, find_inputs, read_pages, sha256_file, sniff
from ocr.layers import text_over

SPLITS = ("none", "blank", "code")
# Below this mean word confidence a page is more likely turned than badly printed: ask OSD. Upright
# pages read 85–97 here, pages turned 90° or 180° about 40.
DOUBTFUL_CONFIDENCE = 70.0
OSD_CONFIDENCE = 1.5  # OSD's own confidence needed before a turned reading is even tried
# A faded, grainy or blurred page read under this is read again from a prepared copy. Crisp pages
# are never read twice for it, however they read; degraded ones reading 92-95 lose little.
POOR_CONFIDENCE = 92.0
HANG_READS = 6  # a worker still on one page after this many OCR timeouts is stuck: it is ended


@dataclass
class Target:
    """Where scanned papers go in the register: a record's component, or its result."""

    record_code: str
    component: str | None = None
    is_result: bool = False

    def link(self) -> dict:
        return {"record_code": self.record_code, "component": self.component, "is_result": self.is_result}


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


def resolve_target(archive: Archive, record: str | None, component: str | None, result: bool) -> Target | None:
    """Check a record, component and result against the register, naming the valid choices."""
    if record is None:
        if component or result:
            raise BadArgument("{component} and {result} need {record:CODE}", field="record")
        return None
    found = archive.catalog.get_record(record.strip())
    if found is None:
        codes = archive.catalog.record_codes()
        close = difflib.get_close_matches(record, codes, n=5, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else (
            "import the register first (sohoa records import FILE.csv)" if not codes
            else f"registered codes include {', '.join(codes[:5])}{' …' if len(codes) > 5 else ''}")
        raise NotFound("unknown record code {value!r}; {hint}", field="record", value=record, hint=hint)
    if component and result:
        raise BadArgument("give either {component:NAME} or {result}, not both", field="component")
    if result:
        return Target(found.record_code, None, True)
    choices = "; ".join(found.components)
    if not component:
        if len(found.components) == 1:
            return Target(found.record_code, found.components[0])
        raise BadArgument("record {code} has several components; choose one with {component}: {choices}",
                          field="component", code=found.record_code, choices=choices)
    wanted = _casefold(component)
    for name in found.components:
        if _casefold(name) == wanted:
            return Target(found.record_code, name)
    raise BadArgument("record {code} has no component {value!r}; its components are: {choices}", field="component",
                      code=found.record_code, value=component, choices=choices)


def _casefold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


# -- one page, in a worker process ---------------------------------------------------------------
def _worker_start(parent: int) -> None:
    """Ctrl-C is the main process's to handle; and a worker whose main process died (killed, power
    cut in a test) must not linger holding its pipes and the hot folder's lock: it checks and exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def orphaned():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=orphaned, daemon=True).start()


@dataclass
class _PageTask:
    image_path: Path
    dpi: int
    pdf_path: Path  # where the OCR'd one-page PDF goes
    codes: bool  # look for record codes in QR codes and barcodes
    blank_pdf: bool  # a blank page is kept in its paper (not a separator): it still needs a PDF page
    owned: bool  # the image is a work file, not the user's original: deleted once the page is settled


@dataclass
class _PageDone:
    text: str = ""
    confidence: float | None = None
    language: str = ""
    words: int = 0
    pdf_path: Path | None = None  # None: the page is copied from the source PDF with its text layer
    blank: bool = False
    codes: list[str] = field(default_factory=list)
    rotation: int = 0
    skew: float = 0.0


def read_page(engine, task: _PageTask) -> _PageDone:
    """Prepare one page image and OCR it; the one-page PDF is written to `task.pdf_path`."""
    # Tesseract's own deadline covers recognition only; a page stuck in decoding or layout analysis
    # would hang its worker for good. SIGALRM's default action ends the worker, and the page is
    # retried alone (Scanner._read_again), then failed. A page reads up to 5 times (straightened or
    # not, turned, two prepared copies), each perhaps in two languages.
    signal.alarm(HANG_READS * int(engine.timeout))
    try:
        crashpoints.reached("ocr-worker")
        return _read_page(engine, task)
    except Exception as exc:
        # A work file that could not be written for want of room is no fault of the page; said here,
        # since the cause of an error does not cross back from the worker.
        if disk_full(exc):
            raise DiskFull(str(exc)) from None
        if isinstance(exc, SohoaError):
            raise
        if (kind := from_library(exc)) is not None:  # from OCR
            raise kind from exc
        # an image intake accepted but preparation cannot decode
        raise InputError(f"cannot be prepared for OCR ({' '.join(str(exc).split())[:200]})") from None
    finally:
        signal.alarm(0)


def _read_page(engine, task: _PageTask) -> _PageDone:
    # Decisions are taken on a ~150 dpi copy; the full page is decoded only to be turned or straightened.
    small, small_dpi = prepare.small_copy(task.image_path, task.dpi)
    found = prepare.analyse(small, small_dpi)
    codes = prepare.record_codes(small, small_dpi) if task.codes else []
    if found.blank:
        done = _PageDone(blank=True, codes=codes)
        if task.blank_pdf:  # no OCR: show-through only gives junk text
            with Image.open(task.image_path) as image:
                prepare.square_pixels(image).save(task.pdf_path, "PDF", resolution=float(task.dpi))
            done.pdf_path = task.pdf_path
        return done
    rotation, skew, sure = 0, found.skew, found.skew_sure
    if found.sideways:  # text runs up and down: ask OSD which way before reading
        rotation = _osd(engine, small, found, 0.0)
        if rotation:
            upright = prepare.analyse(prepare.straighten(small, rotation, 0.0), small_dpi)
            skew, sure = upright.skew, upright.skew_sure
    result = _ocr(engine, task, rotation, skew)
    if abs(skew) >= prepare.MIN_SKEW and (not sure or _confidence(result) < DOUBTFUL_CONFIDENCE):
        # A skew the two halves of the page do not agree on (a photo, a drawing) is kept only if the
        # straightened page reads better; and no straightening may cost the page its text.
        as_is = _ocr(engine, task, rotation, 0.0)
        if not _reads_better(result, as_is):
            result, skew = as_is, 0.0
    if rotation == 0 and _confidence(result) < DOUBTFUL_CONFIDENCE:
        # Upside down (or sideways unnoticed) reads as garbage of confidence ~40: OSD decides, and the
        # turned reading is kept only if it reads better. Upright pages never pay for OSD (0.4 s).
        turn = _osd(engine, small, found, skew)
        if turn:
            turned_skew = skew if turn == 180 else prepare.analyse(prepare.straighten(small, turn, 0.0), small_dpi).skew
            other = _ocr(engine, task, turn, turned_skew)
            if _confidence(other) > _confidence(result):
                result, rotation, skew = other, turn, turned_skew
    if found.degraded and _confidence(result) < POOR_CONFIDENCE:
        # Faded, grainy or blurred and read poorly: read a prepared copy (sharpened first if blurred,
        # then the other way), keep the better reading over the page as scanned.
        soft = found.sharpness < prepare.SOFT
        for sharpen in (soft, not soft):
            other = _ocr(engine, task, rotation, skew, prepared=found, sharpen=sharpen)
            if _confidence(other) >= prepare.JUNK_CONFIDENCE and _reads_better(other, result):
                result = replace(other, pdf=text_over(result.pdf, other.pdf))
            if _confidence(result) >= POOR_CONFIDENCE:
                break
    task.pdf_path.write_bytes(result.pdf)
    return _PageDone(text=result.text, confidence=result.confidence, language=result.language, words=result.words,
                     pdf_path=task.pdf_path, codes=codes, rotation=rotation,
                     skew=skew if abs(skew) >= prepare.MIN_SKEW else 0.0)


def _confidence(result) -> float:
    return result.confidence or 0.0


def _reads_better(a, b) -> bool:
    """Whether reading `a` of a page is better than `b`: more words, weighted by their confidence
    squared, so that a reading padded with junk of confidence ~40 does not win by its length."""
    return a.words * _confidence(a) ** 2 > b.words * _confidence(b) ** 2


def _ocr(engine, task: _PageTask, rotation: int, skew: float, prepared: prepare.Analysis | None = None,
         sharpen: bool = False):
    """OCR the page as given, or a turned/straightened copy of it with square pixels (which the PDF
    then shows); or a copy `prepared` for OCR (prepare.cleaned), whose text the caller puts over
    the page as scanned."""
    with Image.open(task.image_path) as image:
        if not rotation and abs(skew) < prepare.MIN_SKEW and prepared is None and prepare.pixel_aspect(image) == 1:
            return engine.read(task.image_path, task.dpi)
        fixed = prepare.straighten(prepare.square_pixels(image), rotation, skew)
        if prepared is not None:
            fixed = prepare.cleaned(fixed, prepared, task.dpi, sharpen)
    # A JPEG scan stays JPEG (quality 92 is visually lossless); lossless scans stay lossless.
    if task.image_path.suffix.lower() in (".jpg", ".jpeg") and fixed.mode in ("L", "RGB") and prepared is None:
        path = task.pdf_path.with_suffix(".jpg")
        fixed.save(path, quality=92, dpi=(task.dpi, task.dpi))
    else:
        path = task.pdf_path.with_suffix(".png")
        fixed.save(path, compress_level=1, dpi=(task.dpi, task.dpi))  # a work file: speed over size
    try:
        return engine.read(path, task.dpi)
    finally:
        path.unlink(missing_ok=True)


def _osd(engine, small: Image.Image, found: prepare.Analysis, skew: float) -> int:
    """Clockwise degrees to stand the page upright, when OSD is confident; else 0."""
    if found.degraded:  # OSD finds no letters in grain on grey either
        small = prepare.cleaned(small, found, prepare.ANALYSIS_DPI, sharpen=False)
    rotation, confidence = engine.orientation(prepare.straighten(small, 0, skew))
    return rotation if confidence >= OSD_CONFIDENCE else 0


# -- files and papers, in the main process -------------------------------------------------------
@dataclass
class _Paper:
    first: int  # page number in the source file
    pages: list[tuple[Page, _PageDone]] = field(default_factory=list)


@dataclass
class _Job:
    """One input file on its way through the pipeline; a batch file yields several papers."""

    path: Path
    workdir: Path | None = None  # holds converted page images and OCR'd page PDFs
    sha256: str | None = None
    pages: int = 0  # pages read so far
    current: _Paper | None = None  # the paper being filled
    separated: bool = False  # a separator page was met: papers are parts of the file
    record_code: str | None = None  # from the last record-code page met
    made: int = 0  # papers finished (new or skipped)
    error: SohoaError | None = None
    outcomes: list[Outcome] | None = None  # decided early: skipped, or failed before OCR


_END = object()  # marks the last item of a job in the queue


class Scanner:
    def __init__(self, archive: Archive, engine, user: str, jobs: int | None = None, split: str = "none",
                 read_codes: bool | None = None, force_ocr: bool = False):
        if split not in SPLITS:
            raise BadArgument("{split} {value!r}: choose one of {choices}", field="split", value=split,
                              choices=", ".join(SPLITS))
        self.archive = archive
        self.engine = engine
        self.user = user
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.split = split
        self.read_codes = split != "none" if read_codes is None else read_codes
        self.force_ocr = force_ocr

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
            self.archive.sync_index()  # a previous run may have died between catalog and index
            window = self.jobs * 2
            self._pool = self._start_pool(self.jobs)  # forked now, while this process is small
            try:
                with self.archive.work_dir("scan-") as tmp:
                    yield from self._run(files, tmp, window, on_page)
            finally:
                self._pool.shutdown(cancel_futures=True)
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
            if unindexed >= INDEX_BATCH:
                self.archive.sync_index()
                unindexed = 0
        while queue:
            yield from self._settle_counted(queue.popleft(), on_page)

    def _settle_counted(self, item, on_page) -> list[Outcome]:
        outcomes = self._settle(*item, on_page)
        self._archived += sum(o.status == "new" for o in outcomes)
        self._finished += item[1] is _END
        return outcomes

    # -- workers -------------------------------------------------------------------------------
    def _start_pool(self, size: int) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(size, initializer=_worker_start, initargs=(os.getpid(),))
        for _ in range(size):
            pool.submit(os.getpid)
        return pool

    def _submit(self, task: _PageTask) -> Future:
        try:
            return self._pool.submit(read_page, self.engine, task)
        except BrokenProcessPool:
            self._renew_pool()
            return self._pool.submit(read_page, self.engine, task)

    def _renew_pool(self) -> None:
        try:
            self._pool.submit(os.getpid)  # raises at once if a worker died
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start_pool(self.jobs)

    def _read_again(self, task: _PageTask) -> _PageDone:
        """A worker died with this page in flight (killed for memory, or Tesseract crashed), which
        breaks every page in flight: each is read once more in a process of its own, so a page that
        kills that one too is the cause, and only its file fails."""
        self._renew_pool()
        with self._start_pool(1) as alone:
            try:
                return alone.submit(read_page, self.engine, task).result()
            except BrokenProcessPool:
                raise InputError("OCR stopped twice on this page (the OCR process was killed: out of memory, "
                                 "Tesseract crashed, or it hung); check the scan, or scan it again") from None

    # -- stage 1: plan (main process) — hash, dedupe, open, submit pages -----------------------
    def _plan(self, files: list[Path], tmp: Path):
        seen: dict[str, str] = {}
        catalog = self.archive.catalog
        for n, path in enumerate(files):
            job = _Job(path)
            try:
                if path.is_symlink():  # named on the command line: links in folders are left out
                    raise InputError("is a symbolic link, which Sohoa does not follow; scan the file it points to "
                                     "by its own name")
                sniff(path)
                job.sha256 = sha256_file(path)
                if job.sha256 in seen:
                    job.outcomes = [self._outcome(job, "skipped", note=f"same content as {seen[job.sha256]} in this batch")]
                elif (existing := catalog.paper_id_by_sha(job.sha256)) is not None:
                    job.outcomes = [self._already_archived(job, existing)]
                elif (papers := batches.batch_papers(catalog, job.sha256)) is not None:
                    job.outcomes = [self._already_archived(job, p["id"], (p["first_page"], p["last_page"]),
                                                           p["record_code"]) for p in papers]
                else:
                    seen[job.sha256] = path.name
                    job.workdir = tmp / str(n)
                    job.workdir.mkdir()
                    for page in read_pages(path, job.workdir, self.force_ocr):
                        job.pages += 1
                        future = task = None
                        if page.text is None:
                            task = _PageTask(page.image_path, page.dpi, job.workdir / f"ocr-{page.number:04d}.pdf",
                                             codes=self.read_codes, blank_pdf=self.split != "blank",
                                             owned=page.image_path.parent == job.workdir)
                            future = self._submit(task)
                        yield job, page, future, task
            except SohoaError as exc:
                if disk_full(exc):  # a page image intake could not write: no fault of the file
                    raise
                job.error = exc
            yield job, _END, None, None

    # -- stage 2: settle (main process, in order) — collect pages, cut papers, archive them ------
    def _settle(self, job: _Job, page, future: Future | None, task: _PageTask | None, on_page) -> list[Outcome]:
        if page is _END:
            return self._end(job)
        if future is None:
            done = _PageDone(text=page.text, language="text-layer")
        else:
            try:
                try:
                    done = future.result()
                except BrokenProcessPool:
                    done = self._read_again(task)
            except SohoaError as exc:
                if isinstance(exc, DiskFull):
                    raise
                job.error = job.error or InputError(f"page {page.number}: {exc}")
                return []
            finally:  # not in the worker: a worker that dies after reading must leave the page for the retry
                if task.owned:
                    task.image_path.unlink(missing_ok=True)
            crashpoints.reached("ocr-page")
        if on_page:
            on_page()
        return [] if job.error else self._place(job, page, done)

    def _place(self, job: _Job, page: Page, done: _PageDone) -> list[Outcome]:
        """Put a page in the current paper, or end the paper at a separator page."""
        if done.blank and self.split == "blank":
            job.separated = True
            return self._close(job)
        if done.codes:
            if self.split == "none":  # one paper per file: the code names the record of all of it
                job.record_code = done.codes[0]
            else:
                # A receipt is a cover sheet: papers after it are another record's, so it always ends
                # the paper before it, and is itself no part of one (the register has it already).
                job.separated = True
                outcomes = self._close(job)
                job.record_code = done.codes[0]
                return outcomes
        if job.current is None:
            job.current = _Paper(first=page.number)
        job.current.pages.append((page, done))
        return []

    def _close(self, job: _Job) -> list[Outcome]:
        paper, job.current = job.current, None
        if paper is None:
            return []
        job.made += 1
        outcome = self._finish(job, paper)
        for _, done in paper.pages:
            if done.pdf_path:
                done.pdf_path.unlink(missing_ok=True)
        return [outcome]

    def _end(self, job: _Job) -> list[Outcome]:
        if job.outcomes:
            return job.outcomes
        if job.error is not None:
            return [self._fail(job, job.error)]
        outcomes = self._close(job)
        if job.made == 0:
            return [self._fail(job, InputError("has only blank or separator pages; scan the papers again"))]
        if job.separated:
            batches.complete_batch(self.archive.catalog, job.sha256, job.path.name, self.split, job.pages)
        return outcomes

    def _finish(self, job: _Job, paper: _Paper) -> Outcome:
        """Archive one paper: its PDF, its catalog row with pages, its link to a record."""
        first, last = paper.first, paper.pages[-1][0].number
        whole = not job.separated  # the file is this one paper: its identity is the file's own
        sha = job.sha256 if whole else batches.paper_identity(job.sha256, first, last)
        span = (first, last) if not whole or job.record_code else None
        try:
            pdf, made = self._assemble_pdf(job, paper, whole)
            if pdf != job.path:  # pages of our own: PDF/A-2b; an original kept as it came stays as it is
                pdf, made = pdfa.archival(pdf, made, "\f".join(d.text for _, d in paper.pages), job.path.name,
                                          job.record_code or (self.target and self.target.record_code), self.user)
        except Exception as exc:  # a page PDF pypdf cannot merge is a defect of that input
            if disk_full(exc):
                raise
            return self._fail(job, InputError(f"the archive PDF could not be assembled ({exc})"))
        try:
            return self._archive(job, paper, pdf, sha, span)
        finally:
            if made:
                pdf.unlink(missing_ok=True)

    def _archive(self, job: _Job, paper: _Paper, pdf: Path, sha: str, span: tuple[int, int] | None) -> Outcome:
        """The paper's catalog row with its pages, its file in the archive, its link to a record."""
        first, last = paper.first, paper.pages[-1][0].number
        catalog = self.archive.catalog
        texts, pages, rescan = [], [], []
        for n, (page, done) in enumerate(paper.pages, 1):
            texts.append(done.text)
            reasons = [] if done.pdf_path is None else prepare.rescan_reasons(page.dpi, done.blank, done.words,
                                                                               done.confidence)
            rescan += [f"page {n}: {r}" for r in reasons]
            text_layer = done.language == "text-layer"
            pages.append(PageInfo(
                width=page.width, height=page.height, dpi=page.dpi, mode=page.mode, confidence=done.confidence,
                text_source="text-layer" if text_layer else "ocr", language="" if text_layer else done.language,
                rotation=done.rotation, skew=done.skew, rescan="; ".join(reasons),
            ))
        languages = sorted({p.language for p in pages if p.language}) or ["text-layer"]
        new = NewPaper(
            sha256=sha, source_name=job.path.name, source_path=str(job.path.resolve()),
            pdf_path="", text="\f".join(texts), pages=pages, ocr_languages=",".join(languages),
            scanned_by=self.user,  # pdf_sha256: of the archived copy, once written
        )
        target, note = self._target_for(job.record_code)
        # The paper, its audit row and its place in the batch commit together; the file is written
        # under the same lock, so two scans of one file at once archive it once, with one checksum.
        try:
            with catalog.transaction():
                if (existing := catalog.paper_id_by_sha(sha)) is not None:  # before a crash, or by another scan
                    if span:
                        batches.note_paper(catalog, existing, job.sha256, first, last, job.record_code)
                    return self._already_archived(job, existing, (first, last), job.record_code)
                new.pdf_path, new.pdf_sha256 = self.archive.write_paper(sha, pdf)
                paper_id = catalog.add_paper(new, link=target.link() if target else None)
                metadata.store(catalog, paper_id, metadata.extract(new.text))
                audit.log(catalog, self.user, "scan", paper_id=paper_id, detail=job.path.name)
                if span:
                    batches.note_paper(catalog, paper_id, job.sha256, first, last, job.record_code)
        except Exception as exc:
            # Rolled back: its file goes too, leaving no orphan. Not after a failed COMMIT of another
            # kind (an I/O error), which may yet count as committed when the catalog is next opened.
            if new.pdf_path and (disk_full(exc) or not isinstance(exc, sqlite3.Error)):
                self.archive.paper_path(new.pdf_path).unlink(missing_ok=True)
            raise
        crashpoints.reached("catalog-commit")
        return self._outcome(job, "new", target=target, id=paper_id, pages=len(pages), note=note,
                             pdf_path=str(self.archive.paper_path(new.pdf_path)), mean_confidence=new.mean_confidence,
                             page_range=_range(first, last), rescan=rescan, record_code=job.record_code)

    def _target_for(self, code: str | None) -> tuple[Target | None, str | None]:
        """The record a paper goes to: the last record code read in its batch, else --record."""
        if code is None or (self.target and self.target.record_code == code):
            return self.target, None
        record = self.archive.catalog.get_record(code)
        if record is None:
            return None, f"record {code} (from its QR/barcode) is not in the register: not attached"
        # The receipt names the record, not which of its papers this is, unless it has only one.
        return Target(code, record.components[0] if len(record.components) == 1 else None), None

    def _assemble_pdf(self, job: _Job, paper: _Paper, whole: bool) -> tuple[Path, bool]:
        """The file holding the paper's PDF, and whether it was made here (a work file to delete).
        Files, not bytes: a 200-page paper is 200 MB, and is only ever copied in blocks."""
        sources = [done.pdf_path for _, done in paper.pages]
        if whole and (all(s is None for s in sources) or signatures.might_be_signed(job.path)):
            # every page already searchable, or signed (pages of our own would void its signatures;
            # the OCR text still goes to the catalog): archive the original as is
            return job.path, False
        if len(sources) == 1 and sources[0] is not None:
            return sources[0], False  # the page's own PDF, deleted with the page
        out = job.workdir / f"paper-{paper.first:04d}.pdf"
        if shutil.which("qpdf"):
            # qpdf copies page by page from the files (18 MB for 200 pages here); pypdf holds every
            # page in memory twice over (420 MB). Kept pages come from the source PDF as they are.
            pages = []
            for (page, _), source in zip(paper.pages, sources):
                pages += [str(job.path), str(page.number)] if source is None else [str(source), "1"]
            run = subprocess.run(["qpdf", "--empty", "--pages", *pages, "--", str(out)], capture_output=True, text=True)
            if run.returncode not in (0, 3):  # 3: warnings only, output written
                out.unlink(missing_ok=True)
                if os.strerror(errno.ENOSPC) in run.stderr:
                    raise OSError(errno.ENOSPC, run.stderr.strip())
                raise InputError(" ".join(run.stderr.split())[:200])
            return out, True
        writer = PdfWriter()
        original = PdfReader(job.path) if None in sources else None
        for (page, _), source in zip(paper.pages, sources):
            writer.add_page(original.pages[page.number - 1] if source is None else PdfReader(source).pages[0])
        writer.add_metadata({"/Title": job.path.stem, "/Producer": "Sohoa (Tesseract OCR)"})
        writer.write(out)
        return out, True

    # -- outcomes ------------------------------------------------------------------------------
    def _already_archived(self, job: _Job, paper_id: int, span: tuple[int, int] | None = None,
                          code: str | None = None) -> Outcome:
        note = f"already archived as paper {paper_id}"
        target, _ = self._target_for(code)
        if target:
            if self.archive.catalog.attach(paper_id, user=self.user, **target.link()):
                note += f"; now attached to {target.record_code}"
        paper = self.archive.catalog.get_paper(paper_id)
        return self._outcome(job, "skipped", target=target, id=paper_id, pages=paper["page_count"], note=note,
                             pdf_path=str(self.archive.paper_path(paper["pdf_path"])),
                             page_range=_range(*span) if span else None, record_code=code)

    def _fail(self, job: _Job, error: SohoaError) -> Outcome:
        message = f"{job.path}: {error}"
        self.archive.quarantine(job.path, message)
        return self._outcome(job, "failed", error=str(error), exit_code=error.exit_code)

    def _outcome(self, job: _Job, status: str, target=..., record_code: str | None = None, **values) -> Outcome:
        t = self.target if target is ... else target
        return Outcome(source_name=job.path.name, source_path=str(job.path), status=status,
                       record_code=t.record_code if t else record_code, component=t.component if t else None,
                       is_result=bool(t and t.is_result), **values)


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when nothing failed; the failure's own code when all failures agree, else InputError's."""
    codes = {o.exit_code for o in outcomes if o.status == "failed"}
    if not codes:
        return 0
    return codes.pop() if len(codes) == 1 else InputError.exit_code
