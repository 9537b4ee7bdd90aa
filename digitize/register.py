"""The register of received records (sổ theo dõi hồ sơ): a CSV the one-stop counter exports.

`read_register` checks every row and reports every problem at once, with the line number a user
sees in a text editor, so a clerk can fix the file in one pass. Nothing is imported unless the
whole file is good; `import_register` then inserts or updates the records in one transaction.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from pathlib import Path

from digitize.catalog import Catalog, Record
from digitize.errors import InputError

COLUMNS = (
    "record_code", "procedure_code", "procedure_name", "agency", "channel", "received_date",
    "due_date", "applicant_name", "applicant_id", "requires_paper_result", "components",
)
REQUIRED = ("record_code", "procedure_code", "procedure_name", "agency", "received_date",
            "applicant_name", "components")

# AGENCY-YYMMDD-NNNN, e.g. 000.00.53.H48-220921-0099
RECORD_CODE = re.compile(r"(?P<agency>[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)-(?P<date>[0-9]{6})-(?P<seq>[0-9]{4})")
ISO_DATE = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})")
VN_DATE = re.compile(r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})")
APPLICANT_ID = re.compile(r"[0-9]{9}|[0-9]{12}")
CHANNELS = {"1": 1, "2": 2, "3": 3}
BOOLEANS = {"true": True, "1": True, "yes": True, "có": True,
            "false": False, "0": False, "no": False, "không": False}


MAX_PROBLEMS_SHOWN = 20  # a wholly wrong file would otherwise print thousands of lines


def parse_date(text: str) -> str:
    """`YYYY-MM-DD`, `DD/MM/YYYY` or `D/M/YYYY` → ISO `YYYY-MM-DD`; ValueError says why not."""
    text = text.strip()
    match = ISO_DATE.fullmatch(text) or VN_DATE.fullmatch(text)
    if match is None:
        raise ValueError("expected YYYY-MM-DD or DD/MM/YYYY")
    y, m, d = (int(match[k]) for k in ("y", "m", "d"))
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        if "/" in text and m > 12 and d <= 12:
            raise ValueError("no such date (day comes first: DD/MM/YYYY)") from None
        raise ValueError("no such date") from None


def read_register(path: Path) -> list[Record]:
    """Read and check a register CSV; InputError lists every problem, one line each."""
    path = Path(path)
    name = path.name
    try:
        with open(path, "rb") as raw:
            head = raw.read(4)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the register ({exc.strerror or exc})") from exc
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{name}: the file is UTF-16 text; save it as CSV UTF-8")

    problems: list[str] = []
    records: list[Record] = []
    first_line: dict[str, int] = {}  # record code -> line it first appeared on

    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        line = 0  # line where the next row starts, minus one
        try:
            header = next(reader, None)
            line = reader.line_num
            columns = _check_header(name, header)
            while True:
                start = line + 1
                try:
                    row = next(reader, None)
                except csv.Error as exc:
                    problems.append(f"{name} line {start}: cannot read the row: {exc} (check its quotes)")
                    break
                if row is None:
                    break
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue  # blank line, or a spreadsheet's row of empty cells
                if len(row) != len(columns):
                    problems.append(
                        f"{name} line {start}: has {len(row)} fields, expected {len(columns)} "
                        f"(a comma inside a value needs the value in double quotes)")
                    continue
                values = {col: _clean(cell) for col, cell in zip(columns, row)}
                record, row_problems = _check_row(values)
                problems.extend(f"{name} line {start}: {p}" for p in row_problems)
                code = values["record_code"]
                if code in first_line:
                    problems.append(f"{name} line {start}: record_code {_show(code)} is repeated "
                                    f"(first on line {first_line[code]})")
                elif code:
                    first_line[code] = start
                if record is not None:
                    records.append(record)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} line {_first_undecodable_line(path)}: the file is not UTF-8 text; "
                "save it as CSV UTF-8") from exc

    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"{name}: … and {len(problems) - len(shown)} more problems")
        shown.append(f"{name}: nothing was imported; correct the file and import it again")
        error = InputError("\n".join(shown))
        error.problems = problems
        raise error
    return records


def import_register(catalog: Catalog, path: Path) -> tuple[int, int]:
    """Check the whole register, then insert or update its records; returns (new, updated)."""
    records = read_register(path)
    if not records:
        raise InputError(f"{Path(path).name}: no records, only the header")
    return catalog.upsert_records(records)


# -- helpers ----------------------------------------------------------------------------
def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _first_undecodable_line(path: Path) -> int:
    """The text decoder reads ahead in blocks, so find the offending line again, byte-wise."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _show(value: str) -> str:
    """A value quoted for a one-line message."""
    value = value.replace("\r", " ").replace("\n", " ")
    if len(value) > 60:
        value = value[:57] + "..."
    return f'"{value}"'


