"""The scan pipeline: files → pages → OCR (in parallel) → archived PDF → catalog → index.

Pages of all files stream through one pool of OCR workers, so both cores stay busy even when
every paper has a single page, and at most a few pages are in flight whatever the batch size.
Files finish in the order they were given. A file that cannot be read fails alone.
"""

from __future__ import annotations

import difflib
import io
import os
import tempfile
import unicodedata
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pypdf import PdfReader, PdfWriter

from digitize.archive import INDEX_BATCH, Archive
from digitize.catalog import NewPaper, PageInfo
from digitize.errors import BadArgument, InputError, SohoaError
from digitize.intake import Page, find_inputs, read_pages, sha256_file, sniff


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

    def to_json(self) -> dict:
        return asdict(self)


def resolve_target(archive: Archive, record: str | None, component: str | None, result: bool) -> Target | None:
    """Check --record/--component/--result against the register, naming the valid choices."""
    if record is None:
        if component or result:
            raise BadArgument("--component and --result need --record CODE")
        return None
    found = archive.catalog.get_record(record.strip())
    if found is None:
        codes = archive.catalog.record_codes()
        close = difflib.get_close_matches(record, codes, n=5, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else (
            "import the register first (sohoa records import FILE.csv)" if not codes
            else f"registered codes include {', '.join(codes[:5])}{' …' if len(codes) > 5 else ''}")
        raise BadArgument(f"unknown record code {record!r}; {hint}")
    if component and result:
        raise BadArgument("give either --component NAME or --result, not both")
    if result:
        return Target(found.record_code, None, True)
    choices = "; ".join(found.components)
    if not component:
        if len(found.components) == 1:
            return Target(found.record_code, found.components[0])
        raise BadArgument(f"record {found.record_code} has several components; choose one with --component: {choices}")
    wanted = _casefold(component)
    for name in found.components:
        if _casefold(name) == wanted:
            return Target(found.record_code, name)
    raise BadArgument(f"record {found.record_code} has no component {component!r}; its components are: {choices}")


def _casefold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


@dataclass
class _Job:
    """One input file on its way through the pipeline."""

    path: Path
    workdir: Path | None = None  # holds converted page images and OCR'd page PDFs
    sha256: str | None = None
    pages: list[Page] = field(default_factory=list)
    results: dict[int, tuple[str, float | None, str, Path | None]] = field(default_factory=dict)
    error: SohoaError | None = None
    outcome: Outcome | None = None  # decided early: skipped, or failed before OCR


_END = object()  # marks the last item of a job in the queue


class Scanner:
    def __init__(self, archive: Archive, engine, user: str, jobs: int | None = None):
        self.archive = archive
        self.engine = engine
        self.user = user
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def scan(self, paths: Iterable[Path], target: Target | None = None,
             on_page: Callable[[], None] | None = None) -> Iterator[Outcome]:
        """Archive each file as one paper; yields one Outcome per file, in input order."""
        self.engine.check()
        self.archive.sync_index()  # a previous run may have died between catalog and index
        self.target = target
        unindexed = 0
        window = self.jobs * 2
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="ocr") as pool, \
                tempfile.TemporaryDirectory(prefix="scan-", dir=self.archive.root / "tmp") as tmp:
            queue: deque = deque()
            for item in self._plan(paths, Path(tmp), pool):
                queue.append(item)
                while len(queue) > window:
                    outcome = self._settle(*queue.popleft(), on_page)
                    if outcome:
                        unindexed += outcome.status != "failed"
                        yield outcome
                if unindexed >= INDEX_BATCH:
                    self.archive.sync_index()
                    unindexed = 0
            while queue:
                outcome = self._settle(*queue.popleft(), on_page)
                if outcome:
                    yield outcome
        self.archive.sync_index()

    # -- stage 1: plan (main thread) — hash, dedupe, open, submit pages ------------------------
    def _plan(self, paths, tmp: Path, pool: ThreadPoolExecutor):
        seen: dict[str, str] = {}
        for n, path in enumerate(find_inputs(list(paths))):
            job = _Job(path)
            try:
                sniff(path)
                job.sha256 = sha256_file(path)
                if job.sha256 in seen:
                    job.outcome = self._outcome(job, "skipped", note=f"same content as {seen[job.sha256]} in this batch")
                elif (existing := self.archive.catalog.paper_id_by_sha(job.sha256)) is not None:
                    job.outcome = self._already_archived(job, existing)
                else:
                    seen[job.sha256] = path.name
                    job.workdir = tmp / str(n)
                    job.workdir.mkdir()
                    for page in read_pages(path, job.workdir):
                        job.pages.append(page)
                        future = pool.submit(self.engine.read, page.image_path, page.dpi) if page.text is None else None
                        yield job, page, future
            except SohoaError as exc:
                job.error = exc
            yield job, _END, None

    # -- stage 2: settle (main thread, in order) — collect OCR, then finish the file ----------
    def _settle(self, job: _Job, page, future: Future | None, on_page) -> Outcome | None:
        if page is _END:
            return self._finish(job)
        if future is None:
            job.results[page.number] = (page.text, None, "text-layer", None)
        else:
            try:
                result = future.result()
            except SohoaError as exc:
                job.error = job.error or InputError(f"page {page.number}: {exc}")
                return None
            finally:
                if page.image_path.parent == job.workdir:  # never the user's original
                    page.image_path.unlink(missing_ok=True)
            if job.error is None:
                pdf_file = job.workdir / f"ocr-{page.number:04d}.pdf"
                pdf_file.write_bytes(result.pdf)
                job.results[page.number] = (result.text, result.confidence, result.language, pdf_file)
        if on_page:
            on_page()
        return None

    def _finish(self, job: _Job) -> Outcome:
        if job.outcome:
            return job.outcome
        if job.error is not None:
            return self._fail(job, job.error)
        try:
            data = self._assemble_pdf(job)
        except Exception as exc:  # a page PDF pypdf cannot merge is a defect of that input
            return self._fail(job, InputError(f"the archive PDF could not be assembled ({exc})"))
        relative = self.archive.write_paper(job.sha256, data)
        texts, pages = [], []
        for page in job.pages:
            text, confidence, source, _ = job.results[page.number]
            texts.append(text)
            pages.append(PageInfo(
                width=page.width, height=page.height, dpi=page.dpi, mode=page.mode, confidence=confidence,
                text_source="text-layer" if source == "text-layer" else "ocr",
                language="" if source == "text-layer" else source,
            ))
        languages = sorted({p.language for p in pages if p.language}) or ["text-layer"]
        paper = NewPaper(
            sha256=job.sha256, source_name=job.path.name, source_path=str(job.path.resolve()),
            pdf_path=relative, text="\f".join(texts), pages=pages, ocr_languages=",".join(languages),
            scanned_by=self.user,
        )
        paper_id = self.archive.catalog.add_paper(paper, link=self.target.link() if self.target else None)
        return self._outcome(job, "new", id=paper_id, pages=len(pages), pdf_path=str(self.archive.paper_path(relative)),
                             mean_confidence=paper.mean_confidence)

    def _assemble_pdf(self, job: _Job) -> bytes:
        sources = [job.results[p.number][3] for p in job.pages]
        if all(s is None for s in sources):
            return job.path.read_bytes()  # every page already searchable: archive the original as is
        if len(sources) == 1:
            return sources[0].read_bytes()
        writer = PdfWriter()
        for page, source in zip(job.pages, sources):
            writer.add_page(page.pdf_page if source is None else PdfReader(source).pages[0])
        writer.add_metadata({"/Title": job.path.stem, "/Producer": "Sohoa (Tesseract OCR)"})
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    # -- outcomes ------------------------------------------------------------------------------
    def _already_archived(self, job: _Job, paper_id: int) -> Outcome:
        note = f"already archived as paper {paper_id}"
        if self.target:
            if self.archive.catalog.attach(paper_id, user=self.user, **self.target.link()):
                self.archive.catalog.mark_indexed([paper_id], False)
                note += f"; now attached to {self.target.record_code}"
        paper = self.archive.catalog.get_paper(paper_id)
        return self._outcome(job, "skipped", id=paper_id, pages=paper["page_count"], note=note,
                             pdf_path=str(self.archive.paper_path(paper["pdf_path"])))

    def _fail(self, job: _Job, error: SohoaError) -> Outcome:
        message = f"{job.path}: {error}"
        self.archive.quarantine(job.path, message)
        return self._outcome(job, "failed", error=str(error), exit_code=error.exit_code)

    def _outcome(self, job: _Job, status: str, **values) -> Outcome:
        t = self.target
        return Outcome(source_name=job.path.name, source_path=str(job.path), status=status,
                       record_code=t.record_code if t else None, component=t.component if t else None,
                       is_result=bool(t and t.is_result), **values)


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when nothing failed; the failure's own code when all failures agree, else InputError's."""
    codes = {o.exit_code for o in outcomes if o.status == "failed"}
    if not codes:
        return 0
    return codes.pop() if len(codes) == 1 else InputError.exit_code
