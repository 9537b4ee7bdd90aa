"""`sohoa edit ID --field value…`: corrections win over extraction, survive re-extraction, are logged
with who and when, and reach the search index."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from digitize.catalog import Catalog
from tests.citizen_papers import AN_ID, ANH_ID


def test_a_correction_wins_and_is_logged_with_who_and_when(archive):
    cli, ids = archive
    paper = ids["xnhn-moi.png"]
    before = cli.json("show", paper)["metadata"]
    assert before["holder_name"]["source"] == "extracted" and before["holder_name"]["value"] == "Trần Thị Ngọc Ánh"
    started = datetime.now(timezone.utc) - timedelta(seconds=2)

    out = cli.json("edit", paper, "--holder-name", "Trần Thị Ngọc Anh", "--expiry-date", "01/01/2030",
                   "--number", "12/UBND-XNHN")

    assert {c["field"]: (c["old"], c["new"]) for c in out["changes"]} == {
        "holder_name": ("Trần Thị Ngọc Ánh", "Trần Thị Ngọc Anh"),
        "expiry_date": (before["expiry_date"]["value"], "2030-01-01"),  # DD/MM/YYYY stored as ISO
        "number": (None, "12/UBND-XNHN"),
    }
    md = cli.json("show", paper)["metadata"]
    assert md["holder_name"]["value"] == "Trần Thị Ngọc Anh"
    assert md["holder_name"]["source"] == "corrected" and md["holder_name"]["confidence"] == 1.0
    assert md["holder_name"]["corrected_by"] == "clerk-reuse"
    assert started <= datetime.fromisoformat(md["holder_name"]["corrected_at"]) <= datetime.now(timezone.utc)
    assert md["doc_type"]["source"] == "extracted"  # fields not named stay as extracted
    human = cli("show", paper).stdout
    assert "Trần Thị Ngọc Anh (corrected by clerk-reuse)" in human


def test_corrections_survive_re_extraction(archive):
    cli, ids = archive
    paper = ids["cccd.png"]
    cli("edit", paper, "--holder-id", ANH_ID, "--issuer", "Cục Cảnh sát QLHC về TTXH")
    assert "extracted metadata from 1 papers" in cli("extract", paper).stdout
    cli("extract", "--all")
    md = cli.json("show", paper, "--show-ids")["metadata"]  # IDs are masked unless asked (issue 11 #14)
    assert (md["issuer"]["value"], md["issuer"]["source"]) == ("Cục Cảnh sát QLHC về TTXH", "corrected")
    assert (md["holder_id"]["value"], md["holder_id"]["source"]) == (ANH_ID, "corrected")
    assert md["doc_type"]["value"] == "Căn cước công dân" and md["doc_type"]["source"] == "extracted"


def test_every_correction_is_kept_in_the_log(archive):
    cli, ids = archive
    paper = ids["lltp.png"]
    cli("edit", paper, "--doc-type", "Phiếu lý lịch tư pháp số 1")
    cli.user = "clerk-two"
    cli("edit", paper, "--doc-type", "")  # clearing is a correction too: no value wins over extraction
    catalog = Catalog(cli.root / "catalog.sqlite")
    log = catalog.db.execute("SELECT field, old_value, new_value, corrected_by FROM corrections "
                             "WHERE paper_id = ? ORDER BY id", (paper,)).fetchall()
    catalog.close()
    assert [tuple(r) for r in log] == [
        ("doc_type", "Phiếu lý lịch tư pháp", "Phiếu lý lịch tư pháp số 1", "clerk-reuse"),
        ("doc_type", "Phiếu lý lịch tư pháp số 1", None, "clerk-two"),
    ]
    md = cli.json("show", paper)["metadata"]["doc_type"]
    assert md["value"] is None and md["source"] == "corrected" and md["corrected_by"] == "clerk-two"


def test_the_index_gets_the_corrected_values(archive):
    cli, ids = archive
    paper = ids["lltp.png"]
    cli("edit", paper, "--holder-name", "Nguyễn Văn Ân", "--expiry-date", "2031-05-06")
    catalog = Catalog(cli.root / "catalog.sqlite")
    (indexed,) = catalog.db.execute("SELECT indexed FROM papers WHERE id = ?", (paper,)).fetchone()
    doc = next(d for d in catalog.index_documents() if d["id"] == paper)
    catalog.close()
    assert indexed == 1  # re-indexed by the edit itself
    assert doc["holder_name"] == "Nguyễn Văn Ân" and doc["expiry_date"] == "2031-05-06"
    assert doc["holder_id"] == "079203001234" and doc["doc_type"] == "Phiếu lý lịch tư pháp"
    assert doc["replaced_by"] is None


@pytest.mark.parametrize("args, message", [
    (["--issue-date", "31/02/2024"], "--issue-date '31/02/2024': no such date"),
    (["--holder-id", "12345"], "--holder-id '12345': a citizen ID has 12 digits"),
    (["--holder-id", "099185009876"], "099 is not a province code"),
    ([], "nothing to change"),
])
def test_bad_values_are_refused_in_one_line(archive, args, message):
    cli, ids = archive
    result = cli("edit", ids["cccd.png"], *args, expect=2)
    assert result.stderr.startswith("sohoa: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert cli.json("show", ids["cccd.png"])["metadata"]["issue_date"]["source"] == "extracted"


def test_unknown_paper(archive):
    cli, _ = archive
    result = cli("edit", 999, "--number", "1", expect=2)
    assert "no paper 999" in result.stderr


def test_show_and_edit_mask_the_holder_id_unless_asked_and_log_the_unmasking(archive):
    cli, ids = archive
    paper = ids["cccd.png"]
    masked = ANH_ID[:4] + "******" + ANH_ID[-2:]
    assert cli.json("show", paper)["metadata"]["holder_id"]["value"] == masked
    assert ANH_ID not in cli("show", paper).stdout and masked in cli("show", paper).stdout
    assert not [e for e in cli.json("audit", "--paper", paper) if e["action"] == "show-ids"]
    assert cli.json("show", paper, "--show-ids")["metadata"]["holder_id"]["value"] == ANH_ID
    shown = [e for e in cli.json("audit", "--paper", paper) if e["action"] == "show-ids"]
    assert len(shown) == 1 and shown[0]["detail"] == f"show {paper}"
    edited = cli.json("edit", paper, "--holder-id", AN_ID)
    assert AN_ID not in json.dumps(edited) and ANH_ID not in json.dumps(edited)
    assert AN_ID not in cli("edit", paper, "--holder-id", ANH_ID).stdout