def _check_header(name: str, header: list[str] | None) -> list[str]:
    if header is None or not any(cell.strip() for cell in header):
        raise InputError(f"{name}: the file is empty; expected the header {','.join(COLUMNS)}")
    columns = [_clean(cell) for cell in header]
    problems = []
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        hint = " (the file seems to use ';' between columns; save it with commas)" if (
            len(columns) == 1 and ";" in columns[0]) else ""
        problems.append(f"missing columns: {', '.join(missing)}{hint}")
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown and not (len(columns) == 1 and missing):
        problems.append(f"unknown columns: {', '.join(_show(c) for c in unknown)}")
    repeated = sorted({c for c in columns if c in COLUMNS and columns.count(c) > 1})
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if problems:
        raise InputError("\n".join(f"{name} line 1: {p}" for p in problems))
    return columns


def _check_row(v: dict[str, str]) -> tuple[Record | None, list[str]]:
    """Check one row's cleaned values; returns the record (None if any problem) and the problems."""
    problems = [f"{col} is empty" for col in REQUIRED if not v[col]]

    code = v["record_code"]
    if code:
        match = RECORD_CODE.fullmatch(code)
        if match is None:
            problems.append(f"record_code must look like AGENCY-YYMMDD-NNNN, "
                            f"e.g. 000.00.53.H48-220921-0099 (got {_show(code)})")
        else:
            yymmdd = match["date"]
            try:
                date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
            except ValueError:
                problems.append(f"record_code has no such date {yymmdd} (YYMMDD) (got {_show(code)})")

    channel = CHANNELS.get(v["channel"])
    if channel is None:
        problems.append(f"channel must be 1, 2 or 3 (got {_show(v['channel'])})")

    received = due = None
    if v["received_date"]:
        try:
            received = parse_date(v["received_date"])
        except ValueError as exc:
            problems.append(f"received_date: {exc} (got {_show(v['received_date'])})")
    if v["due_date"]:
        try:
            due = parse_date(v["due_date"])
        except ValueError as exc:
            problems.append(f"due_date: {exc} (got {_show(v['due_date'])})")
    if received and due and due < received:
        problems.append(f"due_date {due} is before received_date {received}")

    applicant_id = v["applicant_id"]
    if applicant_id and not APPLICANT_ID.fullmatch(applicant_id):
        # A CCCD starts with its province code 001-096: a spreadsheet that took it for a number
        # drops one or two leading zeros (likewise for an old CMND).
        hint = ("; a spreadsheet may have dropped leading zeros: format the column as text"
                if applicant_id.isascii() and applicant_id.isdigit() and len(applicant_id) in (7, 8, 10, 11)
                else "")
        problems.append(f"applicant_id must be 9 or 12 digits{hint} (got {_show(applicant_id)})")

    requires_result = BOOLEANS.get(v["requires_paper_result"].casefold())
    if requires_result is None:
        problems.append("requires_paper_result must be one of true/false, 1/0, yes/no, có/không "
                        f"(got {_show(v['requires_paper_result'])})")

    components: list[str] = []
    if v["components"]:
        seen: set[str] = set()
        for part in v["components"].split(";"):
            part = part.strip()
            if not part:
                problems.append(f"components has an empty name between ';' (got {_show(v['components'])})")
                break
            if part.casefold() in seen:
                problems.append(f"components lists {_show(part)} twice")
            else:
                seen.add(part.casefold())
                components.append(part)

    if problems:
        return None, problems
    return Record(
        record_code=code, procedure_code=v["procedure_code"], procedure_name=v["procedure_name"],
        agency=v["agency"], channel=channel, received_date=received, due_date=due,
        applicant_name=v["applicant_name"], applicant_id=applicant_id or None,
        requires_paper_result=requires_result, components=components,
    ), []
