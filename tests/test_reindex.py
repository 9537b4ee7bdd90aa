"""`sohoa reindex` and index healing: the index is derived from the catalog and can always be rebuilt.

A pristine archive is scanned once for the module; each test works on its own copy of it.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Sohoa, make_scan, page_lines, write_register

CODE = "000.00.53.H48-260106-0002"  # Đặng Thị Hương
QUERIES = [["nguyen", "van", "an"], ["Nguyễn", "Văn", "Ân"], ["dang", "thi", "huong"], ["giay", "khai", "sinh"],
           [CODE], ["cộng", "hòa"]]


class ArchiveCli(Sohoa):
    """The real `sohoa` command on one archive folder, as one user."""

    def __init__(self, root: Path):
        super().__init__(root, "clerk-reindex")

    def results(self, query, limit=100):
        """What a user sees for a query, with PDF paths relative to the archive (copies differ)."""
        hits = self.json("search", *query, "--limit", limit)
        for h in hits:
            h["pdf_path"] = str(Path(h["pdf_path"]).relative_to(self.root))
        return hits


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    base = tmp_path_factory.mktemp("reindex")
    cli = ArchiveCli(base / "archive")
    batch = base / "batch"
    make_scan(batch / "p1.png", page_lines("GIẤY KHAI SINH", "Nguyễn Văn An"), dpi=300)
    make_scan(batch / "p2.png", page_lines("GIẤY KHAI SINH", "Nguyễn Văn Ân"), dpi=300)
    paper = make_scan(base / "p3.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương"), dpi=200)
    register = write_register(base / "register.csv")
    cli("records", "import", register)
    rows = cli.jsonl("scan", batch) + cli.jsonl("scan", paper, "--record", CODE)
    assert [r["status"] for r in rows] == ["new"] * 3
    baseline = {tuple(q): cli.results(q) for q in QUERIES}
    assert all(baseline.values())  # every query finds something before anything is broken
    spare = make_scan(base / "p4.png", page_lines("GIẤY CHỨNG SINH", "Lê Minh Tuấn"), dpi=200)
    return {"root": cli.root, "ids": [r["id"] for r in rows], "baseline": baseline, "spare": spare,
            "sources": [batch / "p1.png", paper]}


@pytest.fixture
def archive(pristine, tmp_path):
    """A copy of the pristine archive for one test to break."""
    root = tmp_path / "archive"
    shutil.copytree(pristine["root"], root)
    return ArchiveCli(root)


def same_results(got, expected, scores=True):
    """Same papers in the same order, same snippets and metadata; scores equal to the printed
    precision (unless replaced documents still weigh in Whoosh's term statistics)."""
    assert [h["id"] for h in got] == [h["id"] for h in expected]
    for g, e in zip(got, expected):
        if scores:
            assert g["score"] == pytest.approx(e["score"], abs=1e-3)
        assert {k: v for k, v in g.items() if k != "score"} == {k: v for k, v in e.items() if k != "score"}


def assert_found_nothing_or_failed_cleanly(cli, query):
    result = cli("search", *query, expect=None)
    if result.exit_code == 0:
        assert result.stdout == "no papers found\n"
    else:
        (line,) = result.stderr.splitlines()
        assert line.startswith("sohoa: ") and result.stdout == ""


def set_all_unindexed(root: Path):
    with sqlite3.connect(root / "catalog.sqlite") as db:
        db.execute("UPDATE papers SET indexed = 0")
    db.close()


def test_reindex_rebuilds_a_deleted_index(pristine, archive):
    shutil.rmtree(archive.root / "index")
    for query in QUERIES:
        assert_found_nothing_or_failed_cleanly(archive, query)

    out = archive("reindex").stdout

    assert out == f"reindexed 3 papers in {archive.root / 'index'}\n"
    for query in QUERIES:
        same_results(archive.results(query), pristine["baseline"][tuple(query)])


def test_reindex_is_idempotent(pristine, archive):
    first = archive("reindex").stdout
    after_first = {tuple(q): archive.results(q) for q in QUERIES}
    second = archive("reindex").stdout

    assert first == second == f"reindexed 3 papers in {archive.root / 'index'}\n"
    for query in QUERIES:
        same_results(archive.results(query), after_first[tuple(query)])
        same_results(after_first[tuple(query)], pristine["baseline"][tuple(query)])
    every = archive.results(["cộng", "hòa"])
    assert sorted(h["id"] for h in every) == sorted(pristine["ids"])  # no paper twice


def test_reindex_of_an_empty_archive(tmp_path):
    cli = ArchiveCli(tmp_path / "empty")
    assert cli("reindex").stdout == f"reindexed 0 papers in {cli.root / 'index'}\n"
    assert cli("search", "nguyen").stdout == "no papers found\n"


@pytest.mark.parametrize("scanned", ["new paper", "already archived paper", "unreadable file"])
def test_scan_heals_papers_catalogued_but_never_indexed(pristine, archive, tmp_path, scanned):
    """A scan that died between the catalog commit and the index commit leaves indexed = 0:
    the next scan of anything indexes those papers."""
    set_all_unindexed(archive.root)
    shutil.rmtree(archive.root / "index")
    for query in QUERIES:
        assert_found_nothing_or_failed_cleanly(archive, query)

    if scanned == "new paper":
        (row,) = archive.jsonl("scan", pristine["spare"])
        assert row["status"] == "new"
    elif scanned == "already archived paper":
        (row,) = archive.jsonl("scan", pristine["sources"][0])
        assert row["status"] == "skipped"
    else:
        (tmp_path / "empty.png").write_bytes(b"")
        archive("scan", tmp_path / "empty.png", expect=3)

    found = archive.results(["nguyen", "van", "an"])
    assert sorted(h["id"] for h in found) == sorted(pristine["ids"][:2])
    (hit,) = archive.results([CODE])
    assert (hit["id"], hit["record_code"]) == (pristine["ids"][2], CODE)
    assert "**Đặng**" in archive.results(["dang"])[0]["snippet"]
    if scanned != "new paper":  # nothing else changed: exactly what the user saw before
        for query in QUERIES:
            same_results(archive.results(query), pristine["baseline"][tuple(query)])


def test_healing_an_index_that_still_has_the_papers_does_not_duplicate_them(pristine, archive):
    set_all_unindexed(archive.root)

    (row,) = archive.jsonl("scan", pristine["sources"][1])
    assert row["status"] == "skipped"

    for query in QUERIES:
        same_results(archive.results(query), pristine["baseline"][tuple(query)], scores=False)


def test_damaged_index_fails_cleanly_and_reindex_repairs_it(pristine, archive):
    for toc in (archive.root / "index").glob("_MAIN_*.toc"):
        toc.write_bytes(b"not a table of contents")

    broken = archive("search", "nguyen", expect=7)
    (line,) = broken.stderr.splitlines()
    assert line.startswith("sohoa: the search index in ") and "rebuild" in line

    assert archive("reindex").stdout == f"reindexed 3 papers in {archive.root / 'index'}\n"
    for query in QUERIES:
        same_results(archive.results(query), pristine["baseline"][tuple(query)])


def test_index_path_taken_by_a_file_fails_cleanly(archive):
    """An `index` that is a plain file (a stray copy, a sync conflict) must not end in a traceback."""
    shutil.rmtree(archive.root / "index")
    (archive.root / "index").write_text("")

    for command in (["search", "nguyen"], ["reindex"]):
        result = archive(*command, expect=None)
        assert result.exit_code != 0 and result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("sohoa: ") and "index" in line


def test_reindex_switches_to_postgres_and_back(pristine, archive, postgres_url):
    """`sohoa reindex --engine postgres --search-url URL` moves the index into the database: the same
    papers, snippets and fields for every query (ranked by PostgreSQL's own scores); back to Whoosh,
    exactly what the user saw before, and the database's tables are gone."""
    import psycopg

    def tables():
        with psycopg.connect(postgres_url) as db:
            return db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]

    out = archive("reindex", "--engine", "postgres", "--search-url", postgres_url).stdout
    assert out == f"reindexed 3 papers in {archive.root / 'index'} (search engine: postgres)\n"
    assert (archive.root / "index.engine").read_text() == "postgres\n" and tables() == 2
    for query in QUERIES:
        got, expected = archive.results(query), pristine["baseline"][tuple(query)]
        strip = lambda hits: sorted(({k: v for k, v in h.items() if k != "score"} for h in hits), key=lambda h: h["id"])
        assert strip(got) == strip(expected)
    assert [h["id"] for h in archive.results(["Nguyễn", "Văn", "Ân"])][0] == pristine["ids"][1]  # exact first

    archive("reindex", "--engine", "whoosh")  # the recorded server is where the old tables are dropped
    assert tables() == 0
    for query in QUERIES:
        same_results(archive.results(query), pristine["baseline"][tuple(query)])


def test_postgres_without_a_server_or_with_an_unreachable_one_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("SOHOA_SEARCH_URL", raising=False)
    cli = ArchiveCli(tmp_path / "archive")
    for extra, says in (((), "no server is named: give --search-url URL"),
                        (("--search-url", "postgresql://sohoa:s3cret@127.0.0.1:1/nothing"), "cannot reach the search database")):
        result = cli("init", "--engine", "postgres", *extra, expect=2)
        (line,) = result.stderr.splitlines()
        assert line.startswith("sohoa: ") and says in line and "s3cret" not in line and result.stdout == ""
