"""Digital signatures made on papers' archived copies: who signed (subject, serial, issuer), when, at
which PAdES level, and which bytes of the copy each signature covers (the copy before it)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Signatures(ABC):
    @abstractmethod
    def add(self, paper_id: int, signed: dict, user: str) -> None:
        """Record a signature (the fields of digitize.signatures.Signed) made by `user`."""

    @abstractmethod
    def of_paper(self, paper_id: int) -> list[dict]:
        """[{field_name, signer_subject, signer_serial, signer_issuer, signer_organization, signed_at,
        level, timestamp_at, revision_size, revision_sha256, pdf_sha256, signed_by}] oldest first."""

    @abstractmethod
    def signed_papers(self) -> dict[int, list[dict]]:
        """Every signed paper's signatures (as `of_paper`), by paper id."""
