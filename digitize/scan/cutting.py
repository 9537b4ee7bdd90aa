"""Cutting one input file's pages into papers, in page order: at blank separator pages (split
"blank"), at pages with a record code (split "code": a receipt is a cover sheet), or not at all (one
paper per file, whose record a code on any page names)."""

from __future__ import annotations

from dataclasses import dataclass, field

from digitize.intake import Page
from digitize.scan.pages import PageRead

SPLITS = ("none", "blank", "code")


@dataclass
class Paper:
    """Pages of the file that make one paper; `whole` and `record_code` are known once it is closed."""

    first: int  # page number in the source file
    pages: list[tuple[Page, PageRead]] = field(default_factory=list)
    whole: bool = True  # the file is this one paper: its identity is the file's own
    record_code: str | None = None  # from the last record-code page before it

    @property
    def last(self) -> int:
        return self.pages[-1][0].number

    def remove_page_files(self) -> None:
        for _, read in self.pages:
            if read.pdf_path:
                read.pdf_path.unlink(missing_ok=True)


class Cutter:
    """The papers of one file, each handed back as soon as a page ends it (or the file does)."""

    def __init__(self, split: str):
        self.split = split
        self.current: Paper | None = None  # the paper being filled
        self.separated = False  # a separator page was met: papers are parts of the file
        self.record_code: str | None = None  # from the last record-code page met
        self.made = 0  # papers closed

    def place(self, page: Page, read: PageRead) -> Paper | None:
        """Put a page in the current paper; the paper a separator page ends, if any."""
        if read.blank and self.split == "blank":
            self.separated = True
            return self.close()
        if read.codes:
            if self.split == "none":  # one paper per file: the code names the record of all of it
                self.record_code = read.codes[0]
            else:
                # A receipt is a cover sheet: papers after it are another record's, so it always ends
                # the paper before it, and is itself no part of one (the register has it already).
                self.separated = True
                closed = self.close()
                self.record_code = read.codes[0]
                return closed
        if self.current is None:
            self.current = Paper(first=page.number)
        self.current.pages.append((page, read))
        return None

    def close(self) -> Paper | None:
        """End the current paper (at a separator or the end of the file), if there is one."""
        paper, self.current = self.current, None
        if paper is None:
            return None
        self.made += 1
        paper.whole, paper.record_code = not self.separated, self.record_code
        return paper
