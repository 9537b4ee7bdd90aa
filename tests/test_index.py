"""The search index: Vietnamese analysis, upsert/rebuild, queries, highlights, the writer lock.

Real Whoosh indexes in tmp_path; no mocks.
"""

from __future__ import annotations

import os
import unicodedata

import pytest
from whoosh import index as whoosh_index

from digitize.errors import ArchiveError, ArchiveLocked
from index import Hit, SearchIndex, VietnameseAnalyzer, fold

CODE = "000.00.53.H48-220921-0099"


def paper(id, text, **meta):
    doc = {
        "id": id,
        "text": text,
        "source_name": f"scan-{id}.pdf",
        "pdf_path": f"archive/{id:04d}.pdf",
        "scanned_at": "2024-05-02T09:30:00",
        "record_code": None,
        "component": None,
        "is_result": False,
        "applicant_name": None,
        "applicant_id": None,
        "procedure_code": None,
        "procedure_name": None,
        "agency": None,
    }
    doc.update(meta)
    return doc


@pytest.fixture
def ix(tmp_path):
    index = SearchIndex(tmp_path / "index")
    yield index
    index.close()


def ids(hits):
    return [h.id for h in hits]


# ------------------------------------------------------------------ analysis


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Đặng Thị Hương", "dang thi huong"),
        ("ĐẶNG THỊ HƯƠNG", "dang thi huong"),
        ("GIẤY KHAI SINH", "giay khai sinh"),
        ("Nguyễn Văn Ân", "nguyen van an"),
        ("đường Điện Biên Phủ", "duong dien bien phu"),
        ("Ưu đãi ở Ô Môn", "uu dai o o mon"),
        (unicodedata.normalize("NFD", "Hồ sơ số 12"), "ho so so 12"),
        ("plain ascii 123", "plain ascii 123"),
        (CODE, CODE.lower()),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_analyzer_keeps_one_letter_and_english_stop_words():
    tokens = [t.text for t in VietnameseAnalyzer(folded=False)("The cat and a dog, ở xã A; Ô tô")]
    assert tokens == ["the", "cat", "and", "a", "dog", "ở", "xã", "a", "ô", "tô"]
    folded = [t.text for t in VietnameseAnalyzer(folded=True)("Đặng ở xã A")]
    assert folded == ["dang", "o", "xa", "a"]


def test_analyzer_positions_refer_to_the_nfc_string():
    nfd = unicodedata.normalize("NFD", "Họ tên: Đặng Thị Hương")
    nfc = unicodedata.normalize("NFC", nfd)
    assert len(nfd) > len(nfc)
    for folded in (False, True):
        tokens = [(t.text, t.startchar, t.endchar) for t in VietnameseAnalyzer(folded)(nfd, chars=True)]
        assert [nfc[s:e] for _, s, e in tokens] == ["Họ", "tên", "Đặng", "Thị", "Hương"]


# ------------------------------------------------------------------ searching


