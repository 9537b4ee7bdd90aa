"""`sohoa replace OLD_ID NEW_ID`: a paper replaced by a newer one is no longer valid."""

from __future__ import annotations

from digitize.catalog import Catalog


def test_replace_marks_the_old_paper_and_logs_who(archive):
    cli, ids = archive
    old, new = ids["xnhn-cu.png"], ids["xnhn-moi.png"]

    assert cli("replace", old, new).stdout.strip() == f"#{old} is now replaced by #{new}"

    shown = cli.json("show", old)
    assert shown["validity"]["status"] == "replaced" and shown["validity"]["replaced_by"] == new
    assert shown["validity"]["text"].startswith(f"replaced by #{new}; expired on ")
    assert cli.json("show", new)["validity"] == {"status": "valid", "expired_on": None, "replaced_by": None,
                                                 "text": "valid"}
    catalog = Catalog(cli.root / "catalog.sqlite")
    row = catalog.db.execute("SELECT * FROM replacements").fetchone()
    doc = next(d for d in catalog.index_documents() if d["id"] == old)
    catalog.close()
    assert (row["paper_id"], row["new_paper_id"], row["recorded_by"]) == (old, new, "clerk-reuse")
    assert doc["replaced_by"] == new


def test_replacing_again_with_the_same_paper_is_a_no_op(archive):
    cli, ids = archive
    old, new = ids["xnhn-cu.png"], ids["xnhn-moi.png"]
    cli("replace", old, new)
    assert cli.json("replace", old, new) == {"paper": old, "replaced_by": new, "changed": False}


def test_refusals(archive):
    cli, ids = archive
    a, b, c = ids["xnhn-cu.png"], ids["xnhn-moi.png"], ids["cccd.png"]
    assert "cannot replace itself" in cli("replace", a, a, expect=2).stderr
    assert "no paper 999" in cli("replace", a, 999, expect=2).stderr
    cli("replace", a, b)
    assert f"already replaced by #{b}" in cli("replace", a, c, expect=2).stderr
    cli("replace", b, c)
    result = cli("replace", c, a, expect=2)  # c → a would close a loop a → b → c → a
    assert "already replaced, through newer papers" in result.stderr and "Traceback" not in result.stderr
