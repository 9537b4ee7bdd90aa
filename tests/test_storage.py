"""The storage interface (digitize/storage/), tested through its stores alone: no SQL here, so every
backend runs the same tests. A backend adds its name to BACKENDS and says in `open_catalog` how to
open a fresh catalog of its kind."""

from __future__ import annotations

import shutil
import sqlite3
import unicodedata
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from digitize.catalog import METADATA_FIELDS, SCHEMA_VERSION, Catalog, NewPaper, PageInfo, Record, RegisterResult

BACKENDS = ["sqlite", "postgres"]
V1_FIXTURE = Path(__file__).parent / "fixtures" / "archive-v1" / "catalog.sqlite"

WARD, JUSTICE = "UBND phường Bến Nghé", "Sở Tư pháp"
BIRTH = ("1.001193", "Đăng ký khai sinh")
RECORD_CHECK = ("1.004227", "Cấp phiếu lý lịch tư pháp")


def open_catalog(backend: str, place: Path, url: str | None = None) -> Catalog:
    """The catalog of `backend` kept at `place` (PostgreSQL: in the database `url`): new the first
    time, the same one again after."""
    if backend == "sqlite":
        return Catalog(place / "catalog.sqlite")
    if backend == "postgres":
        return Catalog(place / "catalog.sqlite", url=url)
    raise ValueError(f"no such backend {backend!r}")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def url(backend, request) -> str | None:
    """The backend's database for one test (a fresh PostgreSQL database; None for SQLite's file)."""
    return request.getfixturevalue("postgres_url") if backend == "postgres" else None


@pytest.fixture
def catalog(backend, tmp_path, url):
    cat = open_catalog(backend, tmp_path, url)
    yield cat
    cat.close()


def record(code: str, received: str = "2026-01-05", agency: str = WARD, procedure=BIRTH,
           components=("Tờ khai", "Giấy chứng sinh"), applicant: str = "Nguyễn Văn An",
           applicant_id: str | None = "079203001234", requires_result: bool = True, **more) -> Record:
    return Record(record_code=code, procedure_code=procedure[0], procedure_name=procedure[1], agency=agency,
                  channel=1, received_date=received, due_date=more.pop("due_date", None), applicant_name=applicant,
                  applicant_id=applicant_id, requires_paper_result=requires_result, components=list(components),
                  **more)


AN = record("000.00.53.H48-260105-0001")
BINH = record("000.00.53.H48-260106-0002", received="2026-01-06", applicant="Trần Thị Bình",
              applicant_id="079303004567", components=["Tờ khai"])
CHI = record("000.00.12.H48-260210-0001", received="2026-02-10", agency=JUSTICE, procedure=RECORD_CHECK,
             applicant="Lê Văn Chí", applicant_id=None, components=["Tờ khai"], requires_result=False)


def new_paper(n: int, text: str = "Họ và tên: Nguyễn Văn An", pages: int = 1, rescan: str = "") -> NewPaper:
    sha = f"{n:064x}"
    return NewPaper(sha256=sha, source_name=f"scan-{n}.pdf", source_path=f"/scans/scan-{n}.pdf",
                    pdf_path=f"papers/{sha[:2]}/{sha}.pdf", text=text, ocr_languages="vie", scanned_by="clerk1",
                    pages=[PageInfo(2480, 3508, 300, "L", 90.0 + p, "ocr", "vie", rotation=90 * p, skew=0.5,
                                    rescan=rescan if p == 0 else "") for p in range(pages)],
                    pdf_sha256="f" * 64)


@pytest.fixture
def registered(catalog):
    catalog.records.upsert([AN, BINH, CHI])
    return catalog


def stale(catalog) -> set[int]:
    return {f["id"] for f in catalog.papers.files() if not f["indexed"]}


# -- schema: version, transactions, consistency, snapshots -------------------------------------------
def test_a_new_catalog_is_at_the_current_version_and_consistent(catalog):
    assert catalog.database.version == catalog.schema_version == SCHEMA_VERSION
    assert catalog.database.quick_check() == ["ok"]


