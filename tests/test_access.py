"""Rights per record (Decree 30): a user bound to agencies sees only those agencies' records and the
papers serving them, and the papers on no record that a clerk of theirs scanned. Out of scope is
not found (404), the same answer as an unknown id, on every service that takes a paper or a record.

One real archive for the module: the register's records of two agencies, small papers really
OCRed, scanned by a clerk of each agency and by the unscoped operator."""

from __future__ import annotations

import shutil

import pytest

from digitize.archive import Archive
from digitize.errors import BadArgument, NotFound
from digitize.services import Actor
from digitize.services import exporting, jobs, papers, records, scanning, signing, upkeep, views
from tests.conftest import RECORDS, Sohoa, make_scan, page_lines, write_register

BEN_NGHE, TU_PHAP = RECORDS[0][3], RECORDS[2][3]
A_CODE, B_CODE = RECORDS[0][0], RECORDS[2][0]
HOLDER = "079203001234"  # Nguyễn Văn An's CCCD, on every paper
OPERATOR = Actor("operator")  # the command line: unscoped
CLERK_A = Actor("clerk-a", role="clerk", agencies=(BEN_NGHE,), channel="api")
CLERK_B = Actor("clerk-b", role="clerk", agencies=(TU_PHAP,), channel="api")
STAFF_A = Actor("staff-a", role="staff", agencies=(BEN_NGHE,), channel="api")
STAFF_B = Actor("staff-b", role="staff", agencies=(TU_PHAP,), channel="api")
STAFF = Actor("staff-all", role="staff", channel="api")
MANAGER_B = Actor("manager-b", role="manager", agencies=(TU_PHAP,), channel="api")
MANAGER = Actor("manager-all", role="manager", channel="api")
QUERY = "nguyen van an"

# file → (who scans it, into which record and component)
SCANS = {
    "a-record.png": (CLERK_A, A_CODE, "Giấy chứng sinh", "GIẤY CHỨNG SINH"),
    "b-record.png": (CLERK_B, B_CODE, None, "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1"),
    "a-loose.png": (CLERK_A, None, None, "GIẤY KHAI SINH"),
    "b-loose.png": (CLERK_B, None, None, "GIẤY XÁC NHẬN CƯ TRÚ"),
    "operator-loose.png": (OPERATOR, None, None, "BẢN SAO TRÍCH LỤC"),
}
SEEN_BY_A = {"a-record.png", "a-loose.png", "operator-loose.png"}  # unscoped scans on no record: everyone's
SEEN_BY_B = {"b-record.png", "b-loose.png", "operator-loose.png"}


@pytest.fixture(scope="module")
def scoped(tmp_path_factory):
    """The archive's folder and its paper ids by file name."""
    base = tmp_path_factory.mktemp("access")
    ids = {}
    with Archive(base / "archive") as archive:
        records.import_register(archive, OPERATOR, write_register(base / "register.csv"))
        for n, (name, (actor, record, component, title)) in enumerate(SCANS.items()):
            scan = make_scan(base / "scans" / name, page_lines(title, "Nguyễn Văn An",
                                                               [f"Số định danh cá nhân: {HOLDER}"]), dpi=200)
            (done,) = scanning.scan(archive, actor, [scan], record=record, component=component, processes=1).run()
            ids[name] = done.outcome.id
    return base / "archive", ids


@pytest.fixture
def archive(scoped):
    root, ids = scoped
    with Archive(root) as opened:
        yield opened, ids


def names(ids: dict[str, int], found) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in found}


