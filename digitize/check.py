"""`sohoa check`: does the archive tell the truth about itself? `--repair` mends what can be mended.

Checked: the catalog's schema version and SQLite's own consistency; every catalogued paper's
archived file exists and has the SHA-256 recorded when it was written; the search index holds
exactly the catalogued papers, each up to date; papers/ holds no file the catalog does not know;
signed copies are unchanged since signing (each signature intact, the copy before each signature
made here still the front of the file with its recorded checksum).

Copies of Sohoa's own pages are checked to be PDF/A-2b (digitize/pdfa.py); repair converts older
ones, each a new version of the copy whose checksum the catalog records (digitize/versions.py).

Repair re-indexes missing or stale papers (rebuilds the index when it has extra entries or
cannot be opened), records the checksum of files archived before checksums were kept, and moves
orphan files to orphans/. It never changes what a paper shows: a missing or altered file is
reported, to be restored from a backup.
"""

from __future__ import annotations

import hashlib
import shutil
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field

from digitize import pdfa, signatures
from digitize.archive import Archive
from digitize.catalog import SCHEMA_VERSION
from digitize.errors import ArchiveError, SohoaError, library_errors
from digitize.intake import sha256_file

# A scan writes a paper's file a moment before committing its catalog row: a younger file
# without a row may belong to a scan still running, so repair leaves it where it is.
ORPHAN_GRACE_SECONDS = 300

ADVICE = {
    "schema": "open the archive with this Sohoa to migrate it",
    "catalog": "restore the catalog from a backup (sohoa restore)",
    "missing-file": "restore it from a backup (sohoa restore), or scan the original again",
    "bad-checksum": "the file was altered or damaged; restore it from a backup (sohoa restore)",
    "no-checksum": "archived before checksums were kept; sohoa check --repair records it",
    "index": "sohoa check --repair rebuilds the index",
    "not-indexed": "sohoa check --repair indexes it",
    "stale-index": "sohoa check --repair re-indexes it",
    "extra-index": "sohoa check --repair rebuilds the index",
    "orphan": "not in the catalog; sohoa check --repair moves it to orphans/",
    "bad-signature": "the signed copy was altered after signing; restore it from a backup (sohoa restore)",
    "bad-revision": "the copy before signing no longer matches its recorded checksum; restore it from a backup",
    "not-pdfa": "sohoa check --repair converts it to PDF/A-2b (the paper keeps its identity)",
}


@dataclass
class Problem:
    kind: str
    detail: str
    paper_id: int | None = None
    path: str | None = None

    def line(self) -> str:
        what = " ".join(x for x in (f"paper {self.paper_id}" if self.paper_id is not None else "", self.path or "") if x)
        return f"{self.kind:13} {what + ': ' if what else ''}{self.detail}"


@dataclass
class Report:
    schema_version: int
    papers: int = 0
    files_verified: int = 0
    signatures_verified: int = 0  # signatures found intact (integrity only: trust is `sohoa verify`'s)
    index_entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        out = {"ok": self.ok, **asdict(self)}
        if not self.signatures_verified:  # an archive without signed copies reports as it always has
            out.pop("signatures_verified")
        return out

    def lines(self) -> list[str]:
        out = [f"schema   version {self.schema_version} (this Sohoa: {SCHEMA_VERSION})",
               f"papers   {self.papers} catalogued, {self.files_verified} files verified (SHA-256)",
               f"index    {self.index_entries} entries"]
        if self.signatures_verified:
            out.insert(2, f"signed   {self.signatures_verified} signatures intact")
        out += [f"repaired {r}" for r in self.repaired]
        out += [p.line() for p in self.problems]
        out.append("OK: no problems found" if self.ok else f"{len(self.problems)} problem(s) found")
        return out


def check(archive: Archive, repair: bool = False, user: str = "sohoa") -> Report:
    report = _inspect(archive)
    if not repair or report.ok:
        return report
    repaired = _repair(archive, report, user)
    report = _inspect(archive)
    if any(p.kind == "not-pdfa" for p in report.problems):  # a copy whose checksum was only now recorded
        repaired += _repair(archive, report, user)
        report = _inspect(archive)
    report.repaired = repaired
    return report


