"""A paper seen, on a really scanned archive (tests/citizen_papers.py): its PDF, a page as PNG
(rendered once, then from the cache), the word boxes of a page; each view in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from digitize.errors import Forbidden, NotFound
from digitize.services import Actor, papers, upkeep, views

STAFF = Actor("staff-views", role="staff")
MANAGER = Actor("manager-views", role="manager")


def logged(archive, paper_id: int, action: str) -> list[dict]:
    return [e for e in upkeep.audit_log(archive, MANAGER, paper_id=paper_id) if e["action"] == action]


def test_the_pdf_is_the_papers_archived_copy_and_the_view_is_logged(opened):
    archive, ids = opened
    paper_id = ids["lltp.png"]
    stream, size = views.pdf(archive, STAFF, paper_id)
    with stream:
        data = stream.read()
    assert data.startswith(b"%PDF") and len(data) == size
    assert data == Path(papers.show(archive, STAFF, paper_id)["pdf_path"]).read_bytes()
    other, _ = views.pdf(archive, STAFF, ids["cccd.png"])
    with other:
        assert other.read() != data
    (event,) = logged(archive, paper_id, "view-pdf")
    assert event["user"] == "staff-views"


def test_a_page_image_has_the_width_asked_and_comes_from_the_cache_the_second_time(opened):
    archive, ids = opened
    paper_id = ids["cccd.png"]
    first = views.page_image(archive, STAFF, paper_id, 1, width=300)
    assert first.parent == archive.root / "cache" / "pages" and first.name.endswith("-1-300.png")
    with Image.open(first) as image:
        assert image.format == "PNG" and image.width == 300
    stamp = first.stat().st_mtime_ns
    again = views.page_image(archive, STAFF, paper_id, 1, width=300)
    assert again == first and again.stat().st_mtime_ns == stamp
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".tmp")]  # no work file left
    with Image.open(views.page_image(archive, STAFF, paper_id, 1, width=99999)) as huge:
        assert huge.width == 4000  # clamped
    with Image.open(views.page_image(archive, STAFF, paper_id, 1)) as default:
        assert 300 < default.width < 4000  # 150 dpi of an A4-ish page
    assert len(logged(archive, paper_id, "view-page")) == 4


def test_the_words_of_a_page_are_the_ocr_text_with_boxes_inside_the_page(opened):
    archive, ids = opened
    paper_id = ids["lltp.png"]
    words = views.page_words(archive, STAFF, paper_id, 1)
    text = papers.text(archive, STAFF, paper_id)
    found = [w for w in words if len(w["text"]) > 3 and w["text"] in text]
    assert found, words
    for w in words:
        assert set(w) == {"text", "x0", "y0", "x1", "y1"}
        assert 0 <= w["x0"] <= w["x1"] <= 1 and 0 <= w["y0"] <= w["y1"] <= 1
    assert any(w["x1"] > w["x0"] for w in found)


@pytest.mark.parametrize("page", [0, 2, -1])
def test_a_page_the_paper_has_not_is_not_found(opened, page):
    archive, ids = opened
    for view in (views.page_image, views.page_words):
        with pytest.raises(NotFound) as caught:
            view(archive, STAFF, ids["lltp.png"], page)
        assert caught.value.field == "page"


def test_unknown_papers_and_other_roles_are_refused(opened):
    archive, ids = opened
    with pytest.raises(NotFound):
        views.pdf(archive, STAFF, 99999)
    for view in (lambda: views.pdf(archive, MANAGER, ids["lltp.png"]),
                 lambda: views.page_image(archive, MANAGER, ids["lltp.png"], 1),
                 lambda: views.page_words(archive, MANAGER, ids["lltp.png"], 1)):
        with pytest.raises(Forbidden):
            view()
    assert not logged(archive, ids["lltp.png"], "view-pdf")


@pytest.mark.slow
def test_a_page_image_through_the_server_for_staff_not_for_a_manager(served):
    paper_id = served.ids["cccd.png"]
    with served.as_role("staff") as staff:
        answer = staff.get(f"/papers/{paper_id}/pages/1.png", params={"width": 300})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG") and int.from_bytes(answer.content[16:20], "big") == 300
    with served.as_role("manager") as manager:
        refused = manager.get(f"/papers/{paper_id}/pages/1.png", params={"width": 300})
    assert refused.status_code == 403 and refused.json()["error"]["kind"] == "Forbidden"