def test_a_paper_out_of_scope_is_not_found_by_any_service_that_takes_it(archive):
    archive, ids = archive
    other = ids["a-record.png"]
    unknown = max(ids.values()) + 100
    calls = [
        lambda i: papers.show(archive, STAFF_B, i),
        lambda i: papers.text(archive, STAFF_B, i),
        lambda i: papers.edit(archive, STAFF_B, i, {"holder_name": "X"}),
        lambda i: papers.reuse(archive, STAFF_B, i, B_CODE),
        lambda i: papers.replace(archive, STAFF_B, i, ids["b-loose.png"]),
        lambda i: papers.attach(archive, CLERK_B, i, B_CODE),
        lambda i: views.pdf(archive, STAFF_B, i),
        lambda i: views.page_image(archive, STAFF_B, i, 1, 100),
        lambda i: views.page_words(archive, STAFF_B, i, 1),
        lambda i: signing.prepare_signing(archive, CLERK_B, i, b""),
        lambda i: signing.verify(archive, MANAGER_B, str(i)),
        lambda i: records.accept_rescan(archive, CLERK_B, i, reason="kept"),
        lambda i: jobs.submit_scan(archive, CLERK_B, archive.root / "new.png", "new.png", replaces=i),
        lambda i: upkeep.audit_log(archive, MANAGER_B, paper_id=i),
    ]
    for call in calls:
        with pytest.raises(NotFound) as out_of_scope:
            call(other)
        with pytest.raises(NotFound) as unknown_id:
            call(unknown)
        # the same words as for an id that does not exist: nothing tells the paper is there
        said = [str(e.value).replace(f" {i}", " N") for e, i in ((out_of_scope, other), (unknown_id, unknown))]
        assert said[0] == said[1] and " N" in said[0]
    assert papers.show(archive, STAFF_A, other)["id"] == other  # its own agency sees it
    assert papers.show(archive, STAFF, other)["id"] == other  # and an unscoped user


def test_a_record_out_of_scope_is_not_found_and_named_as_an_unknown_one(archive):
    archive, ids = archive
    for call in (lambda code: records.show_record(archive, STAFF_B, code),
                 lambda code: exporting.export_zip(archive, STAFF_B, code, archive.root / "x.zip"),
                 lambda code: papers.reuse(archive, STAFF_B, ids["b-loose.png"], code, "Giấy chứng sinh"),
                 lambda code: papers.attach(archive, CLERK_B, ids["b-loose.png"], code, "Giấy chứng sinh"),
                 lambda code: scanning.scan(archive, CLERK_B, [], record=code, component="Giấy chứng sinh")):
        with pytest.raises(NotFound) as out_of_scope:
            call(A_CODE)
        with pytest.raises(NotFound) as unknown:
            call("000.00.99.H99-000000-0000")
        assert out_of_scope.value.field == unknown.value.field == "record"
        nowhere = "000.00.99.H99-000000-0000"
        assert str(out_of_scope.value).replace(A_CODE, "C") == str(unknown.value).replace(nowhere, "C")
        assert BEN_NGHE not in str(out_of_scope.value) and RECORDS[1][0] not in str(out_of_scope.value)
    assert records.show_record(archive, STAFF_A, A_CODE)["record_code"] == A_CODE
    assert not (archive.root / "x.zip").exists()


def test_lists_and_search_hold_only_what_the_agency_sees(archive):
    archive, ids = archive
    for actor, expected in ((STAFF_A, SEEN_BY_A), (STAFF_B, SEEN_BY_B), (STAFF, set(SCANS))):
        found = papers.search_page(archive, actor, QUERY, limit=2)
        assert found["total"] == len(expected), actor  # the total counts only what may be seen...
        every = [h for offset in (0, 2, 4)
                 for h in papers.search_page(archive, actor, QUERY, limit=2, offset=offset)["hits"]]
        assert len(every) == len(expected) and found["hits"] == every[:2]
        assert names(ids, (h["id"] for h in every)) == expected  # ...and the pages hold just that
        assert names(ids, (p["id"] for p in papers.of_holder(archive, actor, HOLDER))) == expected
    assert {r["agency"] for r in records.list_records(archive, STAFF_B)} == {TU_PHAP}
    assert records.list_records(archive, STAFF_B, agency=BEN_NGHE) == []  # asking for another's: nothing
    assert records.list_records(archive, STAFF_B, agency="UBND phường Bến") == []  # no hint naming others
    with pytest.raises(BadArgument, match=BEN_NGHE):  # the unscoped get the register's names
        records.list_records(archive, STAFF, agency="UBND phường Bến")
    assert {r["agency"] for r in records.list_records(archive, STAFF)} == {BEN_NGHE, TU_PHAP}
    assert {r["id"] for r in records.rescan_list(archive, CLERK_B)} <= {ids[n] for n in SEEN_BY_B}


