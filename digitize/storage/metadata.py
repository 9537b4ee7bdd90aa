"""A paper's metadata: values extracted from its text, corrections by staff (which win), and the
paper's current values (correction, else extraction) with what replaced it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterable

# The fields a paper's metadata has; schema version 3 builds its view of current values from these: fixed
METADATA_FIELDS = ("doc_type", "holder_name", "holder_id", "issue_date", "birth_date", "expiry_date",
                   "record_code", "procedure_code", "number", "issuer")


class Metadata(ABC):
    @abstractmethod
    def values(self, paper_id: int) -> dict:
        """{paper_id, each of METADATA_FIELDS, replaced_by}: the current values; {} for no such paper."""

    @abstractmethod
    def entries(self, paper_id: int) -> list[dict]:
        """[{paper_id, field, source ("extracted" | "corrected"), value, confidence, found_text, note}],
        corrections last."""

    @abstractmethod
    def last_correction(self, paper_id: int, field: str) -> tuple[str, str] | None:
        """(corrected_by, corrected_at) of the latest correction of the field."""

    @abstractmethod
    def store_extracted(self, paper_id: int, found: Iterable[tuple]) -> None:
        """Replace the paper's extracted values by `found` — (field, value, confidence, found_text,
        note) each — and stamp its extraction time; its corrections stay."""

    @abstractmethod
    def correct(self, paper_id: int, changes: Iterable[tuple[str, str | None, str | None]], user: str) -> None:
        """Set corrected values — (field, old, new) each, new None for "no value" — and log each
        change with who and when."""

    @abstractmethod
    def texts(self, paper_ids: Iterable[int] | None = None, not_extracted: bool = False) -> list[tuple[int, str]]:
        """(id, text) of the given papers, or of those never extracted, or of all, by id."""

    @abstractmethod
    def papers_of_holder(self, holder_id: str) -> list[dict]:
        """The papers whose current holder ID is this one, newest first (issue date, else scan date):
        their `values` with source_name, pdf_path and scanned_at."""