def test_reopening_keeps_everything(backend, tmp_path, url):
    first = open_catalog(backend, tmp_path, url)
    first.records.upsert([AN])
    pid = first.papers.add(new_paper(1))
    first.close()

    again = open_catalog(backend, tmp_path, url)
    assert again.database.version == SCHEMA_VERSION
    assert again.records.get(AN.record_code) == AN
    assert again.papers.get(pid)["text"] == "Họ và tên: Nguyễn Văn An"
    again.close()


def test_a_transaction_is_all_or_nothing(registered):
    with pytest.raises(RuntimeError, match="power cut"):
        with registered.transaction():
            pid = registered.papers.add(new_paper(1), link={"record_code": AN.record_code, "component": "Tờ khai",
                                                            "is_result": False})
            registered.metadata.correct(pid, [("holder_name", None, "Nguyễn Văn An")], "clerk1")
            registered.audit.append("clerk1", "scan", pid, AN.record_code, [], "")
            raise RuntimeError("power cut")

    assert registered.papers.id_by_sha(new_paper(1).sha256) is None
    assert registered.papers.attached_to(AN.record_code) == []
    assert registered.audit.events() == []


def test_a_failing_nested_transaction_undoes_only_itself(registered):
    integrity_error = registered.database.integrity_error
    with registered.transaction():
        kept = registered.papers.add(new_paper(1))
        with pytest.raises(integrity_error):  # the same original again
            with registered.transaction():
                registered.papers.add(new_paper(2))
                registered.papers.add(new_paper(1))
        registered.audit.append("clerk1", "scan", kept, None, [], "")

    assert registered.papers.exists(kept)
    assert registered.papers.id_by_sha(new_paper(2).sha256) is None
    assert [e["paper_id"] for e in registered.audit.events()] == [kept]


def test_snapshot_is_a_copy_with_its_papers(registered, tmp_path):
    first = registered.papers.add(new_paper(1))
    second = registered.papers.add(replace(new_paper(2), pdf_sha256=None))

    version, papers = registered.database.snapshot(tmp_path / "snapshot")

    assert version == SCHEMA_VERSION
    assert papers == [(first, new_paper(1).pdf_path, "f" * 64), (second, new_paper(2).pdf_path, None)]
    assert (tmp_path / "snapshot").stat().st_size > 0
    third = registered.papers.add(new_paper(3))
    assert [p[0] for p in registered.database.snapshot(tmp_path / "later")[1]] == [first, second, third]


@pytest.mark.skipif(not V1_FIXTURE.exists(), reason="no v1 archive fixture")
def test_a_version_1_sqlite_catalog_reads_through_every_store(tmp_path):
    shutil.copyfile(V1_FIXTURE, tmp_path / "catalog.sqlite")  # never the fixture itself: WAL writes beside it
    with sqlite3.connect(V1_FIXTURE.as_uri() + "?mode=ro", uri=True) as v1:
        codes = sorted(r[0] for r in v1.execute("SELECT record_code FROM records"))
        (paper_id, code, component), = v1.execute("SELECT paper_id, record_code, component FROM attachments")

    catalog = open_catalog("sqlite", tmp_path)
    assert catalog.database.version == SCHEMA_VERSION and catalog.database.quick_check() == ["ok"]
    assert catalog.records.codes() == codes
    assert catalog.papers.records_of(paper_id) == [{"record_code": code, "component": component,
                                                    "is_result": 0, "reused": 0}]
    assert set(catalog.metadata.values(paper_id)) == {"paper_id", *METADATA_FIELDS, "replaced_by"}
    assert catalog.coverage.totals("strict", None, None)[0] == len(codes)
    assert component in catalog.records.component_names(code)
    catalog.close()


# -- records -------------------------------------------------------------------------------------------
def test_records_upsert_counts_and_reads_back(catalog):
    assert catalog.records.upsert([AN, BINH]) == (2, 0)
    assert catalog.records.upsert([replace(AN, due_date="2026-01-09"), CHI]) == (1, 1)
    assert catalog.records.upsert([]) == (0, 0)

    assert catalog.records.codes() == sorted([AN.record_code, BINH.record_code, CHI.record_code])
    assert catalog.records.get(AN.record_code) == replace(AN, due_date="2026-01-09")
    assert catalog.records.get(BINH.record_code) == BINH
    assert catalog.records.get("000.00.53.H48-260105-9999") is None
    assert sorted(catalog.records.agencies()) == [JUSTICE, WARD]
    assert sorted(catalog.records.procedure_codes()) == [BIRTH[0], RECORD_CHECK[0]]
    assert catalog.records.has_procedure(BIRTH[0]) and catalog.records.has_procedure(RECORD_CHECK[1])
    assert not catalog.records.has_procedure("Đăng ký")  # exact names only


