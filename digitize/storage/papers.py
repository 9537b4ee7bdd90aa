"""Papers (archived documents), their pages, their links to records, and whether the index is up to date.

The search index is derived from the papers: `index_documents` is all it reads, and every write
that changes what it returns about a paper marks that paper stale (`indexed` 0), whichever store
makes it, so the next index sync re-reads it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterable, Iterator


@dataclass
class PageInfo:
    width: int
    height: int
    dpi: int
    mode: str
    confidence: float | None  # mean word confidence 0-100; None when the text came from a text layer
    text_source: str  # "ocr" or "text-layer"
    language: str = ""  # Tesseract languages that produced the text
    rotation: int = 0  # degrees the page was turned clockwise before OCR
    skew: float = 0.0  # degrees of tilt straightened before OCR
    rescan: str = ""  # why the page must be scanned again ('; '-separated); '' when it is fine


@dataclass
class NewPaper:
    sha256: str
    source_name: str
    source_path: str
    pdf_path: str  # relative to the archive root
    text: str
    pages: list[PageInfo]
    ocr_languages: str
    scanned_by: str
    pdf_sha256: str | None = None  # the archived file's own checksum, for `sohoa check`
    agency: str | None = None  # the scanning clerk's agency; None when scanned unscoped

    @property
    def mean_confidence(self) -> float | None:
        confs = [p.confidence for p in self.pages if p.confidence is not None]
        return round(sum(confs) / len(confs), 2) if confs else None


class Papers(ABC):
    @abstractmethod
    def id_by_sha(self, sha256: str) -> int | None:
        """The paper whose original has this SHA-256 (its identity)."""

    @abstractmethod
    def exists(self, paper_id: int) -> bool:
        ...

    @abstractmethod
    def add(self, paper: NewPaper, link: dict | None = None) -> int:
        """Insert a paper with its pages, and its link to a record if given (the keyword arguments
        of `attach` but the user), in one transaction; returns its id. A SHA-256 already stored, or a
        link to an unknown record, raises the backend's integrity error and stores nothing."""

    @abstractmethod
    def attach(self, paper_id: int, record_code: str, component: str | None, is_result: bool,
               user: str, reused: bool = False) -> bool:
        """Link a paper to a record's component (or its result, component None or ''); returns False
        if it already was, changing nothing. An unknown paper or record raises the integrity error."""

    @abstractmethod
    def get(self, paper_id: int) -> dict | None:
        """Every stored field of the paper, with "pages" (rescan as a list of reasons) and
        "attachments" in the order made."""

    @abstractmethod
    def records_of(self, paper_id: int) -> list[dict]:
        """[{record_code, component, is_result, reused}]: the records the paper serves, in the order attached."""

    @abstractmethod
    def seen_by(self, paper_ids: list[int], agencies: tuple[str, ...]) -> set[int]:
        """Those of `paper_ids` these agencies may see (Decree 30: rights per record): a paper serving
        a record sees that record's agency; one serving none, the agency it was scanned under, or
        every agency when scanned unscoped (agency NULL)."""

    @abstractmethod
    def first_record(self, paper_id: int) -> str | None:
        """The record the paper was attached to first."""

    @abstractmethod
    def attached_to(self, record_code: str) -> list[dict]:
        """The papers of a record: [{component, is_result, id, source_name, page_count, reused,
        attached_by, attached_at}] in the order attached."""

    @abstractmethod
    def reused_as(self, paper_id: int, record_code: str, component: str) -> int | None:
        """None when the paper does not serve that component of the record, else its `reused` flag."""

    @abstractmethod
    def index_documents(self, only_unindexed: bool = False) -> Iterator[dict]:
        """Everything the search index holds about each paper, in the shape index/ expects, by id."""

    @abstractmethod
    def mark_indexed(self, paper_ids: Iterable[int], indexed: bool = True) -> None:
        ...

    @abstractmethod
    def mark_stale(self, paper_ids: Iterable[int] | None = None) -> None:
        """Mark papers (all of them when None) as changed since the index last read them."""

    @abstractmethod
    def count(self) -> int:
        """How many papers the catalog holds."""

    @abstractmethod
    def files(self) -> list[dict]:
        """[{id, pdf_path, pdf_sha256, indexed}] of every paper, by id."""

    @abstractmethod
    def record_pdf_sha256(self, paper_id: int, pdf_sha256: str) -> None:
        """Record the archived file's checksum of a paper that has none yet."""

    @abstractmethod
    def replace_copy(self, paper_id: int, pdf_path: str, pdf_sha256: str) -> None:
        """The paper's archived copy is now this file (signed, or converted to PDF/A): its path and
        checksum. The paper's identity (the SHA-256 of its original) and its text stay."""