def _inspect(archive: Archive) -> Report:
    catalog = archive.catalog
    report = Report(schema_version=catalog.schema_version)
    problems = report.problems
    if report.schema_version != SCHEMA_VERSION:
        problems.append(Problem("schema", f"catalog schema version {report.schema_version}, expected "
                                          f"{SCHEMA_VERSION}; {ADVICE['schema']}"))
    verdict = catalog.database.quick_check()
    if verdict != ["ok"]:
        problems.append(Problem("catalog", f"SQLite finds the catalog inconsistent ({'; '.join(verdict[:3])}); "
                                           f"{ADVICE['catalog']}"))

    files = list(archive.paper_files.keys())  # listed before reading the rows: a file a scan adds meanwhile has its row
    rows = catalog.papers.files()
    signed = catalog.signatures.signed_papers()
    report.papers = len(rows)
    for row in rows:
        with ExitStack() as held:  # the file stays at hand for the checks below (a remote store's copy)
            try:
                path = held.enter_context(archive.paper_files.local_path(row["pdf_path"]))
                digest = sha256_file(path)
            except FileNotFoundError:
                problems.append(Problem("missing-file", ADVICE["missing-file"], row["id"], row["pdf_path"]))
                continue
            except OSError as exc:
                problems.append(Problem("missing-file", f"cannot be read ({exc.strerror}); {ADVICE['missing-file']}",
                                        row["id"], row["pdf_path"]))
                continue
            if row["pdf_sha256"] is None:
                problems.append(Problem("no-checksum", ADVICE["no-checksum"], row["id"], row["pdf_path"]))
            elif digest != row["pdf_sha256"]:
                problems.append(Problem("bad-checksum", f"SHA-256 {digest[:12]}… but {row['pdf_sha256'][:12]}… was "
                                                        f"recorded; {ADVICE['bad-checksum']}", row["id"], row["pdf_path"]))
            else:
                report.files_verified += 1
                _check_pdfa(archive, report, row, path, signed.get(row["id"], []))
            _check_signatures(report, row, path, signed.get(row["id"], []))

    try:
        with library_errors():
            in_index = archive.index.ids()
    except ArchiveError as exc:
        problems.append(Problem("index", f"{exc}; {ADVICE['index']}"))
    else:
        report.index_entries = len(in_index)
        for row in rows:
            if row["id"] not in in_index:
                problems.append(Problem("not-indexed", ADVICE["not-indexed"], row["id"]))
            elif not row["indexed"]:
                problems.append(Problem("stale-index", "changed in the catalog since it was indexed; "
                                                       + ADVICE["stale-index"], row["id"]))
        for extra in sorted(in_index - {row["id"] for row in rows}):
            problems.append(Problem("extra-index", "in the index but not in the catalog; " + ADVICE["extra-index"], extra))

    known = {row["pdf_path"] for row in rows}
    for relative in files:
        if relative not in known:
            problems.append(Problem("orphan", ADVICE["orphan"], path=relative))
    return report


def _check_signatures(report: Report, row: dict, path, recorded: list[dict]) -> None:
    """Signed copies: every signature still covers what it signed, and each copy before a signature
    made here is still the front of the file with the checksum recorded then. A signed paper is
    not damaged for being longer than its first copy: its checksum is the signed file's."""
    if not recorded and not signatures.might_be_signed(path):
        return
    try:
        checks = signatures.verify_file(path, trust=[], fetch=False)
    except SohoaError as exc:
        report.problems.append(Problem("bad-signature", f"{exc}; {ADVICE['bad-signature']}", row["id"], row["pdf_path"]))
        return
    for c in checks:
        if c.intact and not c.modified_after:
            report.signatures_verified += 1
        else:
            why = "changed after signing" if not c.intact else "later revisions change what was signed"
            report.problems.append(Problem("bad-signature", f"{c.field_name} by {c.signer_subject}: {why}; "
                                                            f"{ADVICE['bad-signature']}", row["id"], row["pdf_path"]))
    for s in recorded:
        if _front_sha256(path, s["revision_size"]) != s["revision_sha256"]:
            report.problems.append(Problem("bad-revision", f"before {s['field_name']}: {ADVICE['bad-revision']}",
                                           row["id"], row["pdf_path"]))


