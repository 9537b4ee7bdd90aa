"""`sohoa search`: tones and đ optional, exact spellings first, register metadata searchable.

One archive is scanned once for the module (real Tesseract, real Whoosh, real SQLite); every
command names it with --archive, so nothing here depends on SOHOA_ARCHIVE.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tests.conftest import Sohoa, make_scan, page_lines, write_register

ANH_CODE = "000.00.12.H48-260210-0001"  # Trần Thị Ngọc Ánh, one component
AN_CODE = "000.00.53.H48-260105-0001"  # Nguyễn Văn An, nothing scanned for it



ENGINES = ["whoosh", "tantivy", "postgres"]


def init_with(cli: Sohoa, request) -> None:
    """`sohoa init` with the module's engine; the postgres one on a fresh database of the session's server."""
    server = ("--search-url", request.getfixturevalue("postgres_server").database()) if request.param == "postgres" else ()
    cli("init", "--engine", request.param, *server)


@pytest.fixture(scope="module", params=ENGINES)
def corpus(tmp_path_factory, request):
    """Four papers: two GIẤY KHAI SINH differing only by An/Ân, one GIẤY CHỨNG SINH for Đặng Thị
    Hương, and a form attached to Trần Thị Ngọc Ánh's record whose text does not name her; in an
    archive of each search engine, so the same tests hold for all three."""
    base = tmp_path_factory.mktemp("search")
    cli = Sohoa(base / "archive", "clerk-search")
    init_with(cli, request)
    batch = base / "batch"
    make_scan(batch / "p1.png", page_lines("GIẤY KHAI SINH", "Nguyễn Văn An"), dpi=300)
    make_scan(batch / "p2.png", page_lines("GIẤY KHAI SINH", "Nguyễn Văn Ân"), dpi=300)
    make_scan(batch / "p3.png", page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"]), dpi=300)
    form = make_scan(base / "p4.png", ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                                       "TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP",
                                       "Nơi cư trú: phường Hàng Bài, Hà Nội"], dpi=200)
    register = write_register(base / "register.csv")

    cli("records", "import", register)
    rows = cli.jsonl("scan", batch)
    rows += cli.jsonl("scan", form, "--record", ANH_CODE, "--component", "Tờ khai yêu cầu cấp phiếu lý lịch tư pháp")
    assert [(r["source_name"], r["status"]) for r in rows] == [
        ("p1.png", "new"), ("p2.png", "new"), ("p3.png", "new"), ("p4.png", "new")]
    ids = {r["source_name"]: r["id"] for r in rows}
    return cli, ids


def hit_ids(hits):
    return [h["id"] for h in hits]


# -- diacritics -----------------------------------------------------------------------------------

def test_query_without_marks_finds_the_marked_name(corpus):
    cli, ids = corpus
    hits = cli.json("search", "nguyen", "van", "an")
    assert sorted(hit_ids(hits)) == sorted([ids["p1.png"], ids["p2.png"]])
    assert all("**Nguyễn** **Văn**" in h["snippet"] for h in hits)


def test_d_without_stroke_finds_dang(corpus):
    cli, ids = corpus
    (hit,) = cli.json("search", "dang")
    assert hit["id"] == ids["p3.png"]
    assert "**Đặng**" in hit["snippet"]


def test_unmarked_title_finds_giay_khai_sinh_but_not_giay_chung_sinh(corpus):
    cli, ids = corpus
    found = hit_ids(cli.json("search", "giay", "khai", "sinh"))
    assert set(found[:2]) == {ids["p1.png"], ids["p2.png"]}
    assert ids["p3.png"] not in found  # GIẤY CHỨNG SINH: no "khai" anywhere
    assert set(hit_ids(cli.json("search", "GIẤY KHAI SINH"))) == set(found)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_exact_spelling_ranks_its_paper_first(corpus, form):
    cli, ids = corpus
    query = unicodedata.normalize(form, "Nguyễn Văn Ân")  # NFD: what some keyboards and terminals send
    assert hit_ids(cli.json("search", query)) == [ids["p2.png"], ids["p1.png"]]
    assert hit_ids(cli.json("search", unicodedata.normalize(form, "Nguyễn Văn An"))) == [ids["p1.png"], ids["p2.png"]]


def test_words_are_anded(corpus):
    cli, _ = corpus
    assert cli("search", "nguyen", "van", "binh").stdout == "no papers found\n"


# -- output ---------------------------------------------------------------------------------------

def test_json_hits_have_the_documented_fields(corpus):
    cli, ids = corpus
    (hit,) = cli.json("search", "Đặng", "Thị", "Hương")
    assert {"id", "record_code", "component", "source_name", "pdf_path", "score", "snippet"} <= set(hit)
    assert hit["id"] == ids["p3.png"]
    assert hit["record_code"] is None and hit["component"] is None
    assert hit["source_name"] == "p3.png"
    pdf = Path(hit["pdf_path"])
    assert pdf.is_file() and pdf.is_relative_to(cli.root / "papers") and pdf.read_bytes()[:5] == b"%PDF-"
    assert isinstance(hit["score"], float) and hit["score"] > 0
    assert "**Đặng** **Thị** **Hương**" in hit["snippet"]
    assert "Bệnh viện Từ Dũ" in hit["snippet"]


def test_human_output_shows_id_record_component_source_pdf_and_snippet(corpus):
    cli, ids = corpus
    (hit,) = cli.json("search", "tran", "thi", "ngoc", "anh")
    out = cli("search", "tran", "thi", "ngoc", "anh").stdout.splitlines()

    assert len(out) == 3
    head, pdf_line, snippet_line = out
    assert head.startswith(f"#{ids['p4.png']} ")
    for part in (ANH_CODE, "Tờ khai yêu cầu cấp phiếu lý lịch tư pháp", "p4.png"):
        assert part in head
    assert pdf_line.strip() == hit["pdf_path"] and Path(pdf_line.strip()).is_file()
    assert "LÝ LỊCH TƯ PHÁP" in snippet_line


def test_human_output_marks_matched_words_without_asterisks(corpus):
    cli, ids = corpus
    out = cli("search", "dang").stdout
    assert out.startswith(f"#{ids['p3.png']} ") and "(no record)" in out and "p3.png" in out
    assert "[Đặng] Thị Hương" in out and "**" not in out  # not a terminal: brackets, no markdown


# -- register metadata ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", [ANH_CODE, ANH_CODE.lower()])
def test_record_code_finds_its_papers(corpus, code):
    cli, ids = corpus
    (hit,) = cli.json("search", code)
    assert (hit["id"], hit["record_code"]) == (ids["p4.png"], ANH_CODE)
    assert hit["component"] == "Tờ khai yêu cầu cấp phiếu lý lịch tư pháp"


def test_record_code_without_papers_finds_nothing(corpus):
    cli, _ = corpus
    assert cli("search", AN_CODE).stdout == "no papers found\n"


@pytest.mark.parametrize("query", [["tran", "thi", "ngoc", "anh"], ["Trần", "Thị", "Ngọc", "Ánh"], ["001185009876"]])
def test_applicant_from_the_register_finds_the_attached_paper(corpus, query):
    cli, ids = corpus
    hits = cli.json("search", *query)
    # The paper's own text does not name her: only the register links it to her.
    assert hit_ids(hits) == [ids["p4.png"]]
    assert "Ánh" not in cli("text", ids["p4.png"]).stdout
    assert hits[0]["record_code"] == ANH_CODE


# -- limits and empty results ---------------------------------------------------------------------

def test_limit_is_respected(corpus):
    cli, ids = corpus
    everything = cli.json("search", "cộng", "hòa")
    assert sorted(hit_ids(everything)) == sorted(ids.values())
    limited = cli.json("search", "cộng", "hòa", "--limit", "2")
    assert len(limited) == 2 and set(hit_ids(limited)) <= set(ids.values())
    assert [h["score"] for h in limited] == [h["score"] for h in everything[:2]]  # the best two
    human = cli("search", "cong", "hoa", "--limit", "1").stdout
    assert sum(line.startswith("#") for line in human.splitlines()) == 1


def test_limit_below_one_is_a_usage_error(corpus):
    cli, _ = corpus
    result = cli("search", "cong", "--limit", "0", expect=2)
    assert "--limit" in result.stderr and result.stdout == ""


def test_no_hit_prints_no_papers_found_and_exits_0(corpus):
    cli, _ = corpus
    result = cli("search", "xylophone")
    assert result.stdout == "no papers found\n" and result.stderr == ""
    assert cli.json("search", "xylophone") == []


def test_empty_archive_can_be_searched(sohoa, register_csv):
    assert sohoa("search", "nguyen", "van", "an").stdout == "no papers found\n"
    assert sohoa.json("search", "giay", "khai", "sinh") == []
    sohoa("records", "import", register_csv)  # records but no papers yet
    assert sohoa.json("search", "000.00.53.H48-260105-0001") == []
    assert sohoa("search", "Nguyễn Văn An").stdout == "no papers found\n"


# -- the index follows the register ---------------------------------------------------------------

def test_corrected_register_is_searchable_after_reimport(sohoa, register_csv, tmp_path):
    """A clerk corrects an applicant's name in the register and imports it again: search must follow
    the catalog, not keep the old name (and no later scan or reindex should be needed)."""
    sohoa("records", "import", register_csv)
    form = make_scan(tmp_path / "form.png", ["TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP", "Nơi cư trú: Hà Nội"], dpi=200)
    (row,) = sohoa.jsonl("scan", form, "--record", ANH_CODE)
    assert [h["id"] for h in sohoa.json("search", "tran", "thi", "ngoc", "anh")] == [row["id"]]

    corrected = tmp_path / "corrected.csv"
    corrected.write_text(register_csv.read_text(encoding="utf-8").replace("Trần Thị Ngọc Ánh", "Trần Thị Ngọc Bích"),
                         encoding="utf-8")
    sohoa("records", "import", corrected)

    assert [h["id"] for h in sohoa.json("search", "tran", "thi", "ngoc", "bich")] == [row["id"]]
    assert sohoa("search", "ngoc", "anh").stdout == "no papers found\n"


def test_paper_attached_to_a_second_record_is_found_by_both(sohoa, register_csv, tmp_path):
    """The same paper handed in for two records: scan says "now attached to" the second one, so
    searching that record's code (or its applicant) must find it too."""
    sohoa("records", "import", register_csv)
    form = make_scan(tmp_path / "to-khai.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Lê Văn Tám"), dpi=200)
    first, second = "000.00.53.H48-260105-0001", "000.00.53.H48-260106-0002"
    (row,) = sohoa.jsonl("scan", form, "--record", first, "--component", "Tờ khai đăng ký khai sinh")
    (again,) = sohoa.jsonl("scan", form, "--record", second)
    assert again["status"] == "skipped" and f"now attached to {second}" in again["note"]

    assert [h["id"] for h in sohoa.json("search", first)] == [row["id"]]
    assert [h["id"] for h in sohoa.json("search", second)] == [row["id"]]
    assert [h["id"] for h in sohoa.json("search", "dang", "thi", "huong")] == [row["id"]]