def test_coverage_and_the_missing_list_count_only_the_agencys_records(archive, tmp_path):
    archive, _ = archive
    mine = records.coverage(archive, MANAGER_B, by="agency")
    assert [r["agency"] for r in mine["rows"]] == [TU_PHAP] and mine["total"]["received"] == 1
    assert records.coverage(archive, MANAGER_B)["total"]["received"] == 1  # the totals' own query too
    assert mine["total"]["digitized"] == 1  # its one record has its one component scanned
    everyone = records.coverage(archive, MANAGER, by="agency")
    assert [r["agency"] for r in everyone["rows"]] == sorted([BEN_NGHE, TU_PHAP])
    assert everyone["total"]["received"] == 3
    assert records.missing(archive, MANAGER_B)["count"] == 0
    unscoped = records.missing(archive, MANAGER)
    assert unscoped["count"] == 2 and {r["agency"] for r in unscoped["records"]} == {BEN_NGHE}
    page = tmp_path / "coverage.html"
    records.coverage_html(archive, MANAGER_B, page)
    assert TU_PHAP in page.read_text(encoding="utf-8") and BEN_NGHE not in page.read_text(encoding="utf-8")


def test_the_audit_log_keeps_to_the_agencys_papers(archive):
    archive, ids = archive
    papers.text(archive, STAFF_A, ids["a-record.png"])
    papers.text(archive, STAFF_B, ids["b-record.png"])
    seen = {e["paper_id"] for e in upkeep.audit_log(archive, MANAGER_B) if e["paper_id"] is not None}
    assert names(ids, seen) <= SEEN_BY_B and ids["b-record.png"] in seen
    assert ids["a-record.png"] in {e["paper_id"] for e in upkeep.audit_log(archive, MANAGER)}


def test_a_job_shows_a_clerk_only_the_papers_they_may_see(archive):
    archive, ids = archive
    both = Actor("clerk-ab", role="clerk", agencies=(BEN_NGHE, TU_PHAP))
    job_id = archive.catalog.jobs.add("scan", "lot.pdf", "/nowhere", "0" * 64, {}, {"name": both.name,
                                                                                   "agencies": list(both.agencies)})
    archive.catalog.jobs.claim("w", 60, 3)
    for name in ("a-record.png", "b-record.png"):
        archive.catalog.jobs.add_paper(job_id, "w", {"id": ids[name], "status": "new"})
    assert names(ids, (p["id"] for p in jobs.get(archive, both, job_id)["papers"])) == {"a-record.png", "b-record.png"}
    # a clerk of Sở Tư pháp shares the job (one of its agencies) but not Bến Nghé's paper in it
    assert names(ids, (p["id"] for p in jobs.get(archive, CLERK_B, job_id)["papers"])) == {"b-record.png"}
    listed = [j for j in jobs.list_jobs(archive, CLERK_B) if j["id"] == job_id]
    assert names(ids, (p["id"] for p in listed[0]["papers"])) == {"b-record.png"}


def test_over_http_a_token_of_another_agency_gets_404_and_no_hits(scoped, tmp_path):
    from tests.serving import Server

    root, ids = scoped
    shutil.copytree(root, tmp_path / "archive")
    admin = Sohoa(tmp_path / "archive", "admin")
    token_b = admin("tokens", "create", "staff-b", "--role", "staff", "--agency", TU_PHAP).stdout.splitlines()[-1]
    token_all = admin("tokens", "create", "staff-all", "--role", "staff").stdout.splitlines()[-1]
    token_manager = admin("tokens", "create", "manager-b", "--role", "manager",
                          "--agency", TU_PHAP).stdout.splitlines()[-1]
    server = Server(tmp_path / "archive")
    try:
        with server.bearer(token_b) as b, server.bearer(token_all) as everyone:
            answer = b.get(f"/papers/{ids['a-record.png']}")
            assert answer.status_code == 404 and answer.json()["error"]["kind"] == "NotFound"
            assert b.get(f"/papers/{ids['b-record.png']}").status_code == 200
            assert b.get(f"/records/{A_CODE}").status_code == 404
            found = b.get("/search", params={"q": "giay chung sinh"}).json()
            assert found == {"total": 0, "total_estimated": False, "hits": []}  # Bến Nghé's birth certificate: not for Sở Tư pháp
            assert everyone.get("/search", params={"q": "giay chung sinh"}).json()["total"] >= 1
            held = b.get("/papers", params={"holder_id": HOLDER}).json()
            assert names(ids, (p["id"] for p in held)) == SEEN_BY_B
        with server.bearer(token_manager) as manager:
            table = manager.get("/coverage.csv", params={"by": "agency"})
            assert table.status_code == 200 and TU_PHAP in table.text and BEN_NGHE not in table.text
            assert manager.get("/coverage/missing").json()["count"] == 0  # Bến Nghé's two are not theirs
    finally:
        server.stop()