def test_folded_queries_find_marked_text(ix):
    ix.add(
        [
            paper(1, "ĐƠN ĐỀ NGHỊ\nHọ và tên người yêu cầu: Nguyễn Văn An\nNơi cư trú: xã Tân Phú"),
            paper(2, "Bà Đặng Thị Hương, sinh năm 1975, thường trú tại phường 3"),
            paper(3, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nGIẤY KHAI SINH\nHọ, chữ đệm, tên: Lê Minh"),
        ]
    )
    assert ids(ix.search("nguyen van an")) == [1]
    assert ids(ix.search("dang")) == [2]
    assert ids(ix.search("giay khai sinh")) == [3]
    assert ids(ix.search("Giấy Khai Sinh")) == [3]
    assert ix.search("nguyen van binh") == []  # AND between words


def test_nfd_query_finds_nfc_text_and_back(ix):
    ix.add([paper(1, "Phường Bến Nghé"), paper(2, unicodedata.normalize("NFD", "Thị trấn Củ Chi"))])
    assert ids(ix.search(unicodedata.normalize("NFD", "Bến Nghé"))) == [1]
    assert ids(ix.search("Củ Chi")) == [2]
    (hit,) = ix.search("cu chi")
    assert hit.snippet == "Thị trấn **Củ** **Chi**"
    assert unicodedata.is_normalized("NFC", hit.snippet)


def test_exact_spelling_ranks_first(ix):
    ix.add(
        [
            paper(1, "Người yêu cầu: Nguyễn Văn An, sinh năm 1980"),
            paper(2, "Người yêu cầu: Nguyễn Văn Ân, sinh năm 1980"),
        ]
    )
    assert ids(ix.search("Nguyễn Văn Ân")) == [2, 1]
    assert ids(ix.search("Nguyễn Văn An")) == [1, 2]
    assert sorted(ids(ix.search("nguyen van an"))) == [1, 2]


def test_record_code_search(ix):
    ix.add(
        [
            paper(1, "Tờ khai", record_code=CODE, component="Tờ khai"),
            paper(2, "Tờ khai", record_code="000.00.53.H48-220921-0100"),
        ]
    )
    for q in (CODE, CODE.lower()):
        hits = ix.search(q)
        assert ids(hits)[0] == 1 and hits[0].matched == ["record_code"]
        assert hits[0].record_code == CODE
    assert ids(ix.search("220921-0100")) == [2]  # a part of the code finds it too


def test_applicant_id_search(ix):
    ix.add(
        [
            paper(1, "Căn cước công dân", applicant_id="001080012345", applicant_name="Trần Văn Bình"),
            paper(2, "Căn cước công dân", applicant_id="079190000001"),
        ]
    )
    hits = ix.search("001080012345")
    assert ids(hits) == [1]
    assert hits[0].matched == ["applicant_id"]


def test_metadata_match_reports_field_and_leads_with_text(ix):
    text = "ĐƠN ĐĂNG KÝ KẾT HÔN\n\n" + "Kính gửi Ủy ban nhân dân phường Bến Nghé. " * 10
    ix.add([paper(1, text, applicant_name="Trần Văn Bình", agency="UBND phường Bến Nghé", foo="ignored")])
    (hit,) = ix.search("binh")
    assert isinstance(hit, Hit)
    assert hit.matched == ["applicant_name"]
    assert hit.snippet.startswith("ĐƠN ĐĂNG KÝ KẾT HÔN Kính gửi")
    assert "**" not in hit.snippet and "\n" not in hit.snippet
    assert len(hit.snippet) <= 155
    (hit,) = ix.search("ben nghe")
    assert hit.matched == ["text", "agency"]
    assert (hit.source_name, hit.pdf_path, hit.component) == ("scan-1.pdf", "archive/0001.pdf", None)


def test_snippet_highlights_folded_match(ix):
    filler = "Nội dung   không liên quan\n" * 20
    ix.add([paper(1, filler + "Người khai: Đặng Thị Hương.\n" + filler)])
    (hit,) = ix.search("dang")
    assert "**Đặng** Thị Hương" in hit.snippet
    assert "\n" not in hit.snippet and "  " not in hit.snippet
    assert len(hit.snippet) <= 220
    assert hit.matched == ["text"]


def test_empty_and_malformed_queries_do_not_raise(ix):
    ix.add([paper(1, "Nguyễn Văn An and the cat")])
    for q in ['"unclosed', "AND", "OR NOT", "(", ")", "text:", "[a TO", "nguyen^", "*", "-", ""]:
        assert isinstance(ix.search(q), list), q
    assert ix.search("") == [] and ix.search("   ") == []
    assert ids(ix.search('"nguyen van')) == [1]
    assert ids(ix.search("nguyen AND")) == [1]
    assert ids(ix.search("Nguyễn - An")) == [1]
    assert ids(ix.search("AND")) == [1]  # searched as the word "and"
    assert ix.search("khong co") == []


# ------------------------------------------------------------------ writing


def test_upsert_does_not_duplicate(ix):
    assert ix.add([paper(1, "bản cũ"), paper(2, "giấy tờ khác")]) == [1, 2]
    assert ix.add([paper(1, "bản mới")]) == [1]
    assert ix.add([paper(3, "lần một"), paper(3, "lần hai")]) == [3]  # same id twice in a batch
    assert ix.count() == 3 and ix.ids() == {1, 2, 3}
    assert ix.search("ban cu") == []
    assert ids(ix.search("ban moi")) == [1]
    assert ids(ix.search("lan")) == [3] and ids(ix.search("lan hai")) == [3]
    assert ix.add([]) == []


def test_searcher_is_cached_and_refreshed(ix):
    assert ix.search("mot") == [] and ix.count() == 0  # searcher on the empty index
    ix.add([paper(1, "một")])
    ix.search("mot")
    searcher = ix._searcher
    ix.search("mot")
    assert ix._searcher is searcher  # no new searcher while nothing changed
    ix.add([paper(2, "một nữa")])
    assert sorted(ids(ix.search("mot"))) == [1, 2]


def test_many_small_commits_stay_consistent(ix):
    # Whoosh merges small segments as commits pile up; a refreshed searcher must not keep
    # the merged-away segments (whoosh-reloaded's Searcher.refresh() does).
    for i in range(25):
        ix.add([paper(i % 5, f"phiên bản {i}")])
        assert ix.count() == min(i + 1, 5)
    assert ix.ids() == {0, 1, 2, 3, 4}
    assert sorted(ids(ix.search("phien ban", limit=50))) == [0, 1, 2, 3, 4]
    assert ids(ix.search("24")) == [4] and ix.search("19") == []  # 19 was replaced by 24


def test_rebuild_replaces_content(tmp_path, ix):
    ix.add([paper(1, "giấy cũ một"), paper(2, "giấy cũ hai")])
    other = SearchIndex(tmp_path / "index")  # e.g. another process, already searching
    assert sorted(ids(other.search("giay cu"))) == [1, 2]

    assert ix.rebuild(iter([paper(7, "giấy mới"), paper(8, "giấy mới nữa")])) == 2
    assert ix.ids() == {7, 8} and ix.count() == 2
    assert ix.search("giay cu") == []
    assert sorted(ids(ix.search("giay moi"))) == [7, 8]
    assert sorted(ids(other.search("giay moi"))) == [7, 8]
    assert other.search("giay cu") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]  # no temp dirs left
    ix.add([paper(9, "giấy mới sau")])  # the swapped-in index takes writes
    assert other.ids() == {7, 8, 9}
    other.close()


