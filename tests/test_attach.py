"""`sohoa attach`: link a paper already in the archive to a record's component or result."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import RECORDS, make_scan, page_lines

CODE_AN, CODE_HUONG, CODE_ANH = (r[0] for r in RECORDS)


@pytest.fixture
def paper_id(sohoa, register_csv, tmp_path):
    """The register imported and one paper scanned without a record."""
    sohoa("records", "import", register_csv)
    scan = make_scan(tmp_path / "giay-chung-sinh.png", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An"))
    [outcome] = sohoa.jsonl("scan", scan)
    return outcome["id"]


def test_attach_to_a_component_then_to_the_result(sohoa, archive_dir, paper_id):
    done = sohoa.json("attach", paper_id, "--record", CODE_AN, "--component", "giấy chứng sinh")
    assert done == {"id": paper_id, "record_code": CODE_AN, "component": "Giấy chứng sinh", "is_result": False,
                    "attached": True}
    again = sohoa("attach", paper_id, "--record", CODE_AN, "--component", "Giấy chứng sinh")
    assert f"#{paper_id} was already attached to {CODE_AN} / Giấy chứng sinh" in again.stdout
    out = sohoa("attach", paper_id, "--record", CODE_HUONG, "--result").stdout
    assert out.strip() == f"attached #{paper_id} → {CODE_HUONG} / kết quả"

    with sqlite3.connect(archive_dir / "catalog.sqlite") as db:
        links = db.execute("SELECT record_code, component, is_result, attached_by FROM attachments "
                           "WHERE paper_id = ? ORDER BY is_result", (paper_id,)).fetchall()
        events = db.execute("SELECT action, record_code FROM audit WHERE action = 'attach'").fetchall()
    assert links == [(CODE_AN, "Giấy chứng sinh", 0, "clerk1"), (CODE_HUONG, "", 1, "clerk1")]
    assert events == [("attach", CODE_AN), ("attach", CODE_HUONG)]
    # the paper now counts: An still lacks a component, Hương's component is still missing
    shown = sohoa.json("records", "show", CODE_AN)
    assert [len(c["papers"]) for c in shown["components"]] == [0, 1]


def test_the_search_index_learns_the_papers_record(sohoa, paper_id):
    assert sohoa.json("search", "giấy chứng sinh")[0]["record_code"] is None
    sohoa("attach", paper_id, "--record", CODE_AN, "--component", "Giấy chứng sinh")
    hit = sohoa.json("search", "giấy chứng sinh")[0]
    assert (hit["id"], hit["record_code"], hit["component"]) == (paper_id, CODE_AN, "Giấy chứng sinh")


@pytest.mark.parametrize("args, message", [
    (["--record", "000.00.53.H48-260105-0009", "--result"], "unknown record code '000.00.53.H48-260105-0009'; did you mean"),
    (["--record", CODE_AN, "--component", "CCCD"],
     f"record {CODE_AN} has no component 'CCCD'; its components are: Tờ khai đăng ký khai sinh; Giấy chứng sinh"),
    (["--record", CODE_AN], f"record {CODE_AN} has several components; choose one with --component"),
    (["--record", CODE_AN, "--component", "Giấy chứng sinh", "--result"], "not both"),
    (["--component", "Giấy chứng sinh"], "--record CODE"),
])
def test_wrong_targets_are_refused_with_the_choices(sohoa, archive_dir, paper_id, args, message):
    result = sohoa("attach", paper_id, *args, expect=2)
    assert message in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(archive_dir / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


def test_unknown_paper(sohoa, paper_id):
    result = sohoa("attach", paper_id + 100, "--record", CODE_HUONG, expect=2)
    assert f"no paper {paper_id + 100}" in result.stderr
