"""`sohoa reuse ID --record CODE --component NAME`: an archived paper serves another record's
component, marked reused and logged; expired or replaced papers are refused unless forced."""

from __future__ import annotations

from digitize.catalog import Catalog
from tests.citizen_papers import MARRIAGE

STATUS = "Giấy xác nhận tình trạng hôn nhân"


def attachments(cli, paper):
    return cli.json("show", paper)["attachments"]


def reuse_log(cli):
    catalog = Catalog(cli.root / "catalog.sqlite")
    rows = [dict(r) for r in catalog.db.execute("SELECT * FROM reuses ORDER BY id")]
    catalog.close()
    return rows


def test_a_valid_paper_is_attached_as_reused_and_logged(archive):
    cli, ids = archive
    paper = ids["xnhn-moi.png"]

    out = cli("reuse", paper, "--record", MARRIAGE, "--component", STATUS).stdout

    assert out.strip() == f"#{paper} reused for {MARRIAGE} / {STATUS} (valid)"
    (a,) = attachments(cli, paper)
    assert (a["record_code"], a["component"], a["reused"], a["attached_by"]) == (MARRIAGE, STATUS, 1, "clerk-reuse")
    (log,) = reuse_log(cli)
    assert (log["paper_id"], log["record_code"], log["component"], log["validity"], log["forced"]) == \
        (paper, MARRIAGE, STATUS, "valid", 0)
    assert log["reused_by"] == "clerk-reuse" and log["reused_at"]
    # The record now counts the component as reused (the register keeps that count).
    record = cli.json("records", "show", MARRIAGE)
    (component,) = [c for c in record["components"] if c["name"] == STATUS]
    assert [p["id"] for p in component["papers"]] == [paper] and component["papers"][0]["reused"]


def test_reusing_again_changes_nothing(archive):
    cli, ids = archive
    paper = ids["cccd.png"]
    cli("reuse", paper, "--record", MARRIAGE, "--component", "bản chụp căn cước công dân")  # case-blind
    again = cli.json("reuse", paper, "--record", MARRIAGE, "--component", "Bản chụp Căn cước công dân")
    assert again["changed"] is False
    assert len(attachments(cli, paper)) == 1 and len(reuse_log(cli)) == 1


def test_an_expired_paper_is_refused_with_the_reason(archive):
    cli, ids = archive
    paper = ids["xnhn-cu.png"]
    expiry = cli.json("show", paper)["metadata"]["expiry_date"]["value"]

    result = cli("reuse", paper, "--record", MARRIAGE, "--component", STATUS, expect=2)

    assert result.stderr.strip() == (f"sohoa: paper {paper} is expired on {expiry}; attach a valid paper, "
                                     "or reuse it anyway with --force --reason TEXT")
    assert attachments(cli, paper) == [] and reuse_log(cli) == []


def test_force_needs_a_reason_and_is_logged_with_it(archive):
    cli, ids = archive
    paper = ids["xnhn-cu.png"]
    result = cli("reuse", paper, "--record", MARRIAGE, "--component", STATUS, "--force", expect=2)
    assert "--force needs --reason" in result.stderr and attachments(cli, paper) == []

    done = cli.json("reuse", paper, "--record", MARRIAGE, "--component", STATUS, "--force",
                    "--reason", "bản gốc còn hiệu lực theo xác nhận của UBND")

    assert done["changed"] and done["forced"] and done["validity"].startswith("expired on ")
    (log,) = reuse_log(cli)
    assert log["forced"] == 1 and log["reason"] == "bản gốc còn hiệu lực theo xác nhận của UBND"
    assert attachments(cli, paper)[0]["reused"] == 1


def test_a_replaced_paper_is_refused(archive):
    cli, ids = archive
    old, new = ids["xnhn-moi.png"], ids["xnhn-cu.png"]  # pretend the order was the other way round
    cli("edit", new, "--expiry-date", "2099-01-01")
    cli("replace", old, new)
    result = cli("reuse", old, "--record", MARRIAGE, "--component", STATUS, expect=2)
    assert f"paper {old} is replaced by #{new};" in result.stderr
    cli("reuse", new, "--record", MARRIAGE, "--component", STATUS)


def test_unknown_record_component_or_paper(archive):
    cli, ids = archive
    paper = ids["cccd.png"]
    assert "unknown record code" in cli("reuse", paper, "--record", "000.00.00.H00-260101-0001",
                                        "--component", STATUS, expect=2).stderr
    result = cli("reuse", paper, "--record", MARRIAGE, "--component", "Sổ hộ khẩu", expect=2)
    assert "has no component 'Sổ hộ khẩu'" in result.stderr and STATUS in result.stderr
    assert "no paper 999" in cli("reuse", 999, "--record", MARRIAGE, "--component", STATUS, expect=2).stderr
    assert reuse_log(cli) == []


def test_reuse_is_in_the_audit_log(archive):
    cli, ids = archive
    paper = ids["cccd.png"]
    cli("reuse", paper, "--record", MARRIAGE, "--component", "Bản chụp Căn cước công dân")
    (event,) = [e for e in cli.json("audit", "--paper", paper) if e["action"] == "reuse"]
    assert event["record_code"] == MARRIAGE and event["user"] == "clerk-reuse"
    assert "Bản chụp Căn cước công dân; valid" in event["detail"]
