"""Scanning: archive files, or watch a hot folder. A scan is checked and counted before any page is
read, then run with callbacks for each page and each paper done — a terminal bar, or a job's row."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from digitize import metadata
from digitize.archive import Archive
from digitize.intake import count_pages, find_inputs
from digitize.scan.pool import PagePool
from digitize.scan.scanner import Outcome, Scanner
from digitize.scan.scanner import exit_code as exit_code_of
from digitize.scan.targets import Target, resolve_target
from digitize.errors import SohoaError
from digitize.services.access import agencies, require
from digitize.services.actor import Actor
from digitize.services.common import masked
from digitize.services.signing import Key, sign_paper
from digitize.watch import watch as watch_folder
from ocr import TesseractEngine


@dataclass
class Scanned:
    """One paper of a scan, or a file that failed: the scanner's outcome (paths and error as they
    are, for the one who scanned) and `view`, what may be shown of it (citizen IDs masked)."""

    outcome: Outcome
    view: dict


@dataclass
class ScanBatch:
    """Files checked and counted, ready to archive: `pages` is known before the first is read (a
    damaged file may count 0 and read more). `run` archives them; `outcomes` and `exit_code` then
    tell what happened."""

    archive: Archive
    scanner: Scanner
    files: list[Path]
    target: Target | None
    pages: int
    outcomes: list[Outcome] = field(default_factory=list)
    actor: Actor | None = None
    sign: Key | None = None  # sign each new paper right after it is archived
    tsa_url: str | None = None
    sign_errors: list[SohoaError] = field(default_factory=list)

    def run(self, on_page: Callable[[], None] | None = None,
            on_paper: Callable[[], None] | None = None) -> Iterator[Scanned]:
        """Each paper as soon as it is archived, in input order. A full disk stops the batch with
        DiskFull after what was archived is indexed (and listed in `outcomes`). With `sign`, the key
        is opened first (a wrong password stops the scan before any page is read) and each new paper
        is signed once archived; a paper that cannot be signed stays archived, its view says why."""
        with self.sign.open() if self.sign else nullcontext() as signer:
            for outcome in self.scanner.scan(self.files, self.target, on_page=on_page):
                self.outcomes.append(outcome)
                row = outcome.to_json()
                if signer is not None and outcome.status == "new":
                    self._sign(signer, outcome, row)
                if on_paper:
                    on_paper()
                if row.get("id") is not None:
                    row["metadata"] = metadata.current(self.archive.catalog, row["id"])
                yield Scanned(outcome, masked(row))

    def _sign(self, signer, outcome: Outcome, row: dict) -> None:
        try:
            done = sign_paper(self.archive, self.actor, outcome.id, signer, self.tsa_url)
        except SohoaError as exc:
            self.sign_errors.append(exc)
            row["signature_error"] = str(exc)
            return
        outcome.pdf_path = row["pdf_path"] = done["pdf_path"]
        row["signature"] = done["signature"]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed; the failure's own code when all failures agree, else InputError's;
        with every paper archived, a signing's failure's code."""
        return exit_code_of(self.outcomes) or (self.sign_errors[0].exit_code if self.sign_errors else 0)


def scan(archive: Archive, actor: Actor, paths: Iterable[Path], record: str | None = None,
         component: str | None = None, result: bool = False, split: str = "none", force_ocr: bool = False,
         processes: int | None = None, sign: Key | None = None, tsa_url: str | None = None,
         pool: PagePool | None = None, index: bool = True) -> ScanBatch:
    """Scans (files or folders) to archive as papers of `record`'s `component` or `result`, if given:
    the target is checked against the register first, and the pages counted. `sign`: the officer's
    key, to sign each new paper once archived (B-T with `tsa_url`). `pool`: OCR processes already
    started (a worker's, kept across its jobs), else the scan starts `processes` of its own;
    `index=False`: the caller indexes the new papers (a worker, for several jobs at once)."""
    require(actor, "scan")
    target = resolve_target(archive, record, component, result, agencies(actor))
    files = list(find_inputs(list(paths)))
    scanner = Scanner(archive, pool.engine if pool else TesseractEngine(), user=actor.name, processes=processes,
                      split=split, force_ocr=force_ocr, agency=_agency(actor), pool=pool, index=index)
    pages = sum(count_pages(f) for f in files if not f.is_symlink())
    return ScanBatch(archive, scanner, files, target, pages, actor=actor, sign=sign, tsa_url=tsa_url)


@dataclass
class Watched:
    """One file of the hot folder done with: its name, where it went (relative to the inbox when
    inside it) and its papers (views with `moved_to`)."""

    name: str
    moved_to: str
    papers: list[Scanned]


def watch(archive: Archive, actor: Actor, inbox: Path, record_from_code: bool = False, split: str = "none",
          processes: int | None = None, poll: float = 2.0, once: bool = False) -> Iterator[Watched]:
    """Archive each scan landing in `inbox` and move it to done/ or failed/ (see digitize.watch)."""
    require(actor, "scan")
    scanner = Scanner(archive, TesseractEngine(), user=actor.name, processes=processes, split=split,
                      read_codes=record_from_code or split == "code", agency=_agency(actor))
    return _watched(scanner, Path(inbox), poll, once)


def _agency(actor: Actor) -> str | None:
    """The agency a new paper is noted under: the clerk's first; None when unscoped."""
    return actor.agencies[0] if actor.agencies else None


def _watched(scanner: Scanner, inbox: Path, poll: float, once: bool) -> Iterator[Watched]:
    for filed in watch_folder(scanner, inbox, poll=poll, once=once):
        moved = str(filed.moved_to.relative_to(inbox)) if filed.moved_to.is_relative_to(inbox) else str(filed.moved_to)
        yield Watched(filed.path.name, moved,
                      [Scanned(o, masked({**o.to_json(), "moved_to": moved})) for o in filed.outcomes])
