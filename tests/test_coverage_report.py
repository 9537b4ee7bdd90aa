"""The digitized records rate (strict rule) on small hand-built registers whose answer is known."""

import csv
import io
import random

import pytest

from digitize.catalog import Catalog, NewPaper, PageInfo, Record
from digitize.coverage import coverage, format_table, to_csv
from digitize.errors import BadArgument

BIRTH = ("1.001612", "Đăng ký khai sinh")            # no paper result
LICENCE = ("1.000894", "Cấp giấy phép xây dựng")     # issues a paper result
WARD = "000.00.53.H48"
DISTRICT = "000.00.12.H48"


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
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
    assert report["total"] == {"group": "total", "received": 6, "digitized": 3, "rate": 0.5}
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
    assert table.splitlines()[-1].split() == ["total", "0", "0", "n/a"]
    assert "0.0%" not in table and "100.0%" not in table


def test_empty_catalog(catalog):
    assert total(coverage(catalog)) == (0, 0, None)
    assert coverage(catalog, by="month")["rows"] == []
    assert coverage(catalog, by="procedure")["rows"] == []


@pytest.mark.parametrize("kwargs, message", [
    ({"by": "applicant"}, 'cannot group coverage by "applicant"; use agency, procedure or month'),
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
    assert lines[0].startswith("Digitized records rate (strict rule)")
    assert lines[1] == "Period: 2024-01-01 to 2024-03-31 (received date, inclusive)"
    body = lines[3:]
    assert body[0].split() == ["Month", "Received", "Digitized", "Rate"]
    assert [line.split() for line in body[2:5]] == [
        ["2024-01", "3", "2", "66.7%"], ["2024-02", "0", "0", "n/a"], ["2024-03", "3", "1", "33.3%"]]
    assert body[-1].split() == ["total", "6", "3", "50.0%"]
    # aligned: every line of the table ends its rate column at the same place
    assert len({len(line) for line in body}) == 1


def test_format_table_without_grouping(register):
    lines = format_table(coverage(register)).splitlines()
    assert lines[1] == "Period: all records"
    assert lines[-1].split() == ["total", "6", "3", "50.0%"]
    assert len(lines) == 6  # definition, period, blank, header, rule, total


def test_to_csv(register):
    text = to_csv(coverage(register, by="month"))
    assert list(csv.reader(io.StringIO(text))) == [
        ["group", "received", "digitized", "rate"],
        ["2024-01", "3", "2", "0.6667"],
        ["2024-02", "0", "0", ""],
        ["2024-03", "3", "1", "0.3333"],
        ["total", "6", "3", "0.5000"],
    ]


def test_to_csv_quotes_labels_and_keeps_vietnamese(register):
    text = to_csv(coverage(register, by="procedure", date_from="2030-01-01"))
    assert text == "group,received,digitized,rate\ntotal,0,0,\n"
    register.upsert_records([record("000.00.53.H48-240401-0001", "2024-04-01",
                                    procedure=("1.000001", "Chứng thực bản sao, chữ ký"))])
    parsed = list(csv.reader(io.StringIO(to_csv(coverage(register, by="procedure")))))
    assert ["1.000001 Chứng thực bản sao, chữ ký", "1", "0", "0.0000"] in parsed


# -- cross-check against a plain reading of the rule ------------------------------------------
def test_matches_a_plain_python_reading_of_the_rule(catalog):
    rng = random.Random(766)
    names = ["Tờ khai", "CCCD", "Giấy chứng sinh", "Bản vẽ"]
    records, expected = [], {}
    for i in range(300):
        code = f"000.00.{i % 3:02d}.H48-2401{1 + i % 28:02d}-{i:04d}"
        comps = rng.sample(names, rng.randint(1, 4))
        rec = record(code, f"2024-{1 + i % 6:02d}-{1 + i % 28:02d}", agency=f"000.00.{i % 3:02d}.H48",
                     components=comps, requires_result=rng.random() < 0.4)
        records.append(rec)
    catalog.upsert_records(records)
    for rec in records:
        present = [c for c in rec.components if rng.random() < 0.85]
        result = rec.requires_paper_result and rng.random() < 0.7 or rng.random() < 0.1
        attach(catalog, rec.record_code, *present, result=result)
        if rng.random() < 0.2:
            attach(catalog, rec.record_code, "Giấy tờ khác")
        done = set(present) == set(rec.components) and (result or not rec.requires_paper_result)
        expected[rec.record_code] = done

    for by in (None, "agency", "month"):
        report = coverage(catalog, by=by, date_from="2024-02-01", date_to="2024-05-31")
        in_period = [r for r in records if "2024-02-01" <= r.received_date <= "2024-05-31"]
        assert report["total"]["received"] == len(in_period)
        assert report["total"]["digitized"] == sum(expected[r.record_code] for r in in_period)
        if by == "agency":
            for row in report["rows"]:
                group = [r for r in in_period if r.agency == row["group"]]
                assert (row["received"], row["digitized"]) == (
                    len(group), sum(expected[r.record_code] for r in group))
