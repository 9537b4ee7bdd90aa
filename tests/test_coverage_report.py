"""The coverage indicators on small hand-built registers whose answer is known by hand."""

import csv
import io
import random
import shutil
from pathlib import Path

import pytest

from digitize.catalog import Catalog, NewPaper, PageInfo, Record, RegisterResult
from digitize.coverage import coverage, format_table, missing, parse_max_points, rollup, to_csv
from digitize.errors import BadArgument

BIRTH = ("1.001612", "Đăng ký khai sinh")            # no paper result
LICENCE = ("1.000894", "Cấp giấy phép xây dựng")     # issues a paper result
WARD = "000.00.53.H48"
DISTRICT = "000.00.12.H48"


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request, tmp_path):
    """A new catalog, on SQLite and on PostgreSQL (a fresh database of tests/postgres.py's server)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    cat = Catalog(tmp_path / "catalog.sqlite", url=url)
    yield cat
    cat.close()


def record(code, received, agency=WARD, procedure=BIRTH, components=("Tờ khai", "Giấy chứng sinh"),
           requires_result=None):
    return Record(
        record_code=code, procedure_code=procedure[0], procedure_name=procedure[1], agency=agency,
        channel=1, received_date=received, due_date=None, applicant_name="Nguyễn Văn An",
        applicant_id=None, requires_paper_result=(procedure is LICENCE) if requires_result is None else requires_result,
        components=list(components),
    )


_papers = iter(range(1, 10**9))


def paper(catalog):
    n = next(_papers)
    return catalog.add_paper(NewPaper(
        sha256=f"{n:064x}", source_name=f"scan{n}.pdf", source_path=f"/in/scan{n}.pdf",
        pdf_path=f"ab/{n:064x}.pdf", text="", pages=[PageInfo(2480, 3508, 300, "RGB", 95.0, "ocr", "vie")],
        ocr_languages="vie", scanned_by="clerk",
    ))


def attach(catalog, code, *components, result=False):
    for name in components:
        catalog.attach(paper(catalog), code, name, False, "clerk")
    if result:
        catalog.attach(paper(catalog), code, None, True, "clerk")


def total(report):
    t = report["total"]
    return t["received"], t["digitized"], t["rate"]


def rows(report):
    return [(r["group"], r["received"], r["digitized"], r["rate"]) for r in report["rows"]]


# -- the strict rule, one record at a time ----------------------------------------------------
def test_fully_digitized_record(catalog):
    catalog.upsert_records([record("000.00.53.H48-240105-0001", "2024-01-05")])
    attach(catalog, "000.00.53.H48-240105-0001", "Tờ khai", "Giấy chứng sinh")
    assert total(coverage(catalog)) == (1, 1, 1.0)


def test_missing_one_component_is_not_digitized(catalog):
    catalog.upsert_records([record("000.00.53.H48-240105-0001", "2024-01-05")])
    attach(catalog, "000.00.53.H48-240105-0001", "Tờ khai")
    assert total(coverage(catalog)) == (1, 0, 0.0)


def test_papers_in_the_wrong_place_do_not_count(catalog):
    catalog.upsert_records([record("000.00.53.H48-240105-0001", "2024-01-05"),
                            record("000.00.53.H48-240105-0002", "2024-01-05")])
    code = "000.00.53.H48-240105-0001"
    attach(catalog, code, "Tờ khai", "Giấy khai sinh")                      # not a listed component
    catalog.attach(paper(catalog), code, "Giấy chứng sinh", True, "clerk")  # attached as a result
    attach(catalog, "000.00.53.H48-240105-0002", "Giấy chứng sinh")         # another record's paper
    assert total(coverage(catalog)) == (2, 0, 0.0)


def test_one_paper_per_component_is_enough_and_extra_papers_do_not_double_count(catalog):
    catalog.upsert_records([record("000.00.53.H48-240105-0001", "2024-01-05")])
    attach(catalog, "000.00.53.H48-240105-0001", "Tờ khai", "Tờ khai", "Giấy chứng sinh", result=True)
    assert total(coverage(catalog)) == (1, 1, 1.0)


def test_missing_required_result_is_not_digitized(catalog):
    catalog.upsert_records([record("000.00.53.H48-240105-0001", "2024-01-05", procedure=LICENCE,
                                   components=["Đơn đề nghị", "Bản vẽ"])])
    attach(catalog, "000.00.53.H48-240105-0001", "Đơn đề nghị", "Bản vẽ")
    assert total(coverage(catalog)) == (1, 0, 0.0)
    attach(catalog, "000.00.53.H48-240105-0001", result=True)
    assert total(coverage(catalog)) == (1, 1, 1.0)


def test_result_alone_is_not_enough(catalog):
    catalog.upsert_records([record("000.00.53.H48-240105-0001", "2024-01-05", procedure=LICENCE,
                                   components=["Đơn đề nghị", "Bản vẽ"])])
    attach(catalog, "000.00.53.H48-240105-0001", "Đơn đề nghị", result=True)
    assert total(coverage(catalog)) == (1, 0, 0.0)


def test_procedure_without_paper_result_needs_no_result(catalog):
    catalog.upsert_records([record("000.00.53.H48-240105-0001", "2024-01-05", requires_result=False)])
    attach(catalog, "000.00.53.H48-240105-0001", "Tờ khai", "Giấy chứng sinh")
    assert total(coverage(catalog)) == (1, 1, 1.0)


def test_register_component_list_is_authoritative(catalog):
    code = "000.00.53.H48-240105-0001"
    catalog.upsert_records([record(code, "2024-01-05", components=["Tờ khai", "Giấy chứng sinh"])])
    attach(catalog, code, "Tờ khai")
    assert total(coverage(catalog)) == (1, 0, 0.0)
    # the register is corrected: the missing component was never required
    catalog.upsert_records([record(code, "2024-01-05", components=["Tờ khai"])])
    assert total(coverage(catalog)) == (1, 1, 1.0)
    # a component is added later: the record is no longer complete
    catalog.upsert_records([record(code, "2024-01-05", components=["Tờ khai", "CCCD"])])
    assert total(coverage(catalog)) == (1, 0, 0.0)


# -- periods, groups, output ----------------------------------------------------------------------
@pytest.fixture
def register(catalog):
    """Six records over three months, two agencies, two procedures; three are digitized."""
    catalog.upsert_records([
        record("000.00.53.H48-240105-0001", "2024-01-05"),                                     # digitized
        record("000.00.53.H48-240131-0001", "2024-01-31"),                                     # missing a component
        record("000.00.12.H48-240131-0002", "2024-01-31", agency=DISTRICT, procedure=LICENCE,
               components=["Đơn đề nghị"]),                                                    # digitized with result
        record("000.00.12.H48-240301-0001", "2024-03-01", agency=DISTRICT, procedure=LICENCE,
               components=["Đơn đề nghị"]),                                                    # result missing
        record("000.00.53.H48-240315-0001", "2024-03-15", procedure=LICENCE,
               components=["Đơn đề nghị", "Bản vẽ"]),                                          # digitized with result
        record("000.00.53.H48-240331-0001", "2024-03-31"),                                     # nothing attached
    ])
    attach(catalog, "000.00.53.H48-240105-0001", "Tờ khai", "Giấy chứng sinh")
    attach(catalog, "000.00.53.H48-240131-0001", "Giấy chứng sinh")
    attach(catalog, "000.00.12.H48-240131-0002", "Đơn đề nghị", result=True)
    attach(catalog, "000.00.12.H48-240301-0001", "Đơn đề nghị")
    attach(catalog, "000.00.53.H48-240315-0001", "Đơn đề nghị", "Bản vẽ", result=True)
    return catalog


def test_report_shape(register):
    report = coverage(register)
    assert report["by"] is None and report["from"] is None and report["to"] is None
    assert report["rows"] == []
    assert report["total"] == {
        "group": "total", "received": 6, "digitized": 3, "rate": 0.5,
        "results_required": 3, "results_digitized": 2, "results_rate": 0.6667, "reused": 0, "reuse_rate": 0.0,
        # 0.5 x 10 / 0.8, 0.6667 x 10 / 0.8, 0
        "points": {"records": 6.25, "results": 8.33, "reuse": 0.0}, "score": 14.58, "score_max": 30.0,
        "flags": ["digitization", "reuse"],
    }
    assert report["rule"] == "strict" and report["max_points"] == {"records": 10.0, "results": 10.0, "reuse": 10.0}
    assert "strict" in report["definition"] and "every component" in report["definition"]


def test_by_agency(register):
    report = coverage(register, by="agency")
    assert rows(report) == [(DISTRICT, 2, 1, 0.5), (WARD, 4, 2, 0.5)]
    assert total(report) == (6, 3, 0.5)


def test_by_procedure_labels_code_and_name(register):
    report = coverage(register, by="procedure")
    assert rows(report) == [
        ("1.000894 Cấp giấy phép xây dựng", 3, 2, 0.6667),
        ("1.001612 Đăng ký khai sinh", 3, 1, 0.3333),
    ]


def test_one_group_per_procedure_code_named_by_its_latest_record(catalog):
    catalog.upsert_records([
        record("000.00.53.H48-240105-0001", "2024-01-05", procedure=("1.001612", "Đăng ký khai sinh")),
        record("000.00.53.H48-240210-0002", "2024-02-10", procedure=("1.001612", "Thủ tục đăng ký khai sinh mới")),
        record("000.00.53.H48-240107-0002", "2024-01-07", procedure=("1.001612", "Đăng ký khai sinh (cũ)")),
    ])
    assert rows(coverage(catalog, by="procedure")) == [("1.001612 Thủ tục đăng ký khai sinh mới", 3, 0, 0.0)]
    assert rows(coverage(catalog, by="procedure", date_to="2024-01-31")) == [
        ("1.001612 Đăng ký khai sinh (cũ)", 2, 0, 0.0)]
    assert rows(coverage(catalog, by="month,procedure")) == [  # one row per month, even across days
        ("2024-01 / 1.001612 Đăng ký khai sinh (cũ)", 2, 0, 0.0),
        ("2024-02 / 1.001612 Thủ tục đăng ký khai sinh mới", 1, 0, 0.0)]


def test_by_month_fills_empty_months(register):
    report = coverage(register, by="month")
    assert rows(report) == [("2024-01", 3, 2, 0.6667), ("2024-02", 0, 0, None), ("2024-03", 3, 1, 0.3333)]
    assert total(report) == (6, 3, 0.5)


def test_by_month_covers_the_whole_requested_period(register):
    report = coverage(register, by="month", date_from="2023-12-01", date_to="2024-02-29")
    assert rows(report) == [("2023-12", 0, 0, None), ("2024-01", 3, 2, 0.6667), ("2024-02", 0, 0, None)]


def test_bounds_are_inclusive(register):
    assert total(coverage(register, date_from="2024-01-31", date_to="2024-03-01")) == (3, 1, 0.3333)
    assert total(coverage(register, date_from="2024-01-06", date_to="2024-01-30")) == (0, 0, None)
    assert total(coverage(register, date_from="2024-03-31")) == (1, 0, 0.0)
    assert total(coverage(register, date_to="2024-01-05")) == (1, 1, 1.0)
    assert total(coverage(register, date_from="2024-01-05", date_to="2024-01-05")) == (1, 1, 1.0)


def test_dates_may_be_given_in_vietnamese_form(register):
    report = coverage(register, date_from="31/1/2024", date_to="01/03/2024")
    assert (report["from"], report["to"]) == ("2024-01-31", "2024-03-01")
    assert total(report) == (3, 1, 0.3333)


def test_grouped_and_bounded(register):
    report = coverage(register, by="agency", date_from="2024-03-01", date_to="2024-03-31")
    assert rows(report) == [(DISTRICT, 1, 0, 0.0), (WARD, 2, 1, 0.5)]


def test_empty_period_reads_na(register):
    report = coverage(register, by="agency", date_from="2025-01-01", date_to="2025-12-31")
    assert report["rows"] == []
    assert total(report) == (0, 0, None)
    table = format_table(report)
    assert table.splitlines()[-1].split() == ["total", "0", "0", "n/a", "0/0", "n/a", "0", "n/a", "n/a"]
    assert "0.0%" not in table and "100.0%" not in table


def test_empty_catalog(catalog):
    assert total(coverage(catalog)) == (0, 0, None)
    assert coverage(catalog, by="month")["rows"] == []
    assert coverage(catalog, by="procedure")["rows"] == []


@pytest.mark.parametrize("kwargs, message", [
    ({"by": "applicant"}, 'cannot group coverage by "applicant"; use agency, procedure, channel, month'),
    ({"by": "agency,applicant"}, 'cannot group coverage by "applicant"'),
    ({"by": "month,month"}, '"month,month" names a grouping twice'),
    ({"rule": "loose"}, 'unknown rule "loose"; use strict or lenient'),
    ({"by": "Agency"}, "cannot group coverage by"),
    ({"date_from": "2024-02-30"}, '"from" date "2024-02-30": no such date'),
    ({"date_to": "tomorrow"}, '"to" date "tomorrow": expected YYYY-MM-DD or DD/MM/YYYY'),
    ({"date_from": "2024-03-01", "date_to": "2024-02-01"}, "from 2024-03-01 is after to 2024-02-01"),
])
def test_bad_arguments(catalog, kwargs, message):
    with pytest.raises(BadArgument, match=message):
        coverage(catalog, **kwargs)


def test_format_table(register):
    table = format_table(coverage(register, by="month", date_from="2024-01-01", date_to="2024-03-31"))
    lines = table.splitlines()
    assert lines[0].startswith("Digitized records rate (strict rule")
    assert lines[1] == "Period: 2024-01-01 to 2024-03-31 (received date, inclusive)"
    body = lines[3:]
    assert body[0].split() == ["Month", "Received", "Digitized", "Rate", "Results", "Rate", "Reused", "Rate",
                               "Score", "Flags"]
    assert [line.split()[:9] for line in body[2:5]] == [
        ["2024-01", "3", "2", "66.7%", "1/1", "100.0%", "0", "0.0%", "18.33/30"],
        ["2024-02", "0", "0", "n/a", "0/0", "n/a", "0", "n/a", "n/a"],
        ["2024-03", "3", "1", "33.3%", "1/2", "50.0%", "0", "0.0%", "10.42/30"]]
    assert body[2].endswith("digitization < 80%, reuse < 50%") and body[3].endswith("n/a")
    assert body[-1].split()[:9] == ["total", "6", "3", "50.0%", "2/3", "66.7%", "0", "0.0%", "14.58/30"]
    # aligned: every line of the table ends its score column at the same place (flags follow, ragged)
    end = len(body[1])
    assert all(len(line) >= end and line[end - 1] != " " for line in body)


def test_format_table_without_grouping(register):
    lines = format_table(coverage(register)).splitlines()
    assert lines[1] == "Period: all records"
    assert lines[-1].split()[:4] == ["total", "6", "3", "50.0%"]
    assert len(lines) == 6  # definition, period, blank, header, rule, total


def test_to_csv(register):
    text = to_csv(coverage(register, by="month"))
    assert list(csv.reader(io.StringIO(text))) == [
        ["group", "month", "received", "digitized", "rate", "results_required", "results_digitized", "results_rate",
         "reused", "reuse_rate", "points_records", "points_results", "points_reuse", "score", "score_max", "flags"],
        ["2024-01", "2024-01", "3", "2", "0.6667", "1", "1", "1.0000", "0", "0.0000", "8.3300", "10.0000", "0.0000",
         "18.3300", "30.0000", "digitization;reuse"],
        ["2024-02", "2024-02", "0", "0", "", "0", "0", "", "0", "", "", "", "", "", "", ""],
        ["2024-03", "2024-03", "3", "1", "0.3333", "2", "1", "0.5000", "0", "0.0000", "4.1700", "6.2500", "0.0000",
         "10.4200", "30.0000", "digitization;reuse"],
        ["total", "", "6", "3", "0.5000", "3", "2", "0.6667", "0", "0.0000", "6.2500", "8.3300", "0.0000",
         "14.5800", "30.0000", "digitization;reuse"],
    ]


def test_to_csv_quotes_labels_and_keeps_vietnamese(register):
    text = to_csv(coverage(register, by="procedure", date_from="2030-01-01"))
    assert text.splitlines()[1] == "total,,0,0,,0,0,,0,,,,,,,"
    register.upsert_records([record("000.00.53.H48-240401-0001", "2024-04-01",
                                    procedure=("1.000001", "Chứng thực bản sao, chữ ký"))])
    parsed = list(csv.reader(io.StringIO(to_csv(coverage(register, by="procedure")))))
    assert ["1.000001 Chứng thực bản sao, chữ ký", "1.000001", "1", "0", "0.0000"] in [row[:5] for row in parsed]


# -- the other indicators: lenient rule, results, reuse, points, flags ---------------------------------

CODE = "000.00.53.H48-240105-0001"


def figures(report, *keys):
    t = report["total"]
    return tuple(t[k] for k in keys)


def test_lenient_rule_counts_components_or_result(catalog):
    codes = [f"000.00.53.H48-240105-000{n}" for n in range(1, 5)]
    catalog.upsert_records([record(c, "2024-01-05", procedure=LICENCE, components=["Đơn", "Bản vẽ"]) for c in codes])
    attach(catalog, codes[0], "Đơn", "Bản vẽ")               # components, no result
    attach(catalog, codes[1], "Đơn", result=True)            # result, a component missing
    attach(catalog, codes[2], "Đơn")                         # neither
    attach(catalog, codes[3], "Đơn", "Bản vẽ", result=True)  # both
    strict, lenient = coverage(catalog), coverage(catalog, rule="lenient")
    assert figures(strict, "received", "digitized", "rate") == (4, 1, 0.25)
    assert figures(lenient, "received", "digitized", "rate") == (4, 3, 0.75)
    assert lenient["rule"] == "lenient" and "lenient" in lenient["definition"] and "strict" not in lenient["definition"]
    # the rule changes the records rate only
    assert figures(strict, "results_required", "results_digitized", "results_rate") == (4, 2, 0.5)
    assert figures(lenient, "results_required", "results_digitized", "results_rate") == (4, 2, 0.5)


def test_results_rate_counts_procedures_with_a_paper_result_only(catalog):
    catalog.upsert_records([
        record("000.00.53.H48-240105-0001", "2024-01-05"),                                  # birth: no paper result
        record("000.00.53.H48-240105-0002", "2024-01-05", procedure=LICENCE, components=["Đơn"]),
        record("000.00.53.H48-240105-0003", "2024-01-05", procedure=LICENCE, components=["Đơn"]),
    ])
    attach(catalog, "000.00.53.H48-240105-0001", "Tờ khai", "Giấy chứng sinh", result=True)  # a stray result
    attach(catalog, "000.00.53.H48-240105-0002", "Đơn", result=True)
    report = coverage(catalog)
    assert figures(report, "results_required", "results_digitized", "results_rate") == (2, 1, 0.5)
    assert figures(report, "received", "digitized") == (3, 2)
    only_birth = [record("000.00.53.H48-240105-0001", "2024-01-05")]
    catalog2 = Catalog(catalog.path.with_name("other.sqlite"))
    catalog2.upsert_records(only_birth)
    report = coverage(catalog2)
    assert figures(report, "results_required", "results_digitized", "results_rate") == (0, 0, None)
    assert report["total"]["points"]["results"] is None and report["total"]["score_max"] == 20.0
    catalog2.close()


def test_a_result_not_yet_issued_is_not_due_until_it_is(catalog):
    pending = record(CODE, "2024-01-05", procedure=LICENCE, components=["Đơn"])
    pending.results = [RegisterResult("Giấy phép xây dựng", True, None)]
    catalog.upsert_records([pending])
    attach(catalog, CODE, "Đơn")
    report = coverage(catalog)
    assert figures(report, "digitized", "results_required", "results_rate") == (1, 0, None)
    # the export later says the result was issued: it is due, and missing
    issued = record(CODE, "2024-01-05", procedure=LICENCE, components=["Đơn"])
    issued.results = [RegisterResult("Giấy phép xây dựng", True, "2024-01-20")]
    catalog.upsert_records([issued])
    assert figures(coverage(catalog), "digitized", "results_required", "results_digitized") == (0, 1, 0)
    # a CSV re-import says nothing of results: what the JSON said stays
    catalog.upsert_records([record(CODE, "2024-01-05", procedure=LICENCE, components=["Đơn"])])
    assert figures(coverage(catalog), "digitized", "results_required") == (0, 1)
    attach(catalog, CODE, result=True)
    assert figures(coverage(catalog), "digitized", "results_required", "results_digitized") == (1, 1, 1)


def test_resolution_date_alone_makes_the_result_due(catalog):
    resolved = record(CODE, "2024-01-05", procedure=LICENCE, components=["Đơn"])
    resolved.results, resolved.resolved_date = [], "2024-01-10"
    catalog.upsert_records([resolved])
    attach(catalog, CODE, "Đơn")
    assert figures(coverage(catalog), "digitized", "results_required") == (0, 1)


def test_reuse_rate(catalog):
    catalog.upsert_records([record(f"000.00.53.H48-240105-000{n}", "2024-01-05") for n in range(1, 5)])
    shared = paper(catalog)
    catalog.attach(shared, "000.00.53.H48-240105-0001", "Tờ khai", False, "clerk")
    catalog.attach(shared, "000.00.53.H48-240105-0002", "Tờ khai", False, "clerk", reused=True)
    catalog.attach(shared, "000.00.53.H48-240105-0002", "Giấy chứng sinh", False, "clerk", reused=True)
    catalog.attach(shared, "000.00.53.H48-240105-0003", "Giấy khác", False, "clerk", reused=True)  # not listed
    assert figures(coverage(catalog), "reused", "reuse_rate") == (1, 0.25)
    # the reuse command marks an existing link: the counters follow the column
    catalog.db.execute("UPDATE attachments SET reused = 1 WHERE record_code = '000.00.53.H48-240105-0001'")
    assert figures(coverage(catalog), "reused", "reuse_rate") == (2, 0.5)
    catalog.db.execute("UPDATE attachments SET reused = 0 WHERE record_code = '000.00.53.H48-240105-0002'")
    assert figures(coverage(catalog), "reused", "reuse_rate") == (1, 0.25)
    catalog.db.execute("DELETE FROM attachments WHERE record_code = '000.00.53.H48-240105-0001'")
    assert figures(coverage(catalog), "reused", "reuse_rate", "digitized") == (0, 0.0, 1)  # 0002 keeps its papers


@pytest.mark.parametrize("digitized, expected_points, flagged", [
    (10, 10.0, False), (8, 10.0, False), (7, 8.75, True), (4, 5.0, True), (0, 0.0, True)])
def test_points_full_at_80_percent_else_proportional(catalog, digitized, expected_points, flagged):
    codes = [f"000.00.53.H48-240105-{n:04d}" for n in range(10)]
    catalog.upsert_records([record(c, "2024-01-05", components=["Tờ khai"]) for c in codes])
    for c in codes[:digitized]:
        attach(catalog, c, "Tờ khai")
    total = coverage(catalog)["total"]
    assert total["points"]["records"] == expected_points
    assert ("digitization" in total["flags"]) is flagged


def test_reuse_flag_under_half_and_configurable_points(catalog):
    codes = [f"000.00.53.H48-240105-{n:04d}" for n in range(4)]
    catalog.upsert_records([record(c, "2024-01-05", components=["Tờ khai"]) for c in codes])
    for n, c in enumerate(codes):
        catalog.attach(paper(catalog), c, "Tờ khai", False, "clerk", reused=n < 2)
    report = coverage(catalog, max_points=parse_max_points("records=4,reuse=6"))
    total = report["total"]
    assert (total["reused"], total["reuse_rate"], total["flags"]) == (2, 0.5, [])  # 50 % is not under 50 %
    assert total["points"] == {"records": 4.0, "results": None, "reuse": 3.75}    # 0.5 x 6 / 0.8
    assert (total["score"], total["score_max"]) == (7.75, 10.0)
    assert report["max_points"] == {"records": 4.0, "results": 10.0, "reuse": 6.0}
    catalog.db.execute("UPDATE attachments SET reused = 0 WHERE record_code = ?", (codes[0],))
    assert coverage(catalog)["total"]["flags"] == ["reuse"]


@pytest.mark.parametrize("text, expected", [
    (None, {"records": 10.0, "results": 10.0, "reuse": 10.0}),
    ("5", {"records": 5.0, "results": 5.0, "reuse": 5.0}),
    ("results=2.5", {"records": 10.0, "results": 2.5, "reuse": 10.0}),
])
def test_parse_max_points(text, expected):
    assert parse_max_points(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "ten", "records=", "score=3", "records=1,results"])
def test_parse_max_points_refuses(text):
    with pytest.raises(BadArgument, match="--max-points"):
        parse_max_points(text)


def test_by_channel_and_combinations(register):
    by_channel = coverage(register, by="channel")
    assert [(r["group"], r["channel"], r["received"]) for r in by_channel["rows"]] == [("1 at the counter", 1, 6)]
    report = coverage(register, by="agency,month")
    assert [(r["group"], r["agency"], r["month"], r["received"], r["digitized"], r["rate"]) for r in report["rows"]] == [
        (f"{DISTRICT} / 2024-01", DISTRICT, "2024-01", 1, 1, 1.0),
        (f"{DISTRICT} / 2024-02", DISTRICT, "2024-02", 0, 0, None),   # empty groups read n/a
        (f"{DISTRICT} / 2024-03", DISTRICT, "2024-03", 1, 0, 0.0),
        (f"{WARD} / 2024-01", WARD, "2024-01", 2, 1, 0.5),
        (f"{WARD} / 2024-02", WARD, "2024-02", 0, 0, None),
        (f"{WARD} / 2024-03", WARD, "2024-03", 2, 1, 0.5),
    ]
    assert report["by"] == "agency,month" and total(report) == (6, 3, 0.5)
    assert report["rows"][1]["flags"] == [] and report["rows"][1]["score"] is None
    by_procedure = coverage(register, by="procedure,agency", date_from="2024-03-01")
    assert [(r["procedure"], r["procedure_name"], r["agency"], r["received"]) for r in by_procedure["rows"]] == [
        ("1.000894", "Cấp giấy phép xây dựng", DISTRICT, 1), ("1.000894", "Cấp giấy phép xây dựng", WARD, 1),
        ("1.001612", "Đăng ký khai sinh", WARD, 1)]


def test_rollup_gives_what_a_coarser_query_gives(register):
    fine = coverage(register, by="agency,month", rule="lenient", date_from="2023-12-01")
    for by in ("agency", "month"):
        direct = coverage(register, by=by, rule="lenient", date_from="2023-12-01")
        assert rollup(fine, by) == direct
    fine = coverage(register, by="procedure,channel")
    assert rollup(fine, "procedure") == coverage(register, by="procedure")


def test_records_outside_the_period_do_not_count_anywhere(register):
    report = coverage(register, by="agency,month", date_from="2024-02-01", date_to="2024-03-10")
    assert [(r["group"], r["received"]) for r in report["rows"]] == [
        (f"{DISTRICT} / 2024-02", 0), (f"{DISTRICT} / 2024-03", 1)]
    assert figures(report, "received", "digitized", "results_required", "reused") == (1, 0, 1, 0)


def test_missing_lists_what_lacks_a_paper_oldest_due_first(catalog):
    catalog.upsert_records([
        record("000.00.53.H48-240105-0001", "2024-01-05", components=["Tờ khai", "Giấy chứng sinh"]),
        record("000.00.53.H48-240103-0002", "2024-01-03", procedure=LICENCE, components=["Đơn", "Bản vẽ"]),
        record("000.00.53.H48-240104-0003", "2024-01-04", components=["Tờ khai"]),
        record("000.00.53.H48-240102-0004", "2024-01-02", components=["Tờ khai"]),
    ])
    due = {"000.00.53.H48-240105-0001": "2024-01-08", "000.00.53.H48-240103-0002": "2024-01-10",
           "000.00.53.H48-240104-0003": "2024-01-06"}
    for code, day in due.items():
        catalog.db.execute("UPDATE records SET due_date = ? WHERE record_code = ?", (day, code))
    attach(catalog, "000.00.53.H48-240105-0001", "Tờ khai")
    attach(catalog, "000.00.53.H48-240103-0002", "Đơn")
    attach(catalog, "000.00.53.H48-240104-0003", "Tờ khai")  # digitized
    report = missing(catalog)
    assert report["count"] == 3
    assert [(r["record_code"], r["due_date"], r["missing_components"], r["result_missing"]) for r in report["records"]] == [
        ("000.00.53.H48-240105-0001", "2024-01-08", ["Giấy chứng sinh"], False),
        ("000.00.53.H48-240103-0002", "2024-01-10", ["Bản vẽ"], True),
        ("000.00.53.H48-240102-0004", None, ["Tờ khai"], False),  # no due date: last
    ]
    assert [r["record_code"] for r in missing(catalog, limit=1)["records"]] == ["000.00.53.H48-240105-0001"]
    assert missing(catalog, limit=1)["count"] == 3
    assert missing(catalog, date_from="2024-01-03", date_to="2024-01-04")["count"] == 1
    attach(catalog, "000.00.53.H48-240103-0002", result=True)  # the lenient rule is now satisfied
    assert [r["record_code"] for r in missing(catalog, rule="lenient")["records"]] == [
        "000.00.53.H48-240105-0001", "000.00.53.H48-240102-0004"]


# -- the counters behind the reports stay true whatever writes the tables ----------------------------
RECOUNT = """
    SELECT r.record_code,
           (SELECT count(*) FROM components c WHERE c.record_code = r.record_code AND NOT EXISTS (
                SELECT 1 FROM attachments a WHERE a.record_code = c.record_code AND a.component = c.name
                AND a.is_result = 0)),
           (SELECT count(*) FROM attachments a WHERE a.record_code = r.record_code AND a.is_result = 1),
           (SELECT count(*) FROM components c WHERE c.record_code = r.record_code AND EXISTS (
                SELECT 1 FROM attachments a WHERE a.record_code = c.record_code AND a.component = c.name
                AND a.is_result = 0 AND a.reused = 1))
    FROM records r ORDER BY 1"""


def counters(catalog):
    return [tuple(r) for r in catalog.db.execute(
        "SELECT record_code, missing, result_papers, reused FROM records ORDER BY 1")]


def test_counters_follow_random_changes(catalog):
    rng = random.Random(5)
    names = ["Tờ khai", "CCCD", "Giấy chứng sinh", "Bản vẽ", "Giấy khác"]
    codes = [f"000.00.53.H48-2401{1 + i % 28:02d}-{i:04d}" for i in range(40)]
    for step in range(6):
        catalog.upsert_records([record(c, "2024-01-05", components=rng.sample(names, rng.randint(1, 4)),
                                       requires_result=rng.random() < 0.5) for c in codes])
        for _ in range(60):
            code, name = rng.choice(codes), rng.choice(names)
            catalog.attach(paper(catalog), code, name, rng.random() < 0.15, "clerk", reused=rng.random() < 0.3)
        catalog.db.execute("UPDATE attachments SET reused = 1 - reused WHERE paper_id % 7 = ?", (step,))
        catalog.db.execute("DELETE FROM attachments WHERE paper_id % 11 = ?", (step,))
        catalog.db.execute("UPDATE attachments SET component = 'CCCD' WHERE paper_id % 13 = ?", (step,))
        assert counters(catalog) == [tuple(r) for r in catalog.db.execute(RECOUNT)], step


@pytest.mark.skipif(not (Path(__file__).parent / "fixtures" / "archive-v1").exists(), reason="no v1 fixture")
def test_migration_counts_what_an_old_catalog_already_holds(tmp_path):
    path = tmp_path / "catalog.sqlite"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "archive-v1" / "catalog.sqlite", path)
    migrated = Catalog(path)
    assert migrated.db.execute("SELECT count(*) FROM attachments").fetchone()[0] > 0
    assert counters(migrated) == [tuple(r) for r in migrated.db.execute(RECOUNT)]
    assert coverage(migrated)["total"]["received"] == migrated.db.execute("SELECT count(*) FROM records").fetchone()[0]
    migrated.close()


def test_plain_reading_of_every_indicator_and_both_rules(catalog):
    rng = random.Random(2024)
    names = ["Tờ khai", "CCCD", "Giấy chứng sinh", "Bản vẽ"]
    records, state = [], {}
    for i in range(200):
        code = f"000.00.{i % 3:02d}.H48-2402{1 + i % 28:02d}-{i:04d}"
        rec = record(code, f"2024-{1 + i % 4:02d}-{1 + i % 28:02d}", agency=f"000.00.{i % 3:02d}.H48",
                     components=rng.sample(names, rng.randint(1, 4)), requires_result=rng.random() < 0.5)
        if rng.random() < 0.5:  # as a JSON export gives it: results, maybe not issued yet
            rec.results = [RegisterResult("Kết quả", rec.requires_paper_result,
                                          "2024-06-01" if rng.random() < 0.6 else None)]
        records.append(rec)
    catalog.upsert_records(records)
    for rec in records:
        present = [c for c in rec.components if rng.random() < 0.85]
        reused = [c for c in present if rng.random() < 0.2]
        for c in present:
            catalog.attach(paper(catalog), rec.record_code, c, False, "clerk", reused=c in reused)
        result = rng.random() < 0.6
        if result:
            attach(catalog, rec.record_code, result=True)
        pending = rec.requires_paper_result and rec.results is not None and not rec.results[0].issued_date
        due = rec.requires_paper_result and (not pending or result)
        complete = set(present) == set(rec.components)
        state[rec.record_code] = {
            "strict": complete and (not due or result), "lenient": complete or result,
            "results_required": due, "results_digitized": rec.requires_paper_result and result, "reused": bool(reused)}

    in_period = [r for r in records if "2024-02-01" <= r.received_date <= "2024-03-31"]
    for rule, by in [("strict", "agency"), ("lenient", "agency"), ("strict", "agency,month"), ("lenient", None)]:
        report = coverage(catalog, by=by, rule=rule, date_from="2024-02-01", date_to="2024-03-31")
        for row in [*report["rows"], report["total"]]:
            group = [r for r in in_period if r.agency == row.get("agency", r.agency)
                     and r.received_date[:7] == row.get("month", r.received_date[:7])]
            expect = {"received": len(group), "digitized": sum(state[r.record_code][rule] for r in group),
                      **{k: sum(state[r.record_code][k] for r in group)
                         for k in ("results_required", "results_digitized", "reused")}}
            assert {k: row[k] for k in expect} == expect, (rule, row["group"])