def test_records_are_stored_nfc_and_their_component_list_replaced(catalog):
    nfd = unicodedata.normalize("NFD", "Giấy ủy quyền")
    catalog.records.upsert([replace(AN, applicant_name=unicodedata.normalize("NFD", AN.applicant_name),
                                    components=["Tờ khai", "Giấy chứng sinh", nfd])])
    assert catalog.records.get(AN.record_code).applicant_name == AN.applicant_name

    catalog.records.upsert([replace(AN, components=["Giấy ủy quyền", "Tờ khai", "Bản sao CCCD"])])

    assert catalog.records.component_names(AN.record_code) == ["Giấy ủy quyền", "Tờ khai", "Bản sao CCCD"]


def test_records_upsert_is_all_or_nothing(catalog):
    with pytest.raises(catalog.database.integrity_error):
        catalog.records.upsert([AN, replace(BINH, received_date=None)])
    assert catalog.records.codes() == []


def test_statuses_and_results_are_kept_unless_the_register_says(catalog):
    given = replace(AN, statuses={"Tờ khai": "đã nộp"}, results=[RegisterResult("Giấy khai sinh", True, "2026-01-08"),
                                                                   RegisterResult("Trích lục", False)])
    catalog.records.upsert([given])
    catalog.records.upsert([AN])  # a CSV register says neither

    assert catalog.records.components(AN.record_code) == [{"name": "Tờ khai", "status": "đã nộp"},
                                                          {"name": "Giấy chứng sinh", "status": ""}]
    assert catalog.records.results(AN.record_code) == [
        {"name": "Giấy khai sinh", "paper": 1, "issued_date": "2026-01-08"},
        {"name": "Trích lục", "paper": 0, "issued_date": None}]
    catalog.records.upsert([replace(AN, statuses={}, results=[])])
    assert [c["status"] for c in catalog.records.components(AN.record_code)] == ["", ""]
    assert catalog.records.results(AN.record_code) == []


def test_describe_says_how_far_a_record_is_digitized(registered):
    pending = registered.records.describe(AN.record_code)
    assert {k: pending[k] for k in ("record_code", "agency", "applicant_id", "resolved_date")} == {
        "record_code": AN.record_code, "agency": WARD, "applicant_id": "079203001234", "resolved_date": None}
    assert (pending["digitized"], pending["digitized_lenient"], pending["result_due"], pending["reused"]) == (0, 0, 1, 0)

    for n, component in enumerate(AN.components, 1):
        registered.papers.attach(registered.papers.add(new_paper(n)), AN.record_code, component, False, "clerk1")
    components_only = registered.records.describe(AN.record_code)
    assert (components_only["digitized"], components_only["digitized_lenient"]) == (0, 1)  # the result is due

    registered.papers.attach(registered.papers.add(new_paper(99)), AN.record_code, None, True, "clerk1")
    assert registered.records.describe(AN.record_code)["digitized"] == 1
    assert registered.records.describe("000.00.53.H48-260105-9999") is None


# -- papers --------------------------------------------------------------------------------------------
def test_a_paper_reads_back_with_its_pages_and_links(registered):
    link = {"record_code": BINH.record_code, "component": unicodedata.normalize("NFD", "Tờ khai"), "is_result": False}
    pid = registered.papers.add(new_paper(1, pages=2, rescan="too dark; 150 dpi"), link=link)

    got = registered.papers.get(pid)
    assert (got["sha256"], got["page_count"], got["mean_confidence"], got["indexed"]) == (new_paper(1).sha256, 2, 90.5, 0)
    assert got["pages"] == [
        {"page_no": 1, "width": 2480, "height": 3508, "dpi": 300, "mode": "L", "confidence": 90.0,
         "text_source": "ocr", "language": "vie", "rotation": 0, "skew": 0.5, "rescan": ["too dark", "150 dpi"]},
        {"page_no": 2, "width": 2480, "height": 3508, "dpi": 300, "mode": "L", "confidence": 91.0,
         "text_source": "ocr", "language": "vie", "rotation": 90, "skew": 0.5, "rescan": []}]
    (attachment,) = got["attachments"]
    assert (attachment["record_code"], attachment["component"], attachment["is_result"], attachment["reused"],
            attachment["attached_by"]) == (BINH.record_code, "Tờ khai", 0, 0, "clerk1")
    assert registered.papers.id_by_sha(new_paper(1).sha256) == pid and registered.papers.exists(pid)
    assert registered.papers.get(pid + 1) is None and not registered.papers.exists(pid + 1)


