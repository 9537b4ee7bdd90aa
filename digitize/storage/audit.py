"""The audit log: append-only rows of who did what to whose papers, and when."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Audit(ABC):
    @abstractmethod
    def holder_ids(self, paper_id: int | None = None, record_code: str | None = None) -> list[str | None]:
        """Citizen IDs of the people a paper is about (its holder, the applicants of the records it
        serves), or of one record's applicant; unsorted, possibly repeated or None."""

    @abstractmethod
    def append(self, user: str, action: str, paper_id: int | None, record_code: str | None,
               holder_ids: list[str], detail: str, channel: str | None = None, address: str | None = None,
               role: str | None = None) -> None:
        """One event, stamped now, with how the user came (cli, web, api), from where, in which role."""

    @abstractmethod
    def events(self, paper_id: int | None = None, holder_id: str | None = None,
               since: str | None = None) -> list[dict]:
        """[{id, at, user, action, paper_id, record_code, holder_ids (a list), detail}] oldest first,
        of one paper, of one citizen ID among holder_ids, from a date (YYYY-MM-DD) on; all filters given apply."""