def test_crash_during_rebuild_keeps_old_index(tmp_path, ix):
    ix.add([paper(1, "giấy cũ")])

    def docs():
        yield paper(2, "giấy mới")
        raise RuntimeError("catalog read failed")

    with pytest.raises(RuntimeError):
        ix.rebuild(docs())
    assert ix.ids() == {1} and ids(ix.search("giay cu")) == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_interrupted_swap_is_recovered(tmp_path):
    path = tmp_path / "index"
    ix = SearchIndex(path)
    ix.add([paper(1, "giấy cũ")])
    ix.close()
    os.rename(path, tmp_path / ".index.old-123-abc")  # crash between the two renames
    ix = SearchIndex(path)
    assert ix.ids() == {1}
    ix.close()


def test_writer_lock_times_out_with_archive_locked(tmp_path, ix):
    ix.add([paper(1, "giấy cũ")])
    writer = whoosh_index.open_dir(str(tmp_path / "index")).writer()  # another sohoa process
    try:
        with pytest.raises(ArchiveLocked) as err:
            ix.add([paper(2, "giấy mới")], timeout=0.5)
        assert err.value.exit_code == 6
        assert str(err.value) == (
            "the search index is being written by another sohoa process (waited 0.5 s); "
            "try again when it finishes"
        )
        with pytest.raises(ArchiveLocked):
            ix.rebuild([paper(3, "giấy khác")], timeout=0.2)
        assert ids(ix.search("giay")) == [1]  # readers never wait for the writer
    finally:
        writer.cancel()
    assert ix.add([paper(2, "giấy mới")], timeout=0.5) == [2]
    assert ix.ids() == {1, 2}


def test_damaged_index_can_be_rebuilt(tmp_path):
    path = tmp_path / "index"
    ix = SearchIndex(path)
    ix.add([paper(1, "giấy cũ")])
    ix.close()
    for toc in path.glob("_MAIN_*.toc"):
        toc.write_bytes(b"not a table of contents")
    ix = SearchIndex(path)  # opening does not fail: rebuilding is how it gets repaired
    with pytest.raises(ArchiveError, match="rebuild"):
        ix.search("giay")
    assert ix.rebuild([paper(2, "giấy mới")]) == 1
    assert ix.ids() == {2} and ids(ix.search("giay moi")) == [2]
    ix.close()