def test_a_paper_is_refused_whole(registered):
    integrity_error = registered.database.integrity_error
    with pytest.raises(integrity_error):  # no such record
        registered.papers.add(new_paper(1), link={"record_code": "000.00.53.H48-260105-9999", "component": None,
                                                  "is_result": True})
    assert registered.papers.id_by_sha(new_paper(1).sha256) is None and registered.papers.files() == []

    first = registered.papers.add(new_paper(1, text="first"))
    with pytest.raises(integrity_error):  # the same original twice
        registered.papers.add(new_paper(1, text="second"))
    assert [f["id"] for f in registered.papers.files()] == [first]
    with pytest.raises(integrity_error):
        registered.papers.attach(first + 1, AN.record_code, None, True, "clerk1")


def test_links_and_the_records_a_paper_serves(registered):
    pid = registered.papers.add(new_paper(1), link={"record_code": BINH.record_code, "component": "Tờ khai",
                                                    "is_result": False})

    assert registered.papers.attach(pid, BINH.record_code, "Tờ khai", False, "clerk2") is False
    assert registered.papers.attach(pid, BINH.record_code, None, True, "clerk2") is True
    assert registered.papers.attach(pid, BINH.record_code, "", True, "clerk2") is False  # None and "" alike
    assert registered.papers.attach(pid, AN.record_code, "Tờ khai", False, "clerk2", reused=True) is True

    assert registered.papers.records_of(pid) == [
        {"record_code": BINH.record_code, "component": "Tờ khai", "is_result": 0, "reused": 0},
        {"record_code": BINH.record_code, "component": "", "is_result": 1, "reused": 0},
        {"record_code": AN.record_code, "component": "Tờ khai", "is_result": 0, "reused": 1}]
    assert registered.papers.first_record(pid) == BINH.record_code
    assert registered.papers.first_record(pid + 1) is None
    assert sorted((a["id"], a["component"], a["is_result"], a["source_name"], a["page_count"], a["attached_by"])
                  for a in registered.papers.attached_to(BINH.record_code)) == [
        (pid, "", 1, "scan-1.pdf", 1, "clerk2"), (pid, "Tờ khai", 0, "scan-1.pdf", 1, "clerk1")]
    assert registered.papers.reused_as(pid, AN.record_code, "Tờ khai") == 1
    assert registered.papers.reused_as(pid, BINH.record_code, "Tờ khai") == 0
    assert registered.papers.reused_as(pid, AN.record_code, "Giấy chứng sinh") is None


def test_index_documents_and_index_state(registered):
    loose = registered.papers.add(new_paper(1, text="giấy rời"))
    form = registered.papers.add(new_paper(2, text="tờ khai"), link={"record_code": BINH.record_code,
                                                                     "component": "Tờ khai", "is_result": False})
    result = registered.papers.add(new_paper(3), link={"record_code": AN.record_code, "component": None,
                                                       "is_result": True})
    registered.papers.attach(form, AN.record_code, "Tờ khai", False, "clerk1", reused=True)
    registered.metadata.store_extracted(form, [("holder_id", "079303004567", 0.9, "CCCD: 079303004567", None)])

    docs = {d["id"]: d for d in registered.papers.index_documents()}
    assert list(docs) == [loose, form, result]
    assert docs[loose]["record_code"] is None and docs[loose]["text"] == "giấy rời"
    assert (docs[form]["record_code"], docs[form]["component"], docs[form]["applicant_name"], docs[form]["agency"],
            docs[form]["holder_id"], docs[form]["procedure_code"]) == (
        BINH.record_code, "Tờ khai", "Trần Thị Bình", WARD, "079303004567", BIRTH[0])
    assert (docs[form]["linked_records"], docs[form]["linked_applicants"], docs[form]["linked_applicant_ids"]) == (
        AN.record_code, "Nguyễn Văn An", "079203001234")
    assert docs[result]["component"] == "kết quả"

    registered.papers.mark_indexed([loose, result])
    assert [d["id"] for d in registered.papers.index_documents(only_unindexed=True)] == [form]
    registered.papers.mark_indexed([result], indexed=False)
    assert stale(registered) == {form, result}
    registered.papers.mark_indexed([form, result])
    registered.papers.mark_stale([loose])
    assert stale(registered) == {loose}
    registered.papers.mark_stale()
    assert stale(registered) == {loose, form, result}


