"""`sohoa audit` and personal data: who scanned, viewed, edited, reused, backed up what, and whose;
citizen IDs masked in search and list output unless --show-ids, which is logged too."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest

from digitize.audit import mask_id
from tests.conftest import make_scan, page_lines

HUONG_CODE, HUONG_ID = "000.00.53.H48-260106-0002", "079303004567"
AN_CODE, AN_ID = "000.00.53.H48-260105-0001", "079203001234"


@pytest.fixture
def archived(sohoa, register_csv, tmp_path) -> int:
    sohoa("records", "import", register_csv)
    paper = make_scan(tmp_path / "to-khai.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương",
                                                           [f"Số định danh cá nhân: {HUONG_ID}"]), dpi=300)
    (row,) = sohoa.jsonl("scan", paper, "--record", HUONG_CODE)
    return row["id"]


def test_mask_id_keeps_the_first_four_and_last_two_digits():
    assert mask_id("CCCD 001203004567, CMND 023456789.") == "CCCD 0012******67, CMND 0234***89."
    assert mask_id("0903123456 và 12345678901234 không phải số định danh") == \
        "0903123456 và 12345678901234 không phải số định danh"


def test_every_scan_and_view_is_logged_with_user_time_paper_record_and_holder(sohoa, archived):
    sohoa("text", archived, "--user", "kiemtra")
    today = date.today().isoformat()

    events = sohoa.json("audit", "--paper", archived, "--show-ids")

    assert [(e["action"], e["user"], e["paper_id"], e["record_code"]) for e in events] == [
        ("scan", "clerk1", archived, HUONG_CODE), ("view-text", "kiemtra", archived, HUONG_CODE)]
    assert all(e["at"].startswith(today) and HUONG_ID in e["holder_ids"] for e in events)
    assert [e["action"] for e in sohoa.json("audit", "--holder-id", HUONG_ID)] == ["scan", "view-text", "show-ids"]
    assert sohoa.json("audit", "--holder-id", AN_ID) == []
    tomorrow = (date.today() + timedelta(days=1)).strftime("%d/%m/%Y")
    assert sohoa.json("audit", "--since", tomorrow) == []
    assert len(sohoa.json("audit", "--since", today)) >= 3
    human = sohoa("audit", "--paper", archived).stdout
    assert "view-text" in human and "kiemtra" in human and "0793******67" in human and HUONG_ID not in human


def test_edits_and_reuse_are_logged(sohoa, archived):
    sohoa("edit", archived, "--holder-name", "Đặng Thị Hương", "--user", "sua")
    sohoa("reuse", archived, "--record", AN_CODE, "--component", "Tờ khai đăng ký khai sinh", "--user", "dung-lai")
    actions = [(e["action"], e["user"]) for e in sohoa.json("audit", "--paper", archived)]
    assert ("edit", "sua") in actions and ("reuse", "dung-lai") in actions


def test_search_masks_citizen_ids_unless_shown_and_showing_is_logged(sohoa, archived):
    (hit,) = sohoa.json("search", "định", "danh")
    assert "0793******67" in hit["snippet"] and HUONG_ID not in hit["snippet"]
    human = sohoa("search", HUONG_ID).stdout  # found by the ID, printed masked
    assert f"#{archived}" in human and "0793******67" in human and HUONG_ID not in human

    (shown,) = sohoa.json("search", "định", "danh", "--show-ids", "--user", "thanh-tra")

    assert HUONG_ID in shown["snippet"]
    (logged,) = [e for e in sohoa.json("audit") if e["action"] == "show-ids"]
    assert logged["user"] == "thanh-tra" and "search" in logged["detail"]


def test_list_output_masks_ids(sohoa, archived):
    rows = sohoa.json("papers", "--holder-id", HUONG_ID)
    assert rows and HUONG_ID not in str(rows) and "0793******67" in str(rows)
    assert HUONG_ID in str(sohoa.json("papers", "--holder-id", HUONG_ID, "--show-ids"))


def test_mask_id_finds_ids_glued_to_letters_and_leaves_other_numbers():
    sha = hashlib.sha256(b"paper").hexdigest()
    assert mask_id("cccd079081902110.png") == "cccd0790******10.png"
    assert mask_id("CMND023456789_mat-truoc.jpg") == "CMND0234***89_mat-truoc.jpg"
    assert mask_id("so079203001234va001185009876") == "so0792******34va0011******76"
    for kept in (f"papers/{sha[:2]}/{sha}.pdf", sha, sha.upper(), "000.00.53.H48-260105-0001", "1.001612.000.00.00.H48",
                 "2026-01-05T10:20:30+07:00", "05/01/2026", "0903123456", "12345678901234", "scan-0001.png"):
        assert mask_id(kept) == kept


def test_a_file_named_with_an_id_is_masked_in_audit_and_search(sohoa, tmp_path):
    name = f"cccd{HUONG_ID}.png"
    masked = f"cccd{HUONG_ID[:4]}******{HUONG_ID[-2:]}.png"
    make_scan(tmp_path / name, page_lines("CĂN CƯỚC CÔNG DÂN", "Đặng Thị Hương"), dpi=300)
    (row,) = sohoa.jsonl("scan", tmp_path / name)

    (hit,) = sohoa.json("search", "căn", "cước")
    events = sohoa.json("audit", "--paper", row["id"])

    assert hit["source_name"] == masked and HUONG_ID not in str(hit)
    assert hit["pdf_path"] == row["pdf_path"]  # a path to open is kept whole (named by the SHA-256)
    assert [(e["action"], e["detail"]) for e in events] == [("scan", masked)]
    assert HUONG_ID not in sohoa("audit").stdout and HUONG_ID not in sohoa("search", "căn", "cước").stdout
    assert sohoa.json("search", "căn", "cước", "--show-ids")[0]["source_name"] == name
    assert sohoa.json("audit", "--paper", row["id"], "--show-ids")[0]["detail"] == name
