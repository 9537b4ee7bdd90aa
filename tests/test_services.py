"""The services called directly, as a web handler or a job worker will call them: no command line, no
terminal. What the CLI tests check through `sohoa`, these check at the layer under it: progress
callbacks, masking and its log, the index kept in step, errors that carry their field and status."""

from __future__ import annotations

import pickle

import pytest

from digitize import errors
from digitize.archive import Archive
from digitize.errors import BadArgument, Conflict, InputError, NotFound, SohoaError
from digitize.services import Actor
from digitize.services import papers, records, scanning, upkeep
from samples.render import save_multipage
from tests.citizen_papers import ANH_ID, MARRIAGE
from tests.conftest import RECORDS, make_scan, page_lines, write_register
from tests.pages import page

AN_CODE = RECORDS[0][0]
CLERK = Actor("clerk-svc", role="clerk", channel="api", address="10.0.0.7")
STAFF = Actor("staff-svc", role="staff", channel="api")
MANAGER = Actor("manager-svc", role="manager", channel="api")
STATUS = "Giấy xác nhận tình trạng hôn nhân"


def web(field: str, metavar: str) -> str:
    """How a web form names a field: by its name, no option syntax."""
    return f"«{field}»"


@pytest.fixture
def archive(opened):
    """A fresh copy of the citizens' archive (tests/citizen_papers.py), opened, and its paper ids."""
    return opened