def test_every_change_the_index_holds_marks_the_paper_stale(registered):
    a, b, c, d = (registered.papers.add(new_paper(n)) for n in range(1, 5))
    registered.papers.mark_indexed([a, b, c, d])

    registered.papers.attach(a, AN.record_code, "Tờ khai", False, "clerk1")
    assert stale(registered) == {a}
    registered.metadata.correct(b, [("holder_name", None, "Trần Thị Bình")], "clerk1")
    assert stale(registered) == {a, b}
    registered.metadata.store_extracted(c, [])
    assert stale(registered) == {a, b, c}
    registered.reuse.replace(d, a, "clerk1")
    assert stale(registered) == {a, b, c, d}

    registered.papers.mark_indexed([a, b, c, d])
    registered.records.upsert([replace(AN, applicant_name="Nguyễn Văn Ân")])  # a corrected register
    assert stale(registered) == {a}
    registered.papers.mark_indexed([a])
    registered.records.upsert([replace(AN, applicant_name="Nguyễn Văn Ân", due_date="2026-02-01")])
    assert stale(registered) == set()  # the index holds no due date


def test_files_and_their_checksums(registered):
    old = registered.papers.add(replace(new_paper(1), pdf_sha256=None))
    new = registered.papers.add(new_paper(2))

    registered.papers.record_pdf_sha256(old, "a" * 64)
    registered.papers.record_pdf_sha256(new, "b" * 64)  # one recorded already stays

    assert registered.papers.files() == [
        {"id": old, "pdf_path": new_paper(1).pdf_path, "pdf_sha256": "a" * 64, "indexed": 0},
        {"id": new, "pdf_path": new_paper(2).pdf_path, "pdf_sha256": "f" * 64, "indexed": 0}]


# -- metadata ------------------------------------------------------------------------------------------
def test_extracted_values_corrections_and_current_values(catalog):
    pid = catalog.papers.add(new_paper(1))
    catalog.metadata.store_extracted(pid, [("holder_name", "Nguyen Van An", 0.7, "Họ và tên: Nguyen Van An", None),
                                           ("issue_date", None, 0.4, "ngày 31/02/2020", "no such date")])
    assert catalog.metadata.values(pid) == {"paper_id": pid, **dict.fromkeys(METADATA_FIELDS),
                                            "holder_name": "Nguyen Van An", "replaced_by": None}

    catalog.metadata.correct(pid, [("holder_name", "Nguyen Van An", "Nguyễn Văn An"), ("doc_type", None, "CCCD")],
                             "clerk2")
    catalog.metadata.store_extracted(pid, [("holder_name", "Nguyen Van Ann", 0.6, "Nguyen Van Ann", None)])

    values = catalog.metadata.values(pid)
    assert (values["holder_name"], values["doc_type"], values["issue_date"]) == ("Nguyễn Văn An", "CCCD", None)
    entries = catalog.metadata.entries(pid)
    assert {(e["field"], e["source"], e["value"]) for e in entries[-2:]} == {  # corrections last
        ("holder_name", "corrected", "Nguyễn Văn An"), ("doc_type", "corrected", "CCCD")}
    assert [(e["field"], e["value"], e["found_text"]) for e in entries if e["source"] == "extracted"] == [
        ("holder_name", "Nguyen Van Ann", "Nguyen Van Ann")]  # extraction replaced its own rows only
    by, at = catalog.metadata.last_correction(pid, "holder_name")
    assert by == "clerk2" and datetime.fromisoformat(at).tzinfo is not None
    assert catalog.metadata.last_correction(pid, "issuer") is None
    assert catalog.metadata.values(pid + 1) == {}