def _check_pdfa(archive: Archive, report: Report, row: dict, path, recorded: list[dict]) -> None:
    """Copies of Sohoa's own pages are PDF/A-2b. Not checked here: an original kept as it came (born
    digital, or signed elsewhere), and a copy signed here (converting it would void the signature;
    those signed since PDF/A copies were made are PDF/A, tests/test_pdfa.py)."""
    identity = archive.catalog.get_paper(row["id"])["sha256"]
    if identity == (recorded[0]["revision_sha256"] if recorded else row["pdf_sha256"]):
        return
    if recorded:
        return  # signed as it was: the signature is worth more than the format
    found = pdfa.findings(path)
    if not found:
        return
    report.problems.append(Problem("not-pdfa", f"{found[0]}{' (+%d more)' % (len(found) - 1) if len(found) > 1 else ''}; "
                                               f"{ADVICE['not-pdfa']}", row["id"], row["pdf_path"]))


def _front_sha256(path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while size > 0:
            block = f.read(min(size, 1 << 20))
            if not block:
                break
            digest.update(block)
            size -= len(block)
    return digest.hexdigest()


def _repair(archive: Archive, report: Report, user: str) -> list[str]:
    done = []
    kinds = {p.kind for p in report.problems}
    unrecorded = [p for p in report.problems if p.kind == "no-checksum"]
    if unrecorded:
        with archive.catalog.transaction():
            for p in unrecorded:
                archive.catalog.papers.record_pdf_sha256(p.paper_id, archive.paper_files.sha256(p.path))
        done.append(f"recorded the checksum of {len(unrecorded)} archived file(s)")
    if kinds & {"index", "extra-index"}:
        done.append(f"rebuilt the index ({archive.reindex()} papers)")
    elif kinds & {"not-indexed", "stale-index"}:
        stale = [p.paper_id for p in report.problems if p.kind in ("not-indexed", "stale-index")]
        archive.catalog.mark_indexed(stale, False)
        done.append(f"indexed {archive.sync_index()} paper(s)")
    converted = [p.paper_id for p in report.problems if p.kind == "not-pdfa"]
    if converted:
        made = sum(_convert(archive, paper_id, user) for paper_id in converted)
        done.append(f"converted {made} of {len(converted)} copy(ies) to PDF/A-2b")
    for p in report.problems:
        if p.kind == "orphan":
            done.append(_move_orphan(archive, p.path))
    return done


def _convert(archive: Archive, paper_id: int, user: str) -> bool:
    """An older copy made PDF/A-2b as a new version of it; the paper keeps its identity."""
    from datetime import datetime

    from digitize import audit
    from digitize.versions import replace_copy

    catalog = archive.catalog
    paper = catalog.get_paper(paper_id)
    with archive.work_dir("pdfa-") as work:
        copy = work / "copy.pdf"
        with archive.paper_files.local_path(paper["pdf_path"]) as current:
            shutil.copyfile(current, copy)
        out, _ = pdfa.archival(copy, True, paper["text"], paper["source_name"], catalog.papers.first_record(paper_id),
                               paper["scanned_by"], datetime.fromisoformat(paper["scanned_at"]))
        if out == copy or pdfa.findings(out):
            return False
        replace_copy(archive, paper, out, "a", lambda digest: audit.log(
            catalog, user, "pdfa", paper_id=paper_id, detail=f"PDF/A-2b copy {digest[:12]}…"))
    return True


def _move_orphan(archive: Archive, relative: str) -> str:
    age = archive.paper_files.age(relative)
    if age < ORPHAN_GRACE_SECONDS:
        return f"left {relative} in place: written {age:.0f} s ago, it may belong to a scan still running"
    return f"moved {relative} to {archive.paper_files.set_aside(relative)}"

