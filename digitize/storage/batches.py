"""Batch intake: which papers were cut out of which batch file, whole batches done, pages to rescan."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Batches(ABC):
    @abstractmethod
    def note_paper(self, paper_id: int, batch_sha256: str, first: int, last: int, record_code: str | None) -> None:
        """Where a paper sits in its batch (pages first..last) and the record code read there; once."""

    @abstractmethod
    def complete(self, sha256: str, source_name: str, split: str, pages: int) -> None:
        """Every paper of the batch is archived; once."""

    @abstractmethod
    def papers(self, sha256: str) -> list[dict] | None:
        """[{id, first_page, last_page, record_code, page_count, pdf_path}] of a completed batch in page
        order; None if it never was completed."""

    @abstractmethod
    def rescan_pages(self) -> list[dict]:
        """Every page flagged for rescanning of papers not replaced, by paper and page:
        [{id, source_name, source_path, pdf_path, page, reasons (a list), dpi, confidence, first_page,
        batch_record, record}] — first_page and batch_record from its batch (None outside one), record
        the first the paper is attached to."""

    @abstractmethod
    def rescan_state(self, paper_id: int) -> dict | None:
        """{page_count, replaced_by} of the paper; None if there is no such paper."""

    @abstractmethod
    def flagged(self, paper_id: int) -> dict[int, list[str]]:
        """{page number: reasons} of the paper's pages flagged for rescanning, in page order."""

    @abstractmethod
    def accept(self, paper_id: int, pages: list[int]) -> None:
        """Clear the rescan flags of these pages."""