def test_a_scoped_clerk_imports_only_their_agencys_records(scoped, tmp_path):
    from digitize.errors import Forbidden

    root, _ = scoped
    shutil.copytree(root, tmp_path / "archive")
    with Archive(tmp_path / "archive") as archive:
        theirs = write_register(tmp_path / "theirs.csv", [RECORDS[0]])
        with pytest.raises(Forbidden, match="agencies you do not serve"):
            records.import_register(archive, CLERK_B, theirs)
        taken = write_register(tmp_path / "taken.csv", [[A_CODE, *RECORDS[0][1:3], TU_PHAP, *RECORDS[0][4:]]])
        with pytest.raises(Forbidden, match="record codes of another agency"):  # no moving A's record to B
            records.import_register(archive, CLERK_B, taken)
        assert archive.catalog.records.get(A_CODE).agency == BEN_NGHE  # nothing was imported
        mine = write_register(tmp_path / "mine.csv", [RECORDS[2]])
        assert records.import_register(archive, CLERK_B, mine)["updated"] == 1
        assert records.import_register(archive, OPERATOR, theirs)["updated"] == 1  # unscoped: every agency


def test_an_agency_typed_with_combining_marks_is_the_same_agency(archive):
    import unicodedata

    archive, ids = archive
    decomposed = Actor("staff-nfd", role="staff", agencies=(unicodedata.normalize("NFD", TU_PHAP),))
    assert decomposed.agencies[0] != TU_PHAP
    assert names(ids, (p["id"] for p in papers.of_holder(archive, decomposed, HOLDER))) == SEEN_BY_B
    assert {r["agency"] for r in records.list_records(archive, decomposed)} == {TU_PHAP}


def test_a_paper_serving_both_agencies_names_to_each_only_its_own_records(scoped, tmp_path):
    root, ids = scoped
    shutil.copytree(root, tmp_path / "archive")
    shared = ids["a-record.png"]
    with Archive(tmp_path / "archive") as archive:
        papers.reuse(archive, OPERATOR, shared, B_CODE)  # Bến Nghé's paper now serves Sở Tư pháp's record too
        for actor, code in ((STAFF_B, B_CODE), (STAFF_A, A_CODE)):
            assert [a["record_code"] for a in papers.show(archive, actor, shared)["attachments"]] == [code]
            (held,) = [p for p in papers.of_holder(archive, actor, HOLDER) if p["id"] == shared]
            assert [r["record_code"] for r in held["records"]] == [code]
            hits = papers.search_page(archive, actor, "giay chung sinh", limit=10)["hits"]
            assert [h["record_code"] for h in hits if h["id"] == shared] == [code]
        assert {a["record_code"] for a in papers.show(archive, STAFF, shared)["attachments"]} == {A_CODE, B_CODE}



def test_a_paper_two_agencies_share_keeps_each_ones_records_to_itself(scoped, tmp_path):
    """Its history and the audit log show each agency the events of its own records only: not the
    other's record codes, components or the clerks who attached it there."""
    root, ids = scoped
    shutil.copytree(root, tmp_path / "archive")
    shared = ids["a-record.png"]  # scanned by agency A's clerk into its record; now serving agency B's too
    with Archive(tmp_path / "archive") as archive:
        papers.attach(archive, OPERATOR, shared, B_CODE, RECORDS[2][10])
        everything = papers.history(archive, STAFF, shared)
        assert {A_CODE, B_CODE} <= {e["record_code"] for e in everything}
        for rows in (papers.history(archive, STAFF_B, shared), upkeep.audit_log(archive, MANAGER_B, paper_id=shared)):
            told = " ".join(f"{e['user']} {e['record_code']} {e['detail']}" for e in rows)
            assert B_CODE in told and "attach" in {e["action"] for e in rows}
            assert A_CODE not in told and "Giấy chứng sinh" not in told and "clerk-a" not in told
        papers.text(archive, STAFF_B, shared)  # a view by agency B is B's event, under B's record
        assert ("staff-b", B_CODE) in {(e["user"], e["record_code"]) for e in papers.history(archive, STAFF_B, shared)}
        of_a = papers.history(archive, STAFF_A, shared)
        assert A_CODE in {e["record_code"] for e in of_a}
        assert B_CODE not in {e["record_code"] for e in of_a} and "staff-b" not in {e["user"] for e in of_a}
