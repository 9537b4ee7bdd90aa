"""`sohoa coverage`: the indicators from the command line, as a table, JSON, CSV, a list to fix and HTML."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from tests.conftest import RECORDS, make_scan, page_lines

pytestmark = pytest.mark.usefixtures("catalog_backend")  # on SQLite and on PostgreSQL (tests/postgres.py)

CODE_AN, CODE_HUONG, CODE_ANH = (r[0] for r in RECORDS)


def _digitize_huong(sohoa, tmp_path):
    """Record 2 gets its only component and its required result: digitized. Record 1 gets half."""
    sohoa("scan", make_scan(tmp_path / "tk.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương")),
          "--record", CODE_HUONG, "--component", "Tờ khai đăng ký khai sinh")
    sohoa("scan", make_scan(tmp_path / "ks.png", page_lines("GIẤY KHAI SINH", "Đặng Thị Hương")),
          "--record", CODE_HUONG, "--result")
    sohoa("scan", make_scan(tmp_path / "cs.png", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An")),
          "--record", CODE_AN, "--component", "Giấy chứng sinh")


def test_json_by_agency_counts_and_rates(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)

    report = sohoa.json("coverage", "--by", "agency")

    rows = {r["group"]: r for r in report["rows"]}
    assert (rows["UBND phường Bến Nghé"]["received"], rows["UBND phường Bến Nghé"]["digitized"]) == (2, 1)
    assert rows["UBND phường Bến Nghé"]["rate"] == 0.5
    assert (rows["Sở Tư pháp"]["received"], rows["Sở Tư pháp"]["digitized"], rows["Sở Tư pháp"]["rate"]) == (1, 0, 0.0)
    assert (report["total"]["received"], report["total"]["digitized"]) == (3, 1)
    assert "strict" in report["definition"]


def test_period_filter_and_empty_period_reads_na(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)

    january = sohoa.json("coverage", "--from", "01/01/2026", "--to", "2026-01-31")
    assert (january["total"]["received"], january["total"]["digitized"]) == (2, 1)

    empty = sohoa("coverage", "--from", "2025-01-01", "--to", "2025-01-31").stdout
    assert "n/a" in empty and "0.0 %" not in empty and "100" not in empty


def test_csv_and_table_by_month(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)

    rows = list(csv.DictReader(io.StringIO(sohoa("coverage", "--by", "month", "--csv").stdout)))
    assert [(r["group"], r["received"], r["digitized"]) for r in rows] == [
        ("2026-01", "2", "1"), ("2026-02", "1", "0"), ("total", "3", "1")]
    table = sohoa("coverage", "--by", "month").stdout
    assert "2026-01" in table and "50.0" in table


def test_bad_date_is_a_usage_error(sohoa):
    result = sohoa("coverage", "--from", "31/02/2026", expect=2)
    assert "--from" in result.stderr and "Traceback" not in result.stderr


# -- the indicators, combinations, the list of what to fix, the HTML page ------------------------------

KEYS = ("received", "digitized", "rate", "results_required", "results_digitized", "results_rate", "reused",
        "reuse_rate", "score")


def test_json_rows_and_total_carry_every_indicator(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)
    report = sohoa.json("coverage", "--by", "agency,month", "--max-points", "records=4,results=3,reuse=3")
    assert report["by"] == "agency,month" and report["rule"] == "strict" and "strict" in report["definition"]
    rows = {r["group"]: r for r in report["rows"]}
    ward_jan = rows["UBND phường Bến Nghé / 2026-01"]
    assert (ward_jan["agency"], ward_jan["month"]) == ("UBND phường Bến Nghé", "2026-01")
    assert {k: ward_jan[k] for k in KEYS} == {
        "received": 2, "digitized": 1, "rate": 0.5, "results_required": 2, "results_digitized": 1,
        "results_rate": 0.5, "reused": 0, "reuse_rate": 0.0, "score": 4.38}  # 0.5 x 4 / 0.8 + 0.5 x 3 / 0.8, to 0.01
    assert rows["Sở Tư pháp / 2026-01"]["rate"] is None  # an empty group
    assert rows["Sở Tư pháp / 2026-01"]["score"] is None
    assert {k: report["total"][k] for k in KEYS} == {
        "received": 3, "digitized": 1, "rate": 0.3333, "results_required": 2, "results_digitized": 1,
        "results_rate": 0.5, "reused": 0, "reuse_rate": 0.0, "score": 3.55}  # 1.67 + 1.88
    assert ward_jan["flags"] == ["digitization", "reuse"]


def test_csv_carries_the_json_figures(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)
    for by in ("agency,month", "procedure", "channel"):
        report = sohoa.json("coverage", "--by", by, "--rule", "lenient")
        rows = list(csv.DictReader(io.StringIO(sohoa("coverage", "--by", by, "--rule", "lenient", "--csv").stdout)))
        assert len(rows) == len(report["rows"]) + 1
        for line, row in zip(rows, [*report["rows"], report["total"]]):
            assert line["group"] == row["group"]
            for key in KEYS:
                assert (float(line[key]) if line[key] else None) == row[key], (by, key)


def test_lenient_rule_from_the_command_line(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    sohoa("scan", make_scan(tmp_path / "ks.png", page_lines("GIẤY KHAI SINH", "Nguyễn Văn An")),
          "--record", CODE_AN, "--result")
    assert sohoa.json("coverage")["total"]["digitized"] == 0
    lenient = sohoa.json("coverage", "--rule", "lenient")
    assert (lenient["total"]["digitized"], lenient["rule"]) == (1, "lenient")
    assert "lenient rule" in sohoa("coverage", "--rule", "lenient").stdout


def test_missing_lists_what_to_fix(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)
    report = sohoa.json("coverage", "--missing")
    assert report["count"] == 2
    assert [(r["record_code"], r["due_date"], r["missing_components"], r["result_missing"])
            for r in report["records"]] == [
        (CODE_AN, "2026-01-08", ["Tờ khai đăng ký khai sinh"], True),
        (CODE_ANH, "2026-02-20", ["Tờ khai yêu cầu cấp phiếu lý lịch tư pháp"], False)]
    lines = sohoa("coverage", "--missing", "--limit", "1").stdout.splitlines()
    assert lines[0].startswith("2 records not digitized (strict rule)")
    assert lines[1] == f"due 2026-01-08  {CODE_AN}  UBND phường Bến Nghé  1.001193  missing: Tờ khai đăng ký khai sinh; result (kết quả)"
    assert lines[2] == "… and 1 more (raise --limit)"
    assert len(sohoa.json("coverage", "--missing", "--limit", "0")["records"]) == 2  # 0: all


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links, self.open = [], [], []

    def handle_starttag(self, tag, attrs):
        self.handle_startendtag(tag, attrs)
        if tag != "meta":  # the one void element the page uses
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):  # <line …/> in SVG
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open[-3:], tag)
        self.open.pop()


# Vietnamese by default, English on request: the words from the project's catalogue.
@pytest.mark.parametrize("lang, words", [
    (None, {"target": "mục tiêu 80%", "title": "Tỷ lệ số hóa (Quyết định 766/QĐ-TTg)", "total": "Tổng cộng",
            "head": "Hồ sơ đã số hóa", "trend": "Diễn biến theo tháng"}),
    ("en", {"target": "80% target", "title": "Digitization coverage (Decision 766/QĐ-TTg)", "total": "Total",
            "head": "Digitized records", "trend": "Monthly trend"}),
])
def test_html_is_one_self_contained_page_with_tables_and_charts(sohoa, register_csv, tmp_path, lang, words):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)
    out = tmp_path / "report" / "coverage.html"
    out.parent.mkdir()
    assert sohoa("coverage", "--html", out, *(["--lang", lang] if lang else [])).stdout.strip() == f"wrote {out}"
    text = out.read_text(encoding="utf-8")
    assert f'<html lang="{lang or "vi"}">' in text
    assert f"<title>{words['title']}</title>" in text and f"<th>{words['head']}</th>" in text
    assert f"<td>{words['total']}</td>" in text and f"<h2>{words['trend']}</h2>" in text
    other = "Digitized records" if lang is None else "Hồ sơ đã số hóa"
    assert other not in text  # one language per page

    page = _Page()
    page.feed(text)
    page.close()
    assert page.open == []  # every element closed in order
    assert page.links == [] and not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", text)
    assert page.tags.count("table") == 1 + 2  # the agencies, then one table per agency
    assert "@media print" in text
    svgs = re.findall(r"<svg\b.*?</svg>", text, flags=re.S)
    assert len(svgs) == 2
    bars, trend = (ET.fromstring(svg) for svg in svgs)  # well-formed SVG
    ns = "{http://www.w3.org/2000/svg}"
    assert len(bars.findall(f"{ns}rect")) == 2  # one bar per agency with records
    assert any(t.text == words["target"] for t in bars.iter(f"{ns}text"))
    assert [t.text for t in trend.iter(f"{ns}text") if t.text and t.text.startswith("2026-")] == ["2026-01", "2026-02"]
    assert "50.0% <small>1/2</small>" in text and "UBND phường Bến Nghé" in text


@pytest.mark.parametrize("args, message", [
    (["--by", "agency,ward"], 'cannot group coverage by "ward"'),
    (["--max-points", "many"], '--max-points "many"'),
    (["--limit", "3"], "--limit goes with --missing"),
    (["--missing", "--csv"], "--missing lists records"),
    (["--json", "--csv"], "choose one of --json and --csv"),
    (["--lang", "en"], "--lang goes with --html"),
])
def test_bad_options(sohoa, args, message):
    result = sohoa("coverage", *args, expect=2)
    assert message in result.stderr and "Traceback" not in result.stderr
