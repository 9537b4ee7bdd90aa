"""The search index: Vietnamese analysis, upsert/rebuild, queries, highlights, the writer lock.

Every behaviour test runs against both engines (real Whoosh and tantivy indexes in tmp_path;
no mocks), and a few compare the two engines' answers directly.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import unicodedata
from datetime import date
from importlib.util import find_spec

import pytest

from digitize.errors import ArchiveError, ArchiveLocked, BadArgument, from_library, library_errors
from index import errors as search_errors
from index import init_index
from index import Filters, Hit, VietnameseAnalyzer, fold, open_index, recorded_engine

ENGINES = ["whoosh", pytest.param("tantivy", marks=pytest.mark.skipif(
    find_spec("tantivy") is None, reason="tantivy not installed: pip install 'sohoa[tantivy]'")),
           pytest.param("postgres", marks=pytest.mark.skipif(
               find_spec("psycopg") is None, reason="psycopg not installed: pip install 'sohoa[postgresql]'"))]

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


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    if request.param == "postgres":  # a fresh database, named as an archive's operator names it
        monkeypatch.setenv("SOHOA_SEARCH_URL", request.getfixturevalue("postgres_url"))
    return request.param


def left_beside(engine):
    """What an index leaves beside its directory: the lock, the engine's name (and the server's URL)."""
    return [".index.lock", "index", "index.engine"] + (["index.search-url"] if engine == "postgres" else [])


@pytest.fixture
def ix(tmp_path, engine):
    index = open_index(tmp_path / "index", engine)
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


def test_ranked_is_every_match_in_the_order_of_the_pages(ix):
    ix.add([paper(n, f"Giấy tờ số {n} của Nguyễn Văn An" + " Nguyễn" * (n % 4)) for n in range(1, 31)]
           + [paper(99, "Trần Thị Bình")])
    total, every = ix.search_page("nguyen", limit=100)
    ranked = ix.ranked("nguyen")
    assert total == 30 and [i for i, _ in ranked] == ids(every)
    assert [s for _, s in ranked] == [h.score for h in every]
    # four runs of equal scores (n % 4): a page cut at the end of a run is the full order's slice
    ends = [n + 1 for n in range(len(ranked) - 1) if ranked[n][1] != ranked[n + 1][1]]
    assert len(ends) == 3
    assert ids(ix.search_page("nguyen", limit=ends[1] - 3, offset=3)[1]) == [i for i, _ in ranked[3:ends[1]]]
    assert ix.ranked("") == [] and ix.ranked("không có") == []


def test_upsert_does_not_duplicate(ix):
    assert ix.add([paper(1, "bản cũ"), paper(2, "giấy tờ khác")]) == [1, 2]
    assert ix.add([paper(1, "bản mới")]) == [1]
    assert ix.add([paper(3, "lần một"), paper(3, "lần hai")]) == [3]  # same id twice in a batch
    assert ix.count() == 3 and ix.ids() == {1, 2, 3}
    assert ix.search("ban cu") == []
    assert ids(ix.search("ban moi")) == [1]
    assert ids(ix.search("lan")) == [3] and ids(ix.search("lan hai")) == [3]
    assert ix.add([]) == []


def test_reader_follows_commits(ix):
    assert ix.search("mot") == [] and ix.count() == 0  # searcher on the empty index
    ix.add([paper(1, "một")])
    assert ids(ix.search("mot")) == [1]
    stamp = ix._stamp
    ix.search("mot")
    assert ix._stamp == stamp  # nothing reopened while nothing changed
    ix.add([paper(2, "một nữa")])
    assert sorted(ids(ix.search("mot"))) == [1, 2]


def test_many_small_commits_stay_consistent(ix):
    # Engines merge small segments as commits pile up; a refreshed reader must not keep
    # the merged-away segments (whoosh-reloaded's Searcher.refresh() does).
    for i in range(25):
        ix.add([paper(i % 5, f"phiên bản {i}")])
        assert ix.count() == min(i + 1, 5)
    assert ix.ids() == {0, 1, 2, 3, 4}
    assert sorted(ids(ix.search("phien ban", limit=50))) == [0, 1, 2, 3, 4]
    assert ids(ix.search("24")) == [4] and ix.search("19") == []  # 19 was replaced by 24


def test_rebuild_replaces_content(tmp_path, ix, engine):
    ix.add([paper(1, "giấy cũ một"), paper(2, "giấy cũ hai")])
    other = open_index(tmp_path / "index")  # e.g. another process, already searching
    assert sorted(ids(other.search("giay cu"))) == [1, 2]

    assert ix.rebuild(iter([paper(7, "giấy mới"), paper(8, "giấy mới nữa")])) == 2
    assert ix.ids() == {7, 8} and ix.count() == 2
    assert ix.search("giay cu") == []
    assert sorted(ids(ix.search("giay moi"))) == [7, 8]
    assert sorted(ids(other.search("giay moi"))) == [7, 8]
    assert other.search("giay cu") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == left_beside(engine)  # no build left
    ix.add([paper(9, "giấy mới sau")])  # the swapped-in index takes writes
    assert other.ids() == {7, 8, 9}
    assert recorded_engine(tmp_path / "index") == engine
    other.close()


def test_killed_rebuild_keeps_old_index_and_resumes(tmp_path, ix, engine):
    ix.add([paper(1, "giấy cũ")])
    read = []

    def docs(fail_after=None, changed=()):
        for i in range(2, 9):
            if i == fail_after:
                raise RuntimeError("killed")
            read.append(i)
            yield paper(i, f"giấy mới {'sửa ' if i in changed else ''}số {i}")

    with pytest.raises(RuntimeError):
        ix.rebuild(docs(fail_after=7), chunk=2)  # 2..5 committed in two chunks, 6 lost
    assert ix.ids() == {1} and ids(ix.search("giay cu")) == [1]  # the old index is untouched
    assert (tmp_path / ".index.new").is_dir()

    progress = []
    assert ix.rebuild(docs(changed={3}), chunk=2, on_progress=lambda n, skipped: progress.append(skipped)) == 7
    assert progress[-1] == 3  # 2, 4 and 5 were kept from the killed build; 3 changed since
    assert ix.ids() == {2, 3, 4, 5, 6, 7, 8} and ix.count() == 7
    assert ids(ix.search("sua")) == [3] and ix.search("giay cu") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == left_beside(engine)


def test_interrupted_swap_is_recovered(tmp_path, engine):
    path = tmp_path / "index"
    ix = open_index(path, engine)
    ix.add([paper(1, "giấy cũ")])
    ix.close()
    os.rename(path, tmp_path / ".index.old-123-abc")  # crash between the two renames
    ix = open_index(path)
    assert ix.name == engine and ix.ids() == {1}
    ix.close()


def test_writer_lock_times_out_with_archive_locked(tmp_path, ix):
    ix.add([paper(1, "giấy cũ")])
    fd = os.open(tmp_path / ".index.lock", os.O_RDWR)  # another sohoa process writing
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(ArchiveLocked) as err, library_errors():
            ix.add([paper(2, "giấy mới")], timeout=0.5)
        assert err.value.exit_code == 6
        assert str(err.value) == (
            "the search index is being written by another sohoa process (waited 0.5 s); "
            "try again when it finishes"
        )
        with pytest.raises(ArchiveLocked), library_errors():
            ix.rebuild([paper(3, "giấy khác")], timeout=0.2)
        assert ids(ix.search("giay")) == [1]  # readers never wait for the writer
    finally:
        os.close(fd)
    assert ix.add([paper(2, "giấy mới")], timeout=0.5) == [2]
    assert ix.ids() == {1, 2}


def test_the_index_raises_its_own_errors_which_keep_their_message_as_the_archives_kinds(tmp_path, engine):
    path = tmp_path / "index"
    with open_index(path, engine) as ix:
        ix.add([paper(1, "giấy cũ")])
    fd = os.open(tmp_path / ".index.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with open_index(path) as ix, pytest.raises(search_errors.IndexLocked) as locked:
            ix.add([paper(2, "giấy mới")], timeout=0.2)
    finally:
        os.close(fd)
    other = "tantivy" if engine == "whoosh" else "whoosh"
    with pytest.raises(search_errors.EngineInUse) as in_use:
        init_index(path, other)
    for raised, kind, code in ((locked.value, ArchiveLocked, 6), (in_use.value, BadArgument, 2)):
        again = pickle.loads(pickle.dumps(raised))
        assert type(again) is type(raised) and isinstance(again, search_errors.SearchIndexError)
        mapped = from_library(again)
        assert type(mapped) is kind and mapped.exit_code == code and str(mapped) == str(raised)


def test_a_rebuild_calls_before_swap_between_its_renames(tmp_path, engine):
    path = tmp_path / "index"
    with open_index(path, engine) as ix:
        ix.add([paper(1, "giấy cũ")])

        def kill():  # as a crash point does: the old index is set aside, the new one not yet in place
            assert not path.exists()
            raise OSError("stopped between the renames")

        with pytest.raises(OSError, match="between the renames"):
            ix.rebuild([paper(2, "giấy mới")], before_swap=kill)
    with open_index(path) as ix:  # the old index is put back
        assert ix.ids() == {1}


def test_damaged_index_can_be_rebuilt(tmp_path, engine):
    path = tmp_path / "index"
    ix = open_index(path, engine)
    ix.add([paper(1, "giấy cũ")])
    ix.close()
    for f in [*path.glob("_MAIN_*.toc"), *path.glob("meta.json"), *path.glob("postgres.json")]:
        f.write_bytes(b"not a table of contents")
    ix = open_index(path)  # opening does not fail: rebuilding is how it gets repaired
    with pytest.raises(ArchiveError, match="rebuild"), library_errors():
        ix.search("giay")
    assert ix.rebuild([paper(2, "giấy mới")]) == 1
    assert ix.ids() == {2} and ids(ix.search("giay moi")) == [2]
    ix.close()


# ------------------------------------------------------------------ engines


def test_new_index_records_its_engine_and_default_is_whoosh(tmp_path, engine):
    assert recorded_engine(tmp_path / "none") is None
    with open_index(tmp_path / "a") as ix:
        assert ix.name == "whoosh"
    with open_index(tmp_path / "b", engine) as ix:
        ix.add([paper(1, "giấy")])
    assert (tmp_path / "b.engine").read_text().strip() == engine
    with open_index(tmp_path / "b") as ix:
        assert ix.name == engine and ix.ids() == {1}


@pytest.mark.skipif(find_spec("tantivy") is None, reason="tantivy not installed")
@pytest.mark.parametrize("before, after", [("whoosh", "tantivy"), ("tantivy", "whoosh")])
def test_switching_engine_is_a_rebuild(tmp_path, before, after):
    path = tmp_path / "index"
    with open_index(path, before) as ix:
        ix.add([paper(1, "giấy cũ")])
    other = open_index(path, after)  # not what the directory holds: only rebuild works
    with pytest.raises(ArchiveError, match=f"written by {before}.*rebuild"), library_errors():
        other.search("giay")
    assert other.rebuild([paper(1, "giấy cũ"), paper(2, "giấy mới")]) == 2
    assert sorted(ids(other.search("giay"))) == [1, 2]
    other.close()
    with open_index(path) as ix:
        assert ix.name == after and ix.ids() == {1, 2}
    shutil.rmtree(path)  # the choice is kept beside the index: a deleted index comes back empty
    with open_index(path) as ix:
        assert ix.name == after and ix.ids() == set()


@pytest.mark.skipif(find_spec("psycopg") is None, reason="psycopg not installed")
@pytest.mark.parametrize("before, after", [("whoosh", "postgres"), ("postgres", "whoosh")])
def test_switching_to_and_from_postgres_is_a_rebuild_that_drops_the_old_tables(tmp_path, postgres_url, before, after):
    import psycopg

    def tables():
        with psycopg.connect(postgres_url) as db:
            return {r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    path = tmp_path / "index"
    with open_index(path, before, url=postgres_url) as ix:
        ix.add([paper(1, "giấy cũ")])
        assert ix.rebuild([paper(1, "giấy cũ")]) == 1  # the rebuilt table replaces the first one
    assert len(tables()) == (2 if before == "postgres" else 0)  # the papers and their words
    with open_index(path, after, url=postgres_url) as other:
        with pytest.raises(ArchiveError, match=f"written by {before}.*rebuild"), library_errors():
            other.search("giay")
        assert other.rebuild([paper(1, "giấy cũ"), paper(2, "giấy mới")]) == 2
        assert sorted(ids(other.search("giay"))) == [1, 2]
    assert len(tables()) == (2 if after == "postgres" else 0)
    with open_index(path) as ix:
        assert ix.name == after and ix.ids() == {1, 2}


@pytest.mark.skipif(find_spec("psycopg") is None, reason="psycopg not installed")
def test_postgres_records_its_server_without_the_password_and_needs_one(tmp_path, postgres_url, monkeypatch):
    monkeypatch.delenv("SOHOA_SEARCH_URL", raising=False)
    with_password = postgres_url.replace("sohoa@", "sohoa:s3cret@")  # trust auth: the password is not asked
    assert init_index(tmp_path / "index", "postgres", with_password) == ("postgres", True)
    recorded = (tmp_path / "index.search-url").read_text()
    assert "s3cret" not in recorded and "s3cret" not in (tmp_path / "index" / "postgres.json").read_text()
    with open_index(tmp_path / "index") as ix:  # the recorded server
        ix.add([paper(1, "giấy")])
        assert ids(ix.search("giay")) == [1]
    with pytest.raises(BadArgument, match="no server is named.*--search-url"), library_errors():
        open_index(tmp_path / "other", "postgres")
    with pytest.raises(BadArgument, match="cannot reach the search database"), library_errors():
        open_index(tmp_path / "other", "postgres", url="postgresql://sohoa@127.0.0.1:1/nothing")


@pytest.mark.skipif(find_spec("psycopg") is None, reason="psycopg not installed")
def test_postgres_ranks_a_bounded_set_of_a_broad_query_and_says_its_total_is_an_estimate(postgres_url, tmp_path):
    from index.hits import Estimate

    docs = [paper(n, f"Giấy tờ số {n} của Nguyễn Văn An" + " Nguyễn" * (n % 4)) for n in range(1, 31)]
    docs += [paper(40, "Giấy tờ của Nguyễn Văn Ân"),  # the exact spelling, far beyond the first matches
             paper(41, "Giấy tờ số 41", holder_name="Nguyễn Văn Bình", holder_id=CITIZEN)]  # the words in one field
    with open_index(tmp_path / "index", "postgres", url=postgres_url) as ix:
        ix.rebuild(docs)
        ix.candidates, ix.ranked_at_most = 12, 5
        total, hits = ix.search_page("nguyen", limit=3)
        assert isinstance(total, Estimate) and total.estimated and total > 12 and len(hits) == 3
        assert ids(ix.search("Nguyễn Văn Ân"))[0] == 40  # exact spellings first, the set bounded or not
        assert 41 in ids(ix.search("nguyen van binh"))
        assert ids(ix.search(f"nguyen {CITIZEN}")) == [41]
        ix.candidates = 40  # fewer matches than counted: a count, though not all of them ranked
        total, hits = ix.search_page("Nguyễn Văn Ân", limit=3)
        assert total == len(ix.ranked("van an")) == 31 and not isinstance(total, Estimate) and ids(hits)[0] == 40
        ix.candidates = 12
        assert len(ix.ranked("nguyen")) == 32  # every match, when every match is asked for
        ix.candidates = ix.ranked_at_most = 1000
        total, _ = ix.search_page("nguyen")
        assert total == 32 and not isinstance(total, Estimate)


@pytest.mark.skipif(find_spec("psycopg") is None, reason="psycopg not installed")
def test_postgres_folds_like_python(postgres_url, tmp_path):
    import psycopg

    with open_index(tmp_path / "index", "postgres", url=postgres_url):  # sets the vi configuration up
        pass
    text = "Đặng Thị Hương ĐOÀN Ưu đãi ở Ô Môn Nguyễn Văn Ân Quỳnh Phượng Hồ Ngọc Dũng ỹ ỳ ữ ự ợ ẫ 000.00.53.H48-220921-0099"
    from index.analysis import words as python_words

    with psycopg.connect(postgres_url) as db:
        (vector,) = db.execute("SELECT to_tsvector('vi', %s)::text", (" ".join(python_words(text)),)).fetchone()
    lexemes = {part.split(":")[0].strip("'") for part in vector.split()}
    assert lexemes == {t.text for t in VietnameseAnalyzer(folded=True)(text)}


@pytest.mark.skipif(find_spec("tantivy") is None, reason="tantivy not installed")
def test_tantivy_folds_like_python():
    from index.tantivy_engine import FOLDED, _analyzers

    text = "Đặng Thị Hương ĐOÀN Ưu đãi ở Ô Môn Nguyễn Văn Ân Quỳnh Phượng Hồ Ngọc Dũng 000.00.53.H48-220921-0099"
    assert _analyzers()[FOLDED].analyze(text) == [t.text for t in VietnameseAnalyzer(folded=True)(text)]


# ------------------------------------------------------------------ fields, dates, fuzzy

CITIZEN = "001080012345"


@pytest.fixture
def papers(ix):
    ix.add([
        paper(1, "GIẤY KHAI SINH\nHọ và tên: Nguyễn Văn Thành", doc_type="Giấy khai sinh", holder_name="Nguyễn Văn Thành",
              holder_id=CITIZEN, issue_date="2015-03-02", issuer="UBND phường Bến Nghé", number="12/KS"),
        paper(2, "CĂN CƯỚC CÔNG DÂN\nHọ và tên: Nguyễn Văn Thành", doc_type="Căn cước công dân", holder_name="Nguyễn Văn Thành",
              holder_id=CITIZEN, issue_date="2021-06-01", expiry_date="2040-06-01"),
        paper(3, "GIẤY PHÉP XÂY DỰNG\nChủ đầu tư: Nguyễn Văn Thành", doc_type="Giấy phép xây dựng", issue_date="2019-01-10",
              expiry_date="2020-01-10", record_code=CODE, procedure_code="1.009972", procedure_name="Cấp giấy phép xây dựng",
              agency="UBND quận 1"),
        paper(4, "PHIẾU LÝ LỊCH TƯ PHÁP\nHọ và tên: Trần Thị Mai", doc_type="Phiếu lý lịch tư pháp", holder_name="Trần Thị Mai",
              holder_id="079190000001", issue_date="2023-09-09", replaced_by=5, applicant_name="Nguyễn Văn Thành"),
        paper(5, "PHIẾU LÝ LỊCH TƯ PHÁP\nHọ và tên: Trần Thị Mai (cấp lại)", doc_type="Phiếu lý lịch tư pháp",
              holder_name="Trần Thị Mai", holder_id="079190000001", issue_date="2024-02-01"),
    ])
    return ix


def test_fielded_queries(papers):
    assert ids(papers.search("type:khai")) == [1]
    assert sorted(ids(papers.search('type:"giay phep"'))) == [3]
    assert sorted(ids(papers.search("type:phiếu holder:mai"))) == [4, 5]
    assert sorted(ids(papers.search(f"id:{CITIZEN}"))) == [1, 2]
    assert ids(papers.search("id:0010800")) == []  # an ID matches whole, not in part
    assert ids(papers.search("record:H48-220921-0099")) == [3]
    assert ids(papers.search("procedure:1.009972")) == ids(papers.search("procedure:xay dung")) == [3]
    assert ids(papers.search("agency:quan 1")) == [3]
    assert ids(papers.search("agency:ben nghe")) == [1]  # the issuing body counts as agency too
    # holder: also finds the applicant the register links a paper to
    assert sorted(ids(papers.search("holder:thanh"))) == [1, 2, 4]
    assert ids(papers.search("holder:thanh type:phieu")) == [4]
    (hit,) = papers.search("type:khai")
    assert hit.matched == ["doc_type"]


def test_fielded_words_only_look_in_their_field(papers):
    assert ids(papers.search("type:thanh")) == []  # in the text and the holder, not the type
    assert sorted(ids(papers.search("thanh"))) == [1, 2, 3, 4]


def test_matched_names_each_field(papers):
    hits = {h.id: h for h in papers.search(CITIZEN)}
    assert set(hits) == {1, 2} and hits[1].matched == ["holder_id"]
    (hit,) = papers.search("12/KS")
    assert hit.matched == ["number"]


def test_date_ranges_and_validity(papers):
    today = date(2025, 1, 1)

    def found(**options):
        return sorted(ids(papers.search("-nothingatall", limit=50, filters=Filters.make(today=today, **options))))

    assert found(issued_from="2020-01-01") == [2, 4, 5]
    assert found(issued_from="2015-03-02", issued_to="2019-01-10") == [1, 3]  # inclusive
    assert found(expires_to="2030-12-31") == [3]
    assert found(expires_from="2030-01-01") == [2]
    # expired (3) and replaced (4) papers are not valid; no expiry date means valid
    assert found(valid=True) == [1, 2, 5]
    assert sorted(ids(papers.search("holder:mai", filters=Filters.make(valid=True, today=today)))) == [5]
    assert found(valid=True, issued_to="2016-01-01") == [1]


def test_fuzzy_matches_rank_below_exact(ix):
    ix.add([
        paper(1, "Họ và tên: Nguyễn Văn Thành, thường trú tại phường 3"),
        paper(2, "Họ và tên: Nguyẽn Văn Thanh, nơi cư trú: xã Tân Phú"),  # OCR read ẽ for ễ: folds the same
        paper(3, "Họ và tên: Ngayen Văn Thành, nơi cư trú: xã Tân Phú"),  # OCR error: one letter
    ])
    assert ids(ix.search("nguyen van thanh"))[-1] == 3  # the OCR error is found, last
    assert ids(ix.search("ngayen"))[0] == 3 and sorted(ids(ix.search("ngayen"))) == [1, 2, 3]
    hits = ix.search("ngyuen van thanh")  # transposed letters, typed by the clerk
    assert sorted(ids(hits)) == [1, 2]  # "ngayen" is two edits away
    assert "**Nguyễn** **Văn** **Thành**" in hits[0].snippet or "**Nguyẽn** **Văn** **Thanh**" in hits[0].snippet
    (hit,) = ix.search("ngayen van thanh thuong")
    assert hit.id == 1 and "**thường**" in hit.snippet


def test_short_words_and_ids_are_not_fuzzy(ix):
    ix.add([paper(1, "Văn bản số 12 của phường Tân An", applicant_id=CITIZEN),
            paper(2, "Ông Lê Văn Ba")])
    assert ids(ix.search("tan")) == [1]
    assert ix.search("tam") == [] and ix.search("bao") == []  # four letters or fewer: exact only
    assert ids(ix.search(CITIZEN)) == [1]
    assert ix.search("001080012346") == [] and ix.search(f"id:{CITIZEN[:-1]}9") == []


def test_or_and_not(papers):
    assert sorted(ids(papers.search("type:khai OR type:cuoc"))) == [1, 2]
    assert sorted(ids(papers.search("thanh -type:khai NOT type:phep"))) == [2, 4]
    assert sorted(ids(papers.search("thanh AND type:khai"))) == [1]


def as_sets(answers: dict) -> dict:
    return {q: sorted(a, key=lambda h: h[0]) if isinstance(a, list) and a and isinstance(a[0], tuple) else sorted(a)
            for q, a in answers.items()}


@pytest.mark.skipif(find_spec("tantivy") is None or find_spec("psycopg") is None, reason="tantivy or psycopg not installed")
def test_all_engines_give_the_same_answers(tmp_path, postgres_url):
    docs = [
        paper(1, "ĐƠN ĐỀ NGHỊ\nHọ và tên người yêu cầu: Nguyễn Văn An\nNơi cư trú: xã Tân Phú", expiry_date="2020-01-01"),
        paper(2, "Bà Đặng Thị Hương, sinh năm 1975, thường trú tại phường 3", applicant_id=CITIZEN,
              doc_type="Giấy khai sinh", issue_date="2023-05-02"),
        paper(3, "GIẤY KHAI SINH\nHọ, chữ đệm, tên: Lê Minh Nguyễn Văn Ân", record_code=CODE),
        paper(4, "Giấy xác nhận tình trạng hôn nhân của ông Nguyễn Văn Ẩn, phường Thường Thạnh"),
    ]
    queries = ["nguyen van an", "Nguyễn Văn Ân", "Nguyễn Văn An", "dang", "huong", "huonng", "nguyan", CITIZEN,
               f"id:{CITIZEN}", "type:khai", "H48-220921", CODE, "nguyen OR dang", "nguyen -lê", '"van an"',
               "thuong", "giay"]
    answers = {}
    for engine in ("whoosh", "tantivy", "postgres"):
        with open_index(tmp_path / engine, engine, url=postgres_url) as ix:
            ix.add(docs)
            answers[engine] = {q: [(h.id, h.snippet, h.matched) for h in ix.search(q)] for q in queries}
            answers[engine]["valid"] = ids(ix.search("-x", filters=Filters.make(valid=True)))
    assert answers["whoosh"] == answers["tantivy"]
    assert all(answers["whoosh"][q] for q in queries)
    # PostgreSQL ranks with ts_rank, not BM25: the same papers, snippets and fields, in its own order
    # among equals (exact spellings first, slips last, as the behaviour tests check for every engine).
    assert as_sets(answers["postgres"]) == as_sets(answers["whoosh"])


# ------------------------------------------------------------------ OCR slips

SLIPS = [
    paper(1, "Họ và tên: Nguyễn Thị Lam, sinh năm 1990", holder_name="Nguyễn Thị Lam", holder_id="079190001234"),
    paper(2, "Họ và tên: Trần Văn Bình, thường trú tại xã Tân Phú", holder_name="Trần Văn Bình"),
    paper(3, "Họ và tên: Đặng Ngọc Sơn, công ty SWAN PACIFIC"),
    paper(4, "Họ và tên: Nguyễn Thị Larn, sinh năm 1990"),  # the paper's own OCR slip: rn for m
    paper(5, "Họ và tên: Nguyễn Thị Lan, sinh năm 1992"),  # one real letter from Lam, not a slip
]


@pytest.mark.parametrize("query, found", [
    ("nguyen thi larn", [4, 1]),  # rn for m: the paper that reads "Larn" exactly first
    ("nguyen thi lam", [1, 4]),  # and back: the paper OCR misread is found too, below
    ("tran van blnh", [2]),  # l for i
    ("tran van b1nh", [2]),  # 1 for i
    ("tlii lam", [1, 4]),  # li for h
    ("clang ng0c 5on", [3]),  # cl for đ, 0 for o, 5 for s
    ("svvan", [3]),  # vv for w
    ("holder:blnh", [2]),  # in a field too
])
def test_ocr_slips_match_at_any_length_below_exact(ix, query, found):
    ix.add(SLIPS)
    assert ids(ix.search(query)) == found


def test_ocr_slips_are_highlighted_and_reported(ix):
    ix.add(SLIPS)
    (hit,) = ix.search("tran van blnh")
    assert "**Trần** **Văn** **Bình**" in hit.snippet and hit.matched == ["text", "holder_name"]


def test_ocr_slips_leave_real_letters_and_numbers_alone(ix):
    ix.add(SLIPS)
    assert ids(ix.search("nguyen thi lan")) == [5]  # n is no slip of m
    assert ids(ix.search("079190001234")) == ids(ix.search("id:079190001234")) == [1]
    assert ix.search("079190001235") == [] and ix.search("id:079190001235") == []  # one digit off: someone else
    assert ix.search('"thi larn" sinh') != [] and ids(ix.search('"thi larn"')) == [4]  # a phrase is exact
    assert sorted(ids(ix.search("nguyen -larn"))) == [5]  # an excluded word takes its slips with it


@pytest.mark.skipif(find_spec("tantivy") is None or find_spec("psycopg") is None, reason="tantivy or psycopg not installed")
def test_all_engines_match_the_same_ocr_slips(tmp_path, postgres_url):
    queries = ["nguyen thi larn", "nguyen thi lam", "tran van blnh", "b1nh", "tlii", "clang", "ng0c", "5on", "svvan",
               "holder:blnh", "nguyen -larn", "Trần Văn Blnh", "Lam", "079190001234"]
    answers = {}
    for engine in ("whoosh", "tantivy", "postgres"):
        with open_index(tmp_path / engine, engine, url=postgres_url) as ix:
            ix.add(SLIPS)
            answers[engine] = {q: (sorted(ids(ix.search(q))), sorted((h.id, h.snippet, tuple(h.matched)) for h in ix.search(q)))
                               for q in queries}
    assert answers["whoosh"] == answers["tantivy"] == answers["postgres"]
    assert all(answers["whoosh"][q][0] for q in queries)
