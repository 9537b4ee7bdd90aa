"""`sohoa records show`: one record, its components with their papers (reused or not) and its result."""

from __future__ import annotations

import pytest

from tests.conftest import RECORDS, make_scan, page_lines
from tests.postgres import archive_sql

pytestmark = pytest.mark.usefixtures("catalog_backend")  # on SQLite and on PostgreSQL (tests/postgres.py)

CODE_AN, CODE_HUONG, CODE_ANH = (r[0] for r in RECORDS)


@pytest.fixture
def paper(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    scan = make_scan(tmp_path / "giay-chung-sinh.png", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An"))
    [outcome] = sohoa.jsonl("scan", scan, "--record", CODE_AN, "--component", "Giấy chứng sinh")
    return outcome["id"]


def test_components_with_their_papers_and_the_result(sohoa, archive_dir, paper):
    shown = sohoa.json("records", "show", CODE_AN)
    assert (shown["record_code"], shown["agency"], shown["received_date"], shown["due_date"]) == (
        CODE_AN, "UBND phường Bến Nghé", "2026-01-05", "2026-01-08")
    assert [(c["name"], c["status"], [p["id"] for p in c["papers"]]) for c in shown["components"]] == [
        ("Tờ khai đăng ký khai sinh", "", []), ("Giấy chứng sinh", "", [paper])]
    assert shown["components"][1]["papers"][0]["source_name"] == "giay-chung-sinh.png"
    assert shown["components"][1]["papers"][0]["reused"] is False
    assert (shown["requires_paper_result"], shown["result_due"], shown["result_papers"]) == (True, True, [])
    assert (shown["digitized"], shown["digitized_lenient"], shown["reused"]) == (False, False, False)

    text = sohoa("records", "show", CODE_AN).stdout
    assert "component        Tờ khai đăng ký khai sinh: MISSING" in text
    assert f"component        Giấy chứng sinh: #{paper} giay-chung-sinh.png" in text
    assert "result papers    MISSING" in text


def test_a_reused_paper_is_shown_as_such(sohoa, archive_dir, paper):
    sohoa("attach", paper, "--record", CODE_HUONG, "--component", "Tờ khai đăng ký khai sinh")
    archive_sql(archive_dir, "UPDATE attachments SET reused = 1 WHERE record_code = ?", (CODE_HUONG,))  # as reuse does
    shown = sohoa.json("records", "show", CODE_HUONG)
    assert shown["reused"] is True and shown["components"][0]["papers"][0]["reused"] is True
    assert f"#{paper} giay-chung-sinh.png (reused)" in sohoa("records", "show", CODE_HUONG).stdout


def test_papers_under_a_name_no_longer_listed_are_shown_apart(sohoa, register_csv, paper):
    text = register_csv.read_text(encoding="utf-8").replace("Tờ khai đăng ký khai sinh;Giấy chứng sinh", "Tờ khai đăng ký khai sinh")
    register_csv.write_text(text, encoding="utf-8")
    sohoa("records", "import", register_csv)
    shown = sohoa.json("records", "show", CODE_AN)
    assert [c["name"] for c in shown["components"]] == ["Tờ khai đăng ký khai sinh"]
    assert [(p["id"], p["component"]) for p in shown["other_papers"]] == [(paper, "Giấy chứng sinh")]


def test_unknown_code_names_close_ones(sohoa, register_csv):
    sohoa("records", "import", register_csv)
    result = sohoa("records", "show", CODE_AN[:-1] + "9", expect=2)
    assert "unknown record code" in result.stderr and CODE_AN in result.stderr


def test_the_applicants_id_is_masked_unless_shown_and_showing_is_logged(sohoa, register_csv, paper):
    an_id = next(r[8] for r in RECORDS if r[0] == CODE_AN)
    masked = an_id[:4] + "*" * 6 + an_id[-2:]

    shown = sohoa.json("records", "show", CODE_AN)
    text = sohoa("records", "show", CODE_AN).stdout

    assert shown["applicant_id"] == masked and an_id not in str(shown)
    assert f"applicant_id     {masked}" in text and an_id not in text
    assert shown["record_code"] == CODE_AN and shown["components"][1]["papers"][0]["source_name"] == "giay-chung-sinh.png"
    assert [e for e in sohoa.json("audit") if e["action"] == "show-ids"] == []  # masked: nothing to log

    assert sohoa.json("records", "show", CODE_AN, "--show-ids", "--user", "thanh-tra")["applicant_id"] == an_id
    assert f"applicant_id     {an_id}" in sohoa("records", "show", CODE_AN, "--show-ids").stdout

    logged = [e for e in sohoa.json("audit", "--holder-id", an_id) if e["action"] == "show-ids"]
    assert [(e["user"], e["record_code"], e["paper_id"], e["detail"]) for e in logged] == [
        ("thanh-tra", CODE_AN, None, f"records show {CODE_AN}"), ("clerk1", CODE_AN, None, f"records show {CODE_AN}")]
