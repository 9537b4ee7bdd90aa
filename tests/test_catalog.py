"""`digitize.catalog`: the SQLite source of truth; schema versions, records, papers, links, transactions."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from digitize.catalog import SCHEMA_VERSION, Catalog, NewPaper, PageInfo, Record
from digitize.errors import ArchiveError, ArchiveLocked, DiskFull

V1_FIXTURE = Path(__file__).parent / "fixtures" / "archive-v1" / "catalog.sqlite"

AN = Record(
    record_code="000.00.53.H48-260105-0001", procedure_code="1.001193", procedure_name="Đăng ký khai sinh",
    agency="UBND phường Bến Nghé", channel=1, received_date="2026-01-05", due_date="2026-01-08",
    applicant_name="Nguyễn Văn An", applicant_id="079203001234", requires_paper_result=True,
    components=["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"],
)
HUONG = Record(
    record_code="000.00.53.H48-260106-0002", procedure_code="1.001193", procedure_name="Đăng ký khai sinh",
    agency="UBND phường Bến Nghé", channel=2, received_date="2026-01-06", due_date=None,
    applicant_name="Đặng Thị Hương", applicant_id="079303004567", requires_paper_result=True,
    components=["Tờ khai đăng ký khai sinh"],
)
ANH = Record(
    record_code="000.00.12.H48-260210-0001", procedure_code="1.004227",
    procedure_name="Cấp phiếu lý lịch tư pháp", agency="Sở Tư pháp", channel=1, received_date="2026-02-10",
    due_date="2026-02-20", applicant_name="Trần Thị Ngọc Ánh", applicant_id="001185009876",
    requires_paper_result=False, components=["Tờ khai yêu cầu cấp phiếu lý lịch tư pháp"],
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def paper(sha: str = "a" * 64, text: str = "Đặng Thị Hương", page_count: int = 2, **changes) -> NewPaper:
    page_infos = [PageInfo(width=2480, height=1772, dpi=300, mode="L", confidence=90.0 + n, text_source="ocr",
                           language="vie") for n in range(page_count)]
    fields = dict(sha256=sha, source_name="giay-chung-sinh.png", source_path="/scans/giay-chung-sinh.png",
                  pdf_path=f"papers/2026/{sha[:8]}.pdf", text=text, pages=page_infos, ocr_languages="vie",
                  scanned_by="clerk1")
    fields.update(changes)
    return NewPaper(**fields)


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    yield cat
    cat.close()


@pytest.fixture
def filled(catalog):
    catalog.upsert_records([AN, HUONG, ANH])
    return catalog


def count(cat: Catalog, table: str) -> int:
    return cat.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- schema --------------------------------------------------------------------------------
def test_new_catalog_is_migrated_to_the_current_version(tmp_path):
    path = tmp_path / "catalog.sqlite"
    cat = Catalog(path)
    cat.close()

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"records", "components", "papers", "pages", "attachments"} <= tables


def test_reopening_is_a_no_op(tmp_path):
    path = tmp_path / "catalog.sqlite"
    first = Catalog(path)
    first.upsert_records([AN])
    pid = first.add_paper(paper())
    schema = first.db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    first.close()

    again = Catalog(path)

    assert again.schema_version == SCHEMA_VERSION
    assert again.db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == schema
    assert again.get_record(AN.record_code) == AN
    assert again.get_paper(pid)["text"] == "Đặng Thị Hương"
    again.close()


@pytest.mark.skipif(not V1_FIXTURE.exists(), reason="no v1 archive fixture")
def test_v1_catalog_is_migrated_keeping_its_data(tmp_path):
    path = tmp_path / "catalog.sqlite"
    shutil.copyfile(V1_FIXTURE, path)  # never open the fixture itself: WAL would write beside it
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = ("records", "components", "papers", "pages", "attachments")
        # Later versions add columns: compare the v1 ones.
        v1_columns = {t: ", ".join(c[1] for c in db.execute(f"PRAGMA table_info({t})")) for t in tables}
        before = {t: db.execute(f"SELECT {v1_columns[t]} FROM {t} ORDER BY 1, 2").fetchall() for t in tables}

    cat = Catalog(path)

    assert cat.schema_version == SCHEMA_VERSION
    for table, rows in before.items():
        assert [tuple(r) for r in cat.db.execute(f"SELECT {v1_columns[table]} FROM {table} ORDER BY 1, 2")] == rows, table
    assert rows and before["records"]  # the fixture is not empty: the comparison means something
    cat.close()
    again = Catalog(path)
    assert again.schema_version == SCHEMA_VERSION
    again.close()


def test_newer_catalog_is_refused(tmp_path):
    path = tmp_path / "catalog.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.execute("CREATE TABLE future (x)")

    with pytest.raises(ArchiveError, match="upgrade Sohoa") as info:
        Catalog(path)
    assert info.value.exit_code == 7
    assert f"version {SCHEMA_VERSION + 1}" in str(info.value)

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["future"]


def test_damaged_catalog_is_an_archive_error(tmp_path):
    # errors.ArchiveError is "the archive itself is unusable: ... damaged catalog"; anything else is a
    # bug with a traceback at the CLI.
    path = tmp_path / "catalog.sqlite"
    path.write_bytes(b"not a database, a text file someone saved over it\n" * 100)
    with pytest.raises(ArchiveError):
        Catalog(path)


# -- records -------------------------------------------------------------------------------
def test_upsert_counts_new_and_updated(catalog):
    assert catalog.upsert_records([AN, HUONG]) == (2, 0)
    assert catalog.upsert_records([replace(AN, due_date="2026-01-09"), ANH]) == (1, 1)
    assert catalog.upsert_records([]) == (0, 0)

    assert catalog.record_codes() == sorted([AN.record_code, HUONG.record_code, ANH.record_code])
    assert catalog.get_record(AN.record_code).due_date == "2026-01-09"
    assert catalog.get_record(HUONG.record_code) == HUONG
    assert catalog.get_record("000.00.53.H48-260105-9999") is None


def test_component_list_is_replaced_in_the_new_order(catalog):
    catalog.upsert_records([replace(AN, components=["Tờ khai", "Giấy chứng sinh", "Giấy ủy quyền"])])

    catalog.upsert_records([replace(AN, components=["Giấy ủy quyền", "Tờ khai", "Bản sao CCCD"])])

    assert catalog.component_names(AN.record_code) == ["Giấy ủy quyền", "Tờ khai", "Bản sao CCCD"]
    assert count(catalog, "components") == 3  # "Giấy chứng sinh" gone, nothing duplicated

    catalog.upsert_records([replace(AN, components=[])])
    assert catalog.component_names(AN.record_code) == []


def test_upsert_keeps_other_records_components(catalog):
    catalog.upsert_records([AN, HUONG])
    catalog.upsert_records([replace(AN, components=["Giấy chứng sinh"])])
    assert catalog.component_names(HUONG.record_code) == HUONG.components


def test_decomposed_input_is_stored_nfc(catalog):
    decomposed = replace(HUONG, procedure_name=nfd(HUONG.procedure_name), agency=nfd(HUONG.agency),
                         applicant_name=nfd(HUONG.applicant_name), components=[nfd(c) for c in HUONG.components])
    assert decomposed.applicant_name != HUONG.applicant_name

    assert catalog.upsert_records([decomposed]) == (1, 0)

    row = catalog.db.execute("SELECT procedure_name, agency, applicant_name FROM records").fetchone()
    assert tuple(row) == (HUONG.procedure_name, HUONG.agency, HUONG.applicant_name)
    assert catalog.component_names(HUONG.record_code) == HUONG.components
    # The same names in NFD update the NFC rows instead of adding look-alikes.
    catalog.upsert_records([decomposed])
    assert count(catalog, "components") == 1
    assert catalog.db.execute("SELECT count(*) FROM records WHERE applicant_name = ?",
                              ("Đặng Thị Hương",)).fetchone()[0] == 1


def test_upsert_is_all_or_nothing(catalog):
    broken = replace(ANH, received_date=None)  # NOT NULL
    with pytest.raises(sqlite3.IntegrityError):
        catalog.upsert_records([AN, HUONG, broken])
    assert count(catalog, "records") == 0 and count(catalog, "components") == 0


# -- papers and links ----------------------------------------------------------------------
def test_add_paper_with_link_attaches_it(filled):
    link = {"record_code": HUONG.record_code, "component": nfd("Tờ khai đăng ký khai sinh"), "is_result": False}

    pid = filled.add_paper(paper(source_name=nfd("tờ khai.png")), link=link)

    got = filled.get_paper(pid)
    assert got["sha256"] == "a" * 64 and got["page_count"] == 2
    assert got["source_name"] == "tờ khai.png"
    assert got["mean_confidence"] == 90.5
    assert got["indexed"] == 0
    assert [p["page_no"] for p in got["pages"]] == [1, 2]
    assert got["pages"][0] == {"page_no": 1, "width": 2480, "height": 1772, "dpi": 300, "mode": "L",
                               "confidence": 90.0, "text_source": "ocr", "language": "vie",
                               "rotation": 0, "skew": 0.0, "rescan": []}
    (attachment,) = got["attachments"]
    assert (attachment["record_code"], attachment["component"], attachment["is_result"], attachment["reused"],
            attachment["attached_by"]) == (HUONG.record_code, "Tờ khai đăng ký khai sinh", 0, 0, "clerk1")
    assert filled.paper_id_by_sha("a" * 64) == pid


def test_failing_link_rolls_back_the_paper(filled):
    link = {"record_code": "000.00.53.H48-260105-9999", "component": None, "is_result": True}

    with pytest.raises(sqlite3.IntegrityError):  # foreign key: no such record
        filled.add_paper(paper(), link=link)

    assert filled.paper_id_by_sha("a" * 64) is None
    assert (count(filled, "papers"), count(filled, "pages"), count(filled, "attachments")) == (0, 0, 0)
    # Nothing half-written blocks the retry.
    pid = filled.add_paper(paper(), link={**link, "record_code": HUONG.record_code})
    assert filled.get_paper(pid)["attachments"][0]["is_result"] == 1


def test_duplicate_sha_is_refused_and_leaves_the_first(filled):
    first = filled.add_paper(paper(text="first"))
    with pytest.raises(sqlite3.IntegrityError):
        filled.add_paper(paper(text="second"))
    assert count(filled, "papers") == 1 and count(filled, "pages") == 2
    assert filled.get_paper(first)["text"] == "first"


def test_attach_reports_duplicates(filled):
    pid = filled.add_paper(paper())

    assert filled.attach(pid, HUONG.record_code, "Tờ khai đăng ký khai sinh", False, user="clerk2") is True
    assert filled.attach(pid, HUONG.record_code, nfd("Tờ khai đăng ký khai sinh"), False, user="clerk3") is False
    assert filled.attach(pid, HUONG.record_code, None, True, user="clerk2") is True  # as the result too
    assert filled.attach(pid, HUONG.record_code, "", True, user="clerk2") is False  # None and "" are the same
    assert filled.attach(pid, AN.record_code, "Giấy chứng sinh", False, user="clerk2", reused=True) is True

    attachments = filled.get_paper(pid)["attachments"]
    assert len(attachments) == 3
    assert {a["attached_by"] for a in attachments} == {"clerk2"}  # the duplicate changed nothing
    assert sorted((a["record_code"], a["reused"]) for a in attachments) == sorted(
        [(HUONG.record_code, 0), (HUONG.record_code, 0), (AN.record_code, 1)])


def test_attach_to_unknown_paper_is_refused(filled):
    with pytest.raises(sqlite3.IntegrityError):
        filled.attach(12345, HUONG.record_code, None, True, user="clerk1")


def test_get_unknown_paper_is_none(catalog):
    assert catalog.get_paper(1) is None


def test_paper_without_confidences_has_none(catalog):
    pages = [PageInfo(595, 842, 0, "vector", None, "text-layer")]
    pid = catalog.add_paper(paper(pages=pages))
    got = catalog.get_paper(pid)
    assert got["mean_confidence"] is None and got["page_count"] == 1
    assert got["pages"][0]["text_source"] == "text-layer" and got["pages"][0]["language"] == ""


# -- index feed ----------------------------------------------------------------------------
def test_index_documents_and_mark_indexed(filled):
    loose = filled.add_paper(paper("1" * 64, text="giấy rời"))
    form = filled.add_paper(paper("2" * 64, text="tờ khai"),
                            link={"record_code": HUONG.record_code, "component": "Tờ khai đăng ký khai sinh",
                                  "is_result": False})
    result = filled.add_paper(paper("3" * 64, text="giấy khai sinh"),
                              link={"record_code": AN.record_code, "component": None, "is_result": True})

    docs = {d["id"]: d for d in filled.index_documents()}

    assert list(docs) == [loose, form, result]
    assert docs[loose]["record_code"] is None and docs[loose]["applicant_name"] is None
    assert (docs[form]["record_code"], docs[form]["component"], docs[form]["applicant_name"],
            docs[form]["applicant_id"], docs[form]["agency"]) == (
        HUONG.record_code, "Tờ khai đăng ký khai sinh", "Đặng Thị Hương", "079303004567", "UBND phường Bến Nghé")
    assert docs[result]["component"] == "kết quả" and docs[result]["procedure_name"] == "Đăng ký khai sinh"
    assert docs[form]["text"] == "tờ khai" and docs[form]["pdf_path"] == "papers/2026/22222222.pdf"

    filled.mark_indexed([loose, result])
    assert [d["id"] for d in filled.index_documents(only_unindexed=True)] == [form]
    assert [d["id"] for d in filled.index_documents()] == [loose, form, result]  # all, when asked

    filled.mark_indexed([result], indexed=False)
    assert [d["id"] for d in filled.index_documents(only_unindexed=True)] == [form, result]

    filled.mark_all_unindexed()
    assert len(list(filled.index_documents(only_unindexed=True))) == 3


def test_paper_attached_twice_is_indexed_once_under_its_first_link(filled):
    pid = filled.add_paper(paper(), link={"record_code": HUONG.record_code,
                                          "component": "Tờ khai đăng ký khai sinh", "is_result": False})
    filled.attach(pid, AN.record_code, "Tờ khai đăng ký khai sinh", False, user="clerk1", reused=True)

    (doc,) = filled.index_documents()
    assert doc["record_code"] == HUONG.record_code


# -- transactions --------------------------------------------------------------------------
def test_transaction_rolls_back_on_exception(filled):
    with pytest.raises(RuntimeError, match="power cut"):
        with filled.transaction() as db:
            db.execute("DELETE FROM components")
            db.execute("UPDATE records SET applicant_name = 'x'")
            raise RuntimeError("power cut")

    assert count(filled, "components") == 4
    assert filled.get_record(HUONG.record_code) == HUONG
    assert not filled.db.in_transaction


def test_transaction_commits_and_is_seen_by_another_connection(filled, tmp_path):
    with filled.transaction() as db:
        db.execute("DELETE FROM components WHERE record_code = ?", (ANH.record_code,))

    with sqlite3.connect(Path(filled.path)) as other:
        assert other.execute("SELECT count(*) FROM components").fetchone()[0] == 3


def _hold_exclusive_lock(path, seconds: float) -> threading.Thread:
    """Another connection holds the catalog exclusively, as a process creating it does."""
    locked = threading.Event()

    def hold():
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        db.execute("COMMIT")
        db.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait()
    return thread


def test_a_busy_new_catalog_is_waited_for_not_called_damaged(tmp_path):
    path = tmp_path / "catalog.sqlite"
    holder = _hold_exclusive_lock(path, 0.5)
    catalog = Catalog(path, wait=10)
    holder.join()
    assert catalog.schema_version == SCHEMA_VERSION
    catalog.close()


def test_a_catalog_busy_past_the_wait_is_archive_locked(tmp_path):
    path = tmp_path / "catalog.sqlite"
    holder = _hold_exclusive_lock(path, 1.5)
    with pytest.raises(ArchiveLocked, match="busy in another process"):
        Catalog(path, wait=0.3)
    holder.join()


def test_a_full_catalog_says_disk_full_and_keeps_nothing_of_the_write(filled):
    # SQLite's own limit on the file's pages gives the error a full disk gives (SQLITE_FULL).
    pages = filled.db.execute("PRAGMA page_count").fetchone()[0]
    filled.db.execute(f"PRAGMA max_page_count = {pages}")
    many = [replace(AN, record_code=f"000.00.53.H48-260105-{n:04d}", procedure_name="x" * 2000) for n in range(2, 60)]
    with pytest.raises(DiskFull, match=r"^the disk is full \(database or disk is full\); free space"):
        filled.upsert_records(many)
    assert not filled.db.in_transaction and count(filled, "records") == 3


def test_a_write_the_other_process_blocks_past_the_wait_is_archive_locked(tmp_path):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path, wait=0.2)  # opened before the lock is taken: only the write waits
    holder = _hold_exclusive_lock(path, 1.5)
    with pytest.raises(ArchiveLocked, match=r"^the catalog is busy in another process \(database is locked\)"):
        catalog.mark_all_unindexed()  # one statement, outside any transaction of ours
    holder.join()
    catalog.close()
