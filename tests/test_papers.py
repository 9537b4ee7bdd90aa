"""`sohoa papers --holder-id ID`: a citizen's papers, newest first, each with its validity."""

from __future__ import annotations

from tests.citizen_papers import AN_ID, ANH_ID, PAPERS


def test_a_citizens_papers_newest_first_with_validity(archive):
    cli, ids = archive

    rows = cli.json("papers", "--holder-id", ANH_ID)

    assert [r["id"] for r in rows] == [ids["xnhn-moi.png"], ids["xnhn-cu.png"], ids["cccd.png"]]
    assert [r["issue_date"] for r in rows] == [PAPERS[n][3].isoformat() for n in ("xnhn-moi.png", "xnhn-cu.png", "cccd.png")]
    assert all(r["holder_id"] == ANH_ID[:4] + "******" + ANH_ID[-2:] for r in rows)  # masked unless asked
    assert all(r["holder_id"] == ANH_ID for r in cli.json("papers", "--holder-id", ANH_ID, "--show-ids"))
    new, old, card = rows
    assert new["validity"]["status"] == "valid" and card["validity"]["status"] == "valid"
    assert old["validity"] == {"status": "expired", "expired_on": PAPERS["xnhn-cu.png"][4].isoformat(),
                               "replaced_by": None, "text": f"expired on {PAPERS['xnhn-cu.png'][4].isoformat()}"}
    assert new["doc_type"] == "Giấy xác nhận tình trạng hôn nhân" and new["pdf_path"].endswith(".pdf")


def test_human_output_and_the_valid_filter(archive):
    cli, ids = archive
    cli("replace", ids["xnhn-cu.png"], ids["xnhn-moi.png"])
    lines = cli("papers", "--holder-id", ANH_ID).stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"#{ids['xnhn-moi.png']} ") and " valid " in lines[0]
    assert f"replaced by #{ids['xnhn-moi.png']}; expired on" in lines[1]
    valid = cli.json("papers", "--holder-id", ANH_ID, "--valid")
    assert [r["id"] for r in valid] == [ids["xnhn-moi.png"], ids["cccd.png"]]


def test_a_corrected_holder_id_moves_the_paper(archive):
    cli, ids = archive
    cli("edit", ids["lltp.png"], "--holder-id", ANH_ID)
    assert ids["lltp.png"] in [r["id"] for r in cli.json("papers", "--holder-id", ANH_ID)]
    assert cli.json("papers", "--holder-id", AN_ID) == []
    assert cli("papers", "--holder-id", AN_ID).stdout.strip() == f"no papers of {AN_ID}"


def test_a_bad_id_is_refused(archive):
    cli, _ = archive
    result = cli("papers", "--holder-id", "12ab", expect=2)
    assert "a citizen ID has 12 digits" in result.stderr and "Traceback" not in result.stderr