def test_masked_id_in_a_snippet_prints_whole_beside_highlights(sohoa, tmp_path):
    lines = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Số định danh cá nhân: 079303004567"])
    sohoa("scan", make_scan(tmp_path / "id.png", lines))

    out = sohoa("search", "huong").stdout

    assert "0793******67" in out and "[Hương]" in out
    assert "079303004567" not in out


# -- OCR slips typed in a query -------------------------------------------------------------------

@pytest.fixture(scope="module", params=ENGINES)
def slips(tmp_path_factory, request):
    """Three scanned birth certificates: Nguyễn Thị Lam, Trần Văn Bình, and Nguyễn Thị Lan, one real
    letter from Lam (not an OCR slip), in an archive of each search engine."""
    base = tmp_path_factory.mktemp("slips")
    cli = Sohoa(base / "archive", "clerk-slips")
    init_with(cli, request)
    people = {"lam.png": ("Nguyễn Thị Lam", "079190001234"), "binh.png": ("Trần Văn Bình", "001085004321"),
              "lan.png": ("Nguyễn Thị Lan", "079192005678")}
    for name, (holder, citizen) in people.items():
        make_scan(base / "batch" / name, page_lines("GIẤY KHAI SINH", holder, [f"Số định danh cá nhân: {citizen}"]),
                  dpi=300)
    rows = cli.jsonl("scan", base / "batch")
    return cli, {r["source_name"]: r["id"] for r in rows}