def test_a_scan_reports_each_page_and_each_paper_to_its_callbacks(tmp_path, capsys):
    stack = save_multipage([page(page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Nguyễn Văn An"), dpi=200, seed=n)
                            for n in (1, 2)], tmp_path / "to-khai.tif")
    card = make_scan(tmp_path / f"cccd-{RECORDS[0][8]}.png", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An"), dpi=200)
    events: list[tuple[str, int]] = []
    with Archive(tmp_path / "archive") as archive:
        records.import_register(archive, CLERK, write_register(tmp_path / "register.csv"))
        batch = scanning.scan(archive, CLERK, [stack, card], record=AN_CODE, component="Giấy chứng sinh",
                              processes=1)
        assert batch.pages == 3 and batch.outcomes == []  # counted before a page is read

        done = list(batch.run(on_page=lambda: events.append(("page", len(events))),
                              on_paper=lambda: events.append(("paper", len(events)))))

        assert [kind for kind, _ in events].count("page") == 3 and [kind for kind, _ in events].count("paper") == 2
        pages_before = [sum(k == "page" for k, _ in events[:i]) for i, (k, _) in enumerate(events) if k == "paper"]
        assert pages_before[0] >= 2 and pages_before[1] == 3  # a paper is done only once its pages are
        assert [d.outcome.status for d in done] == ["new", "new"] and batch.outcomes == [d.outcome for d in done]
        assert batch.exit_code == 0
        (stack_view, card_view) = (d.view for d in done)
        assert stack_view["pages"] == 2 and stack_view["metadata"]["holder_name"]["value"] == "Nguyễn Văn An"
        assert card_view["source_name"] == "cccd-0792******34.png"  # what may be shown...
        assert done[1].outcome.source_name == card.name  # ...and what the scanner saw
        hits = papers.search(archive, STAFF, "giay chung sinh nguyen van an")
        assert {h["id"] for h in hits} == {d.outcome.id for d in done}  # indexed when the run ends
        assert {e["user"] for e in upkeep.audit_log(archive, MANAGER)} == {"clerk-svc"}
    assert capsys.readouterr().out == ""  # nothing printed: the caller renders


def test_a_failed_file_is_an_outcome_and_sets_the_exit_code(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n not a pdf")
    with Archive(tmp_path / "archive") as archive:
        batch = scanning.scan(archive, CLERK, [broken], processes=1)
        (failed,) = batch.run()
    assert failed.outcome.status == "failed" and failed.view["error"] == failed.outcome.error
    assert batch.exit_code == InputError.exit_code


def test_show_masks_citizen_ids_unless_asked_and_logs_who_asked(archive):
    archive, ids = archive
    paper_id = ids["cccd.png"]
    staff = Actor("staff-2", role="staff")

    masked = papers.show(archive, staff, paper_id)
    assert masked["metadata"]["holder_id"]["value"] == "0011******76"
    assert not [e for e in upkeep.audit_log(archive, MANAGER, paper_id=paper_id) if e["action"] == "show-ids"]

    full = papers.show(archive, staff, paper_id, show_ids=True)
    assert full["metadata"]["holder_id"]["value"] == ANH_ID
    assert full["pdf_path"] == str(archive.root / archive.catalog.get_paper(paper_id)["pdf_path"])
    assert "text" not in full and full["text_chars"] > 0
    log = upkeep.audit_log(archive, Actor("manager-1", role="manager"), paper_id=paper_id, show_ids=True)
    (shown,) = [e for e in log if e["action"] == "show-ids"]
    assert (shown["user"], shown["detail"], shown["holder_ids"]) == ("staff-2", f"show {paper_id}", [ANH_ID])


def test_a_service_refuses_a_role_the_rights_table_does_not_allow(archive):
    archive, ids = archive
    with pytest.raises(errors.Forbidden):
        papers.search(archive, CLERK, "an")  # finding papers is staff's
    with pytest.raises(errors.Forbidden):
        upkeep.audit_log(archive, STAFF)
    with pytest.raises(errors.Forbidden):
        records.coverage(archive, Actor("admin-svc", role="admin"))
    assert papers.search(archive, Actor("operator"), "an", limit=1)  # no role: the operator's shell


def test_reading_a_papers_text_is_logged(archive):
    archive, ids = archive
    paper_id = ids["lltp.png"]
    assert "LÝ LỊCH TƯ PHÁP" in papers.text(archive, CLERK, paper_id)
    (event,) = [e for e in upkeep.audit_log(archive, MANAGER, paper_id=paper_id) if e["action"] == "view-text"]
    assert event["user"] == "clerk-svc"
    assert (event["channel"], event["address"], event["role"]) == ("api", "10.0.0.7", "clerk")


def test_an_edit_is_found_by_search_at_once(archive):
    archive, ids = archive
    paper_id = ids["lltp.png"]
    assert papers.search(archive, STAFF, 'holder:"le thi moi"') == []

    done = papers.edit(archive, STAFF, paper_id, {"holder_name": "Lê Thị Mới", "holder_id": "079303004567"})

    assert [(c["field"], c["new"]) for c in done["changes"]] == [("holder_name", "Lê Thị Mới"),
                                                                 ("holder_id", "0793******67")]
    assert done["metadata"]["holder_name"]["corrected_by"] == "staff-svc"
    (hit,) = papers.search(archive, STAFF, 'holder:"le thi moi"')
    assert hit["id"] == paper_id
    assert [r["id"] for r in papers.of_holder(archive, STAFF, "079303004567")] == [paper_id]


def test_an_attach_is_found_by_search_at_once(archive):
    archive, ids = archive
    paper_id = ids["lltp.png"]
    done = papers.attach(archive, CLERK, paper_id, MARRIAGE, "Tờ khai đăng ký kết hôn")
    assert done["attached"]
    assert [h["id"] for h in papers.search(archive, STAFF, f'record:"{MARRIAGE}"')] == [paper_id]


def test_reusing_an_expired_paper_is_refused_with_the_field_to_change(archive):
    archive, ids = archive
    paper_id = ids["xnhn-cu.png"]

    with pytest.raises(Conflict) as refused:
        papers.reuse(archive, STAFF, paper_id, MARRIAGE, STATUS)
    assert refused.value.field == "force" and refused.value.http_status == 409 and refused.value.exit_code == 2
    expired = papers.show(archive, STAFF, paper_id)["validity"]["text"]
    assert refused.value.render(web) == (f"paper {paper_id} is {expired}; attach a valid paper, or reuse it "
                                         "anyway with «force» «reason»")
    assert str(refused.value).endswith("reuse it anyway with --force --reason TEXT")  # the command line's words

    with pytest.raises(BadArgument) as no_reason:
        papers.reuse(archive, STAFF, paper_id, MARRIAGE, STATUS, force=True)
    assert no_reason.value.field == "reason" and no_reason.value.http_status == 422
    assert no_reason.value.render(web) == "«force» needs «reason» saying why an invalid paper is reused"

    done = papers.reuse(archive, STAFF, paper_id, MARRIAGE, STATUS, force=True, reason="bản gốc đã xem")
    assert done["forced"] and done["changed"]


def test_unknown_papers_and_records_are_not_found(archive):
    archive, ids = archive
    with pytest.raises(NotFound) as paper:
        papers.show(archive, CLERK, 999)
    assert paper.value.http_status == 404 and paper.value.exit_code == 2
    with pytest.raises(NotFound) as record:
        records.show_record(archive, CLERK, "000.00.00.H00-{x}-0001")
    assert record.value.field == "record" and record.value.http_status == 404
    assert str(record.value).startswith("unknown record code '000.00.00.H00-{x}-0001'")  # braces stay text


@pytest.mark.parametrize("call, field, words", [
    (lambda a: records.list_records(a, CLERK, date_from="2026-13-01"), "from",
     "«from» '2026-13-01': no such date; use YYYY-MM-DD or DD/MM/YYYY"),
    (lambda a: upkeep.audit_log(a, MANAGER, since="{tomorrow}"), "since",
     "«since» '{tomorrow}': expected YYYY-MM-DD or DD/MM/YYYY; use YYYY-MM-DD or DD/MM/YYYY"),
    (lambda a: papers.search(a, STAFF, "an", expires_to="31/02/2026"), "expires_to",
     "«expires_to» '31/02/2026': no such date; use YYYY-MM-DD or DD/MM/YYYY"),
    (lambda a: papers.of_holder(a, STAFF, "12"), "holder_id",
     "«holder_id» '12': a citizen ID has 12 digits (CCCD) or 9 (CMND)"),
    (lambda a: records.coverage(a, MANAGER, max_points="ten"), "max_points",
     '«max_points» "ten": expected a number, or records=N,results=N,reuse=N'),
    (lambda a: records.accept_rescan(a, CLERK, 1, reason=" "), "reason",
     "«accept» needs «reason» saying why the page is kept as it is"),
    (lambda a: papers.attach(a, CLERK, 1, None), "record",
     "say where the paper goes: «record» with «component» or «result»"),
    (lambda a: scanning.scan(a, CLERK, [], component="Tờ khai"), "record",
     "«component» and «result» need «record»"),
    (lambda a: scanning.scan(a, CLERK, [], split="pages"), "split",
     "«split» 'pages': choose one of none, blank, code"),
])
def test_a_bad_value_names_its_field_in_the_words_of_the_interface(archive, call, field, words):
    archive, _ = archive
    with pytest.raises(BadArgument) as bad:
        call(archive)
    assert bad.value.field == field and bad.value.http_status == 422 and bad.value.exit_code == 2
    assert bad.value.render(web) == words
    assert "«" not in str(bad.value) and "--" in str(bad.value)


def test_an_error_keeps_its_field_across_processes():
    # Page errors are raised in the OCR workers and travel back pickled.
    error = pickle.loads(pickle.dumps(InputError("{page} {value!r} unreadable", field="page", value="{3}")))
    assert (str(error), error.field, error.render(web)) == ("--page '{3}' unreadable", "page", "«page» '{3}' unreadable")
    assert str(pickle.loads(pickle.dumps(InputError("a {plain} message")))) == "a {plain} message"


def test_every_error_kind_has_its_exit_code_and_http_status():
    kinds = {cls.__name__: (cls.exit_code, cls.http_status) for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, SohoaError)}
    assert kinds == {
        "SohoaError": (1, 400), "BadArgument": (2, 422), "NotFound": (2, 404), "Conflict": (2, 409),
        "InputError": (3, 422), "EncryptedPDF": (4, 422), "MissingDependency": (5, 503),
        "ArchiveLocked": (6, 423), "ArchiveError": (7, 503), "DiskFull": (8, 507), "ArchiveReadOnly": (9, 503),
        "Unauthorized": (10, 401), "Forbidden": (11, 403), "TooLarge": (3, 413), "UnsupportedMedia": (3, 415),
        "CatalogBusy": (6, 503), "TooManyAttempts": (12, 429), "SignatureInvalid": (13, 422)}


def test_watch_files_each_scan_and_says_where_it_went(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_scan(inbox / f"cccd-{RECORDS[0][8]}.png", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An"), dpi=200)
    with Archive(tmp_path / "archive") as archive:
        (filed,) = scanning.watch(archive, CLERK, inbox, processes=1, poll=0.1, once=True)
    assert filed.name == f"cccd-{RECORDS[0][8]}.png" and filed.moved_to == f"done/{filed.name}"
    (paper,) = filed.papers
    assert paper.outcome.status == "new" and paper.view["moved_to"] == "done/cccd-0792******34.png"
    assert paper.view["source_name"] == "cccd-0792******34.png"
    assert (inbox / filed.moved_to).is_file()