def test_texts_to_extract(catalog):
    done, waiting = catalog.papers.add(new_paper(1, text="một")), catalog.papers.add(new_paper(2, text="hai"))
    catalog.metadata.store_extracted(done, [])

    assert catalog.metadata.texts() == [(done, "một"), (waiting, "hai")]
    assert catalog.metadata.texts(not_extracted=True) == [(waiting, "hai")]
    assert catalog.metadata.texts([waiting]) == [(waiting, "hai")]


def test_papers_of_a_holder_newest_first(catalog):
    holder = "079203001234"
    old, new, other = (catalog.papers.add(new_paper(n)) for n in (1, 2, 3))
    catalog.metadata.store_extracted(old, [("holder_id", holder, 0.9, holder, None),
                                           ("issue_date", "2019-05-01", 0.9, "01/05/2019", None)])
    catalog.metadata.store_extracted(new, [("holder_id", holder, 0.9, holder, None),
                                           ("issue_date", "2024-05-01", 0.9, "01/05/2024", None)])
    catalog.metadata.store_extracted(other, [("holder_id", holder, 0.9, holder, None)])
    catalog.metadata.correct(other, [("holder_id", holder, "079303004567")], "clerk1")  # misread: not theirs

    found = catalog.metadata.papers_of_holder(holder)

    assert [p["paper_id"] for p in found] == [new, old]
    assert (found[0]["issue_date"], found[0]["source_name"], found[0]["pdf_path"]) == (
        "2024-05-01", "scan-2.pdf", new_paper(2).pdf_path)


# -- reuse ---------------------------------------------------------------------------------------------
def test_reuse_log_and_replacement(registered):
    old, new = registered.papers.add(new_paper(1)), registered.papers.add(new_paper(2))

    registered.reuse.log_reuse(old, AN.record_code, "Tờ khai", "valid", False, "", "clerk1")
    registered.reuse.log_reuse(old, BINH.record_code, "Tờ khai", "expired on 2025-01-01", True,
                               unicodedata.normalize("NFD", "bản gốc đã xem"), "clerk2")
    registered.reuse.replace(old, new, "clerk2")

    log = registered.reuse.reuses(old)
    assert [(r["record_code"], r["validity"], r["forced"], r["reason"], r["reused_by"]) for r in log] == [
        (AN.record_code, "valid", 0, "", "clerk1"),
        (BINH.record_code, "expired on 2025-01-01", 1, "bản gốc đã xem", "clerk2")]
    assert registered.reuse.reuses(new) == []
    assert registered.metadata.values(old)["replaced_by"] == new
    assert registered.metadata.values(new)["replaced_by"] is None
    with pytest.raises(registered.database.integrity_error):  # replaced once
        registered.reuse.replace(old, new, "clerk2")


# -- batches -------------------------------------------------------------------------------------------
def test_batch_papers_once_complete(catalog):
    batch = "b" * 64
    first, second = catalog.papers.add(new_paper(1, pages=2)), catalog.papers.add(new_paper(2))
    catalog.batches.note_paper(second, batch, 3, 3, None)
    catalog.batches.note_paper(first, batch, 1, 2, AN.record_code)
    catalog.batches.note_paper(first, batch, 5, 6, None)  # noted once: the first stays

    assert catalog.batches.papers(batch) is None  # not complete yet
    catalog.batches.complete(batch, "feeder.pdf", "separator", 3)
    catalog.batches.complete(batch, "again.pdf", "separator", 3)

    assert catalog.batches.papers(batch) == [
        {"id": first, "first_page": 1, "last_page": 2, "record_code": AN.record_code, "page_count": 2,
         "pdf_path": new_paper(1).pdf_path},
        {"id": second, "first_page": 3, "last_page": 3, "record_code": None, "page_count": 1,
         "pdf_path": new_paper(2).pdf_path}]
    assert catalog.batches.papers("c" * 64) is None