@pytest.mark.parametrize("query, paper", [
    ("nguyen thi larn", "lam.png"),  # rn for m
    ("tran van blnh", "binh.png"),  # l for i
    ("tran van b1nh", "binh.png"),  # 1 for i
])
def test_name_typed_with_an_ocr_slip_finds_the_paper(slips, query, paper):
    cli, ids = slips
    hits = cli.json("search", *query.split())
    assert hit_ids(hits) == [ids[paper]]
    assert "**Nguyễn** **Thị** **Lam**" in hits[0]["snippet"] or "**Trần** **Văn** **Bình**" in hits[0]["snippet"]


def test_exact_name_ranks_above_an_ocr_slip(slips):
    cli, ids = slips
    # "lan" is exact for one paper; "larn" would be the slip for another: each query ranks its own first
    assert hit_ids(cli.json("search", "nguyen", "thi", "lan")) == [ids["lan.png"]]
    assert hit_ids(cli.json("search", "nguyen", "thi", "lam"))[0] == ids["lam.png"]


def test_citizen_id_one_digit_off_finds_nothing(slips):
    cli, ids = slips
    assert hit_ids(cli.json("search", "079190001234")) == [ids["lam.png"]]
    assert cli("search", "079190001235").stdout == "no papers found\n"
    assert cli("search", "id:079190001235").stdout == "no papers found\n"