def test_pages_to_rescan_and_accepting_them(registered):
    batch = "b" * 64
    flagged = registered.papers.add(new_paper(1, pages=2, rescan="too dark; 150 dpi"),
                                    link={"record_code": AN.record_code, "component": "Tờ khai", "is_result": False})
    registered.batches.note_paper(flagged, batch, 4, 5, BINH.record_code)
    replaced = registered.papers.add(new_paper(2, rescan="blurred"))
    newer = registered.papers.add(new_paper(3))
    registered.reuse.replace(replaced, newer, "clerk1")

    (page,) = registered.batches.rescan_pages()  # the replaced paper's page is not listed
    assert page == {"id": flagged, "source_name": "scan-1.pdf", "source_path": "/scans/scan-1.pdf",
                    "pdf_path": new_paper(1).pdf_path, "page": 1, "reasons": ["too dark", "150 dpi"], "dpi": 300,
                    "confidence": 90.0, "first_page": 4, "batch_record": BINH.record_code, "record": AN.record_code}
    assert registered.batches.rescan_state(flagged) == {"page_count": 2, "replaced_by": None}
    assert registered.batches.rescan_state(replaced) == {"page_count": 1, "replaced_by": newer}
    assert registered.batches.rescan_state(newer + 1) is None
    assert registered.batches.flagged(flagged) == {1: ["too dark", "150 dpi"]}

    registered.batches.accept(flagged, [1])

    assert registered.batches.flagged(flagged) == {}
    assert registered.batches.rescan_pages() == []
    assert registered.papers.get(flagged)["pages"][0]["rescan"] == []


# -- audit ---------------------------------------------------------------------------------------------
def test_audit_rows_and_their_filters(registered):
    pid = registered.papers.add(new_paper(1), link={"record_code": AN.record_code, "component": "Tờ khai",
                                                    "is_result": False})
    registered.metadata.store_extracted(pid, [("holder_id", "079303004567", 0.9, "079303004567", None)])
    registered.papers.attach(pid, CHI.record_code, "Tờ khai", False, "clerk1")  # an applicant without an ID

    assert sorted(i for i in registered.audit.holder_ids(paper_id=pid) if i) == ["079203001234", "079303004567"]
    assert registered.audit.holder_ids(record_code=BINH.record_code) == ["079303004567"]
    assert registered.audit.holder_ids() == []

    registered.audit.append("clerk1", "scan", pid, AN.record_code, ["079203001234", "079303004567"], "scan-1.pdf")
    registered.audit.append(unicodedata.normalize("NFD", "Lê Thị Hà"), "view-text", pid, AN.record_code,
                            ["079203001234"], "")
    registered.audit.append("manager", "backup", None, None, [], unicodedata.normalize("NFD", "bản sao lưu"))

    events = registered.audit.events()
    assert [(e["user"], e["action"], e["paper_id"], e["record_code"], e["holder_ids"], e["detail"]) for e in events] == [
        ("clerk1", "scan", pid, AN.record_code, ["079203001234", "079303004567"], "scan-1.pdf"),
        ("Lê Thị Hà", "view-text", pid, AN.record_code, ["079203001234"], ""),
        ("manager", "backup", None, None, [], "bản sao lưu")]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert [e["action"] for e in registered.audit.events(paper_id=pid)] == ["scan", "view-text"]
    assert [e["action"] for e in registered.audit.events(holder_id="079303004567")] == ["scan"]
    assert [e["action"] for e in registered.audit.events(holder_id="07930300456")] == []  # whole IDs only
    today = events[0]["at"][:10]
    assert len(registered.audit.events(since=today)) == 3 and registered.audit.events(since="9999-01-01") == []
    assert [e["action"] for e in registered.audit.events(paper_id=pid, holder_id="079303004567", since=today)] == ["scan"]


# -- coverage counts -----------------------------------------------------------------------------------
@pytest.fixture
def counted(catalog):
    """AN: components and result (digitized); BINH: its component reused, result missing; CHI (no paper
    result, February, another agency and procedure): nothing; DUNG (January, the birth procedure
    renamed): its result only."""
    dung = record("000.00.53.H48-260120-0003", received="2026-01-20", procedure=(BIRTH[0], "Khai sinh"),
                  applicant="Phạm Dũng", applicant_id=None, due_date="2026-01-25")
    catalog.records.upsert([AN, BINH, CHI, dung])
    for n, (code, component, is_result, reused) in enumerate([
            (AN.record_code, "Tờ khai", False, False), (AN.record_code, "Giấy chứng sinh", False, False),
            (AN.record_code, None, True, False), (BINH.record_code, "Tờ khai", False, True),
            (dung.record_code, None, True, False)], 1):
        catalog.papers.attach(catalog.papers.add(new_paper(n)), code, component, is_result, "clerk1", reused)
    return catalog, dung


def test_coverage_totals_under_both_rules(counted):
    catalog, _ = counted
    assert catalog.coverage.totals("strict", None, None) == (4, 1, 3, 2, 1)
    assert catalog.coverage.totals("lenient", None, None) == (4, 3, 3, 2, 1)
    assert catalog.coverage.totals("strict", "2026-01-06", "2026-01-31") == (2, 0, 2, 1, 1)
    assert catalog.coverage.totals("strict", "2026-03-01", None) == (0, 0, 0, 0, 0)


def test_coverage_groups_by_each_dimension(counted):
    catalog, dung = counted
    assert catalog.coverage.groups(["agency"], "strict", None, None) == [
        ((JUSTICE,), [1, 0, 0, 0, 0]), ((WARD,), [3, 1, 3, 2, 1])]
    assert catalog.coverage.groups(["procedure"], "lenient", None, None) == [  # named by its latest record
        ((f"{BIRTH[0]} Khai sinh",), [3, 3, 3, 2, 1]), ((f"{RECORD_CHECK[0]} {RECORD_CHECK[1]}",), [1, 0, 0, 0, 0])]
    assert catalog.coverage.groups(["procedure", "month"], "strict", None, None) == [  # days rolled up
        ((f"{BIRTH[0]} Khai sinh", "2026-01"), [3, 1, 3, 2, 1]),
        ((f"{RECORD_CHECK[0]} {RECORD_CHECK[1]}", "2026-02"), [1, 0, 0, 0, 0])]
    assert catalog.coverage.groups(["agency", "month"], "strict", None, "2026-01-31") == [
        ((WARD, "2026-01"), [3, 1, 3, 2, 1])]
    assert catalog.coverage.groups(["month", "channel"], "strict", None, None) == [
        (("2026-01", 1), [3, 1, 3, 2, 1]), (("2026-02", 1), [1, 0, 0, 0, 0])]


def test_coverage_missing_list(counted):
    catalog, dung = counted
    count, records = catalog.coverage.missing("strict", None, None, None)
    assert count == 3
    assert [(r["record_code"], r["missing_components"], r["result_missing"]) for r in records] == [
        (dung.record_code, ["Tờ khai", "Giấy chứng sinh"], False),  # a due date first
        (BINH.record_code, [], True), (CHI.record_code, ["Tờ khai"], False)]
    assert records[0] == {"record_code": dung.record_code, "agency": WARD, "procedure_code": BIRTH[0],
                          "procedure_name": "Khai sinh", "received_date": "2026-01-20", "due_date": "2026-01-25",
                          "missing_components": ["Tờ khai", "Giấy chứng sinh"], "result_missing": False}
    assert catalog.coverage.missing("strict", None, None, 1) == (3, records[:1])
    assert catalog.coverage.missing("lenient", "2026-02-01", None, None)[0] == 1


def test_coverage_records_list(counted):
    catalog, dung = counted
    rows = catalog.coverage.records("strict", None, None)
    assert [r["record_code"] for r in rows] == [AN.record_code, BINH.record_code, dung.record_code, CHI.record_code]
    assert {k: rows[1][k] for k in ("components", "components_missing", "result_digitized", "result_due", "reused",
                                    "digitized", "requires_paper_result", "applicant_name")} == {
        "components": 1, "components_missing": 0, "result_digitized": 0, "result_due": 1, "reused": 1,
        "digitized": 0, "requires_paper_result": 1, "applicant_name": "Trần Thị Bình"}
    assert [r["record_code"] for r in catalog.coverage.records("strict", None, None, not_digitized=True)] == [
        BINH.record_code, dung.record_code, CHI.record_code]
    assert [r["record_code"] for r in catalog.coverage.records("lenient", None, None, not_digitized=True)] == [
        CHI.record_code]
    assert [r["record_code"] for r in catalog.coverage.records("strict", None, None, agency=JUSTICE)] == [CHI.record_code]
    assert [r["record_code"] for r in catalog.coverage.records("strict", "2026-01-06", None, procedure="Khai sinh")] == [
        dung.record_code]
    assert [r["record_code"] for r in catalog.coverage.records("strict", None, None, procedure=BIRTH[0],
                                                               agency=JUSTICE)] == []
