"""The register of received records (sổ theo dõi hồ sơ): a CSV or JSON file the one-stop system exports.

`read_register` checks every record and reports every problem at once, with where it is (the line
number a user sees in a text editor, or a JSON position such as `records[3].components[1].name`),
so a clerk can fix the file in one pass. Nothing is imported unless the whole file is good;
`import_register` then inserts or updates the records in one transaction.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import sys
import unicodedata
from pathlib import Path

from digitize.catalog import Catalog, Record, RegisterResult, nfc
from digitize.codes import RECORD_CODE, received_on
from digitize.coverage import RULES, period
from digitize.dates import parse_date
from digitize.errors import BadArgument, Forbidden, InputError

COLUMNS = (
    "record_code", "procedure_code", "procedure_name", "agency", "channel", "received_date",
    "due_date", "applicant_name", "applicant_id", "requires_paper_result", "components",
)
REQUIRED = ("record_code", "procedure_code", "procedure_name", "agency", "received_date",
            "applicant_name", "components")

APPLICANT_ID = re.compile(r"[0-9]{9}|[0-9]{12}")
CHANNELS = {"1": 1, "2": 2, "3": 3}
BOOLEANS = {"true": True, "1": True, "yes": True, "có": True,
            "false": False, "0": False, "no": False, "không": False}


MAX_PROBLEMS_SHOWN = 20  # a wholly wrong file would otherwise print thousands of lines
# Bounds no honest register comes near, so a hostile or broken file is refused at once (README, "The register").
MAX_TEXT = 1000  # characters in a name, code or status; official procedure names run to a few hundred
MAX_COMPONENTS = 100  # components (and results) of one record; a procedure asks for a few dozen papers
MAX_DEPTH = 32  # JSON nesting; a register needs 4 (list, record, components, component), 5 wrapped


def read_register(path: Path) -> list[Record]:
    """Read and check a register (CSV, or JSON when it ends in .json or starts with [ or {)."""
    path = Path(path)
    name = path.name
    try:
        with open(path, "rb") as raw:
            head = raw.read(64)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the register ({exc.strerror or exc})") from exc
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{name}: the file is UTF-16 text; save it as UTF-8")
    if path.suffix.lower() == ".json" or head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"[", b"{"):
        records, problems = _read_json(path)
    else:
        records, problems = _read_csv(path)
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"{name}: … and {len(problems) - len(shown)} more problems")
        shown.append(f"{name}: nothing was imported; correct the file and import it again")
        error = InputError("\n".join(shown))
        error.problems = problems
        raise error
    return records


def import_register(catalog: Catalog, path: Path, agencies: tuple[str, ...] | None = None) -> tuple[int, int]:
    """Check the whole register, then insert or update its records; returns (new, updated).
    `agencies`: those the importer serves (None: all); a row of another agency, or over a record
    registered under one, is Forbidden and nothing is imported."""
    records = read_register(path)
    if not records:
        raise InputError(f"{Path(path).name}: no records, only the header")
    if agencies is not None:
        _require_agencies(catalog, Path(path).name, records, agencies)
    return catalog.upsert_records(records)


def _require_agencies(catalog: Catalog, name: str, records: list[Record], agencies: tuple[str, ...]) -> None:
    mine = {nfc(a) for a in agencies}
    registered = catalog.records.agencies_of([r.record_code for r in records])
    foreign = sorted({nfc(r.agency) for r in records if nfc(r.agency) not in mine})
    if foreign:
        raise Forbidden(f"{name}: records of agencies you do not serve ({', '.join(foreign[:5])}"
                        f"{' …' if len(foreign) > 5 else ''}); nothing was imported")
    taken = sorted(code for code, agency in registered.items() if nfc(agency) not in mine)
    if taken:
        raise Forbidden(f"{name}: record codes of another agency ({', '.join(taken[:5])}"
                        f"{' …' if len(taken) > 5 else ''}); nothing was imported")


def _read_csv(path: Path) -> tuple[list[Record], list[str]]:
    name = path.name
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
                components, row_problems = _split_components(values["components"])
                record, field_problems = _check_row(values, components)
                problems.extend(f"{name} line {start}: {field}{reason}" for field, reason in field_problems)
                problems.extend(f"{name} line {start}: {p}" for p in row_problems)
                code = values["record_code"]
                if code in first_line:
                    problems.append(f"{name} line {start}: record_code {_show(code)} is repeated "
                                    f"(first on line {first_line[code]})")
                elif code:
                    first_line[code] = start
                if record is not None and not row_problems:
                    records.append(record)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} line {_first_undecodable_line(path)}: the file is not UTF-8 text; "
                "save it as CSV UTF-8") from exc
    return records, problems


def _split_components(text: str) -> tuple[list[str], list[str]]:
    """`A;B;C` → names, problems (the emptiness of the whole cell is _check_row's)."""
    names: list[str] = []
    if not text:
        return names, []
    seen: set[str] = set()
    parts = text.split(";")
    if len(parts) > MAX_COMPONENTS:
        return names, [f"components {_too_many(parts)}"]
    for part in parts:
        part = part.strip()
        if not part:
            return names, [f"components has an empty name between ';' (got {_show(text)})"]
        if len(part) > MAX_TEXT:
            return names, [f"components has a name that {_too_long(part)}"]
        if part.casefold() in seen:
            return names, [f"components lists {_show(part)} twice"]
        seen.add(part.casefold())
        names.append(part)
    return names, []


# -- JSON ---------------------------------------------------------------------------------------
# One object per record; README's "The register" section documents these keys.
JSON_KEYS = (*COLUMNS, "resolved_date", "results")
COMPONENT_KEYS = ("name", "status")
RESULT_KEYS = ("name", "paper", "issued_date")


def _read_json(path: Path) -> tuple[list[Record], list[str]]:
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: the file is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    deep = _too_deep(text)
    if deep is not None:
        line, column = text.count("\n", 0, deep) + 1, deep - text.rfind("\n", 0, deep)
        raise InputError(f"{name} line {line} column {column}: not a register: "
                         f"JSON nested more than {MAX_DEPTH} levels deep (a register needs 5 at most)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}") from exc
    except ValueError as exc:  # a number of thousands of digits (Python refuses to convert it)
        raise InputError(f"{name}: not a register: a number in it has more than "
                         f"{sys.get_int_max_str_digits()} digits") from exc
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]  # {"records": [...]} as some exports wrap it
    if not isinstance(data, list):
        raise InputError(f'{name}: expected a JSON list of records (or {{"records": [...]}}), '
                         f"got {_json_type(data)}")
    records: list[Record] = []
    problems: list[str] = []
    first: dict[str, int] = {}
    for i, item in enumerate(data):
        at = f"{name} records[{i}]"
        record, item_problems = _check_json_record(item)
        problems.extend(f"{at}{p}" for p in item_problems)
        code = item.get("record_code") if isinstance(item, dict) else None
        if isinstance(code, str) and code.strip():
            code = _clean(code)
            if code in first:
                problems.append(f"{at}.record_code {_show(code)} is repeated (first in records[{first[code]}])")
            else:
                first[code] = i
        if record is not None:
            records.append(record)
    return records, problems


def _check_json_record(item) -> tuple[Record | None, list[str]]:
    """One record object → the record (None on any problem) and problems as `.path reason`."""
    if not isinstance(item, dict):
        return None, [f" must be an object with record_code, components… (got {_json_type(item)})"]
    problems = _unknown_keys("", item, JSON_KEYS)
    values, wrong_type = {}, set()
    for key in COLUMNS:
        if key == "components":
            continue
        value = item.get(key)
        if key == "requires_paper_result" and value is None and item.get("results") is not None:
            if not isinstance(item["results"], list):
                wrong_type.add(key)  # the results' own problem says it
                value = False
            else:  # unsaid: a procedure issues a paper result when one of its results is on paper
                value = any(isinstance(r, dict) and r.get("paper", True) is True for r in item["results"])
        text, problem = _json_scalar(value, key)
        if problem and key not in wrong_type:
            problems.append(f".{key} {problem}")
            wrong_type.add(key)
        values[key] = text

    components, statuses = [], {}
    listed = item.get("components")
    if not isinstance(listed, list) or not listed:
        problems.append(f".components must be a non-empty list of {{\"name\", \"status\"}} objects "
                        f"(got {_json_type(listed)})")
        listed = []
    elif len(listed) > MAX_COMPONENTS:
        problems.append(f".components {_too_many(listed)}")
        listed = []
    seen: dict[str, int] = {}
    for j, comp in enumerate(listed):
        at = f".components[{j}]"
        if isinstance(comp, str):
            comp = {"name": comp}  # a bare name is shorthand for {"name": ...}
        if not isinstance(comp, dict):
            problems.append(f"{at} must be an object with a name (got {_json_type(comp)})")
            continue
        problems += _unknown_keys(at, comp, COMPONENT_KEYS)
        comp_name, problem = _json_scalar(comp.get("name"), "name")
        status, status_problem = _json_scalar(comp.get("status"), "status")
        if problem or not comp_name:
            problems.append(f"{at}.name {problem or 'is empty'}")
            continue
        if status_problem:
            problems.append(f"{at}.status {status_problem}")
        if comp_name.casefold() in seen:
            problems.append(f"{at}.name {_show(comp_name)} is repeated (first in components[{seen[comp_name.casefold()]}])")
            continue
        seen[comp_name.casefold()] = j
        components.append(comp_name)
        statuses[comp_name] = status

    results, issued_at = None, {}
    if item.get("results") is not None:
        results = []
        if not isinstance(item["results"], list):
            problems.append(f'.results must be a list of {{"name", "paper", "issued_date"}} objects '
                            f"(got {_json_type(item['results'])})")
        elif len(item["results"]) > MAX_COMPONENTS:
            problems.append(f".results {_too_many(item['results'])}")
        else:
            names: dict[str, int] = {}
            for j, res in enumerate(item["results"]):
                at = f".results[{j}]"
                if not isinstance(res, dict):
                    problems.append(f"{at} must be an object with a name (got {_json_type(res)})")
                    continue
                problems += _unknown_keys(at, res, RESULT_KEYS)
                res_name, problem = _json_scalar(res.get("name"), "name")
                if problem or not res_name:
                    problems.append(f"{at}.name {problem or 'is empty'}")
                elif res_name.casefold() in names:
                    problems.append(f"{at}.name {_show(res_name)} is repeated "
                                    f"(first in results[{names[res_name.casefold()]}])")
                names.setdefault((res_name or "").casefold(), j)
                paper = res.get("paper", True)
                if not isinstance(paper, bool):
                    problems.append(f"{at}.paper must be true or false (got {json.dumps(paper, ensure_ascii=False)})")
                issued, problem = _json_date(res.get("issued_date"))
                if problem:
                    problems.append(f"{at}.issued_date{problem}")
                results.append(RegisterResult(res_name, paper is True, issued))
                issued_at[j] = issued
            if values["requires_paper_result"] == "false" and any(r.paper for r in results):
                problems.append(".requires_paper_result is false but a result is on paper (\"paper\": true)")

    resolved, problem = _json_date(item.get("resolved_date"))
    if problem:
        problems.append(f".resolved_date{problem}")
    if resolved and "results" not in item:
        problems.append(".resolved_date needs the record's results (a list, possibly empty)")

    record, field_problems = _check_row(values, components)
    problems += [f".{field}{reason}" for field, reason in field_problems if field not in wrong_type]
    for at, when in [("resolved_date", resolved), *((f"results[{j}].issued_date", d) for j, d in issued_at.items())]:
        if record is not None and when and when < record.received_date:
            problems.append(f".{at} {when} is before received_date {record.received_date}")
    if problems or record is None:
        return None, problems
    record.statuses = statuses
    record.results = results
    record.resolved_date = resolved
    return record, []


def _json_scalar(value, key: str) -> tuple[str, str | None]:
    """A JSON value as the text a CSV cell would hold, or why it cannot be."""
    if value is None:
        return "", None
    if isinstance(value, str):
        text = _clean(value)
        return (text, None) if len(text) <= MAX_TEXT else ("", _too_long(text))
    if isinstance(value, bool):
        if key == "requires_paper_result":
            return ("true" if value else "false"), None
    elif isinstance(value, int) and key == "channel":
        return str(value), None
    elif isinstance(value, (int, float)) and key in ("applicant_id", "record_code", "procedure_code"):
        why = "codes such as 1.001612 are text" if key == "procedure_code" else "a number loses leading zeros"
        return "", f"must be a string in quotes ({why}; got {value!r})"
    return "", f"must be {'true or false' if key == 'requires_paper_result' else 'a string'} (got {_json_type(value)})"


def _json_date(value) -> tuple[str | None, str | None]:
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        return None, f" must be a date string YYYY-MM-DD or DD/MM/YYYY (got {_json_type(value)})"
    try:
        return parse_date(value), None
    except ValueError as exc:
        return None, f": {exc} (got {_show(value)})"


def _unknown_keys(at: str, obj: dict, known: tuple[str, ...]) -> list[str]:
    """Exports carry extra keys, which are ignored; only a key that looks like a misspelt one is an error."""
    problems = []
    for key in obj:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.8)
            if close:
                problems.append(f"{at} has unknown key {_show(str(key))} (did you mean {close[0]}?)")
    return problems


def _json_type(value) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


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


def _too_long(text: str) -> str:
    return f"is {len(text):,} characters long, at most {MAX_TEXT:,} (got {_show(text)})"


def _too_many(items: list) -> str:
    return f"has {len(items):,} entries, at most {MAX_COMPONENTS} (a procedure asks for a few dozen papers)"


_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'[]{}"')))  # UTF-8 hides no ASCII byte inside a character
_STRING = re.compile(rb'"[^"]*"?')  # once escapes are gone; unterminated: to the end
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


def _too_deep(text: str) -> int | None:
    """Where JSON `text` opens a bracket more than MAX_DEPTH deep, or None.

    json.loads recurses once per level, so a hostile file must be measured before it is parsed.
    """
    unescaped = text.encode().replace(b"\\\\", b"").replace(b'\\"', b"")  # so that quotes pair up
    # Brackets and quotes only; two quotes side by side enclose no bracket, whichever string they belong to.
    brackets = _STRING.sub(b"", unescaped.translate(None, _NOT_STRUCTURE).replace(b'""', b""))
    for _ in range(MAX_DEPTH):  # each pass empties the innermost level, at C speed
        brackets = _EMPTY_PAIR.sub(b"", brackets)
        if not brackets:
            return None
    depth = 0  # too deep, or brackets that do not pair (json.loads says where): find the place
    for token in _JSON_TOKEN.finditer(text):
        if token[0] in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif token[0] in ("]", "}"):
            depth -= 1
    return None


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


def _check_row(v: dict[str, str], components: list[str]) -> tuple[Record | None, list[tuple[str, str]]]:
    """Check one record's cleaned values (components already split and checked).

    Returns the record (None if any problem) and the problems as (field, rest of the message), so
    CSV says `channel must be…` and JSON `records[3].channel must be…`.
    """
    problems = [(col, " is empty") for col in REQUIRED if col in v and not v[col]]
    too_long = {col: " " + _too_long(value) for col, value in v.items()
                if col != "components" and len(value) > MAX_TEXT}

    code = v["record_code"]
    if code:
        match = RECORD_CODE.fullmatch(code)
        if match is None:
            problems.append(("record_code", " must look like AGENCY-YYMMDD-NNNN, "
                            f"e.g. 000.00.53.H48-220921-0099 (got {_show(code)})"))
        elif received_on(match) is None:
            problems.append(("record_code", f" has no such date {match['date']} (YYMMDD) (got {_show(code)})"))

    channel = CHANNELS.get(v["channel"])
    if channel is None:
        problems.append(("channel", f" must be 1, 2 or 3 (got {_show(v['channel'])})"))

    received = due = None
    if v["received_date"]:
        try:
            received = parse_date(v["received_date"])
        except ValueError as exc:
            problems.append(("received_date", f": {exc} (got {_show(v['received_date'])})"))
    if v["due_date"]:
        try:
            due = parse_date(v["due_date"])
        except ValueError as exc:
            problems.append(("due_date", f": {exc} (got {_show(v['due_date'])})"))
    if received and due and due < received:
        problems.append(("due_date", f" {due} is before received_date {received}"))

    applicant_id = v["applicant_id"]
    if applicant_id and not APPLICANT_ID.fullmatch(applicant_id):
        # A CCCD starts with its province code 001-096: a spreadsheet that took it for a number
        # drops one or two leading zeros (likewise for an old CMND).
        hint = ("; a spreadsheet may have dropped leading zeros: format the column as text"
                if applicant_id.isascii() and applicant_id.isdigit() and len(applicant_id) in (7, 8, 10, 11)
                else "")
        problems.append(("applicant_id", f" must be 9 or 12 digits{hint} (got {_show(applicant_id)})"))

    requires_result = BOOLEANS.get(v["requires_paper_result"].casefold())
    if requires_result is None:
        problems.append(("requires_paper_result", " must be one of true/false, 1/0, yes/no, có/không "
                        f"(got {_show(v['requires_paper_result'])})"))

    if too_long:  # the value's other problems would only repeat this one
        problems = [*too_long.items(), *(p for p in problems if p[0] not in too_long)]
    if problems:
        return None, problems
    return Record(
        record_code=code, procedure_code=v["procedure_code"], procedure_name=v["procedure_name"],
        agency=v["agency"], channel=channel, received_date=received, due_date=due,
        applicant_name=v["applicant_name"], applicant_id=applicant_id or None,
        requires_paper_result=requires_result, components=components,
    ), []


# -- looking at the register -----------------------------------------------------------------
def list_records(catalog: Catalog, agency: str | None = None, procedure: str | None = None,
                 date_from: str | None = None, date_to: str | None = None, not_digitized: bool = False,
                 rule: str = "strict", agencies: tuple[str, ...] | None = None) -> list[dict]:
    """Records received in the period (by received date, then code), with how far each is digitized;
    of these `agencies` only (None: all; another agency asked for has none, and is not named)."""
    if rule not in RULES:
        raise BadArgument(f'unknown rule "{rule}"; use strict or lenient')
    date_from, date_to = period(date_from, date_to)
    if agencies is not None and agency is not None and _clean(agency) not in agencies:
        return []
    wanted = {}
    for column, value, label in (("agency", agency, "agency"), ("procedure", procedure, "procedure")):
        if value is None:
            continue
        value = wanted[column] = _clean(value)
        if column == "procedure":  # a procedure by its code or its exact name
            known = catalog.records.procedure_codes()
            found = catalog.records.has_procedure(value)
        else:
            known = [a for a in catalog.records.agencies() if agencies is None or a in agencies]
            found = value in known
        if not found:
            close = difflib.get_close_matches(value, known, n=5, cutoff=0.5) or sorted(known)[:5]
            raise BadArgument(f"no records of {label} {_show(value)}; "
                              + (f"the register has {', '.join(close)}" if close else "the register is empty"))
    rows = catalog.coverage.records(rule, date_from, date_to, not_digitized=not_digitized, **wanted)
    if agencies is not None:
        rows = [r for r in rows if r["agency"] in agencies]
    flags = ("requires_paper_result", "result_digitized", "result_due", "reused", "digitized")
    return [{k: (bool(v) if k in flags else v) for k, v in r.items()} for r in rows]


def show_record(archive, record_code: str) -> dict:
    """A record with its components (their papers, reused or not), results and result papers."""
    from digitize.scan.targets import resolve_target

    catalog = archive.catalog
    code = resolve_target(archive, record_code, None, True).record_code  # unknown codes: scan's message
    record = catalog.records.describe(code)
    for key in ("requires_paper_result", "digitized", "digitized_lenient", "result_due", "reused"):
        record[key] = bool(record[key])
    papers: dict[tuple[str, int], list[dict]] = {}
    for a in catalog.papers.attached_to(code):
        paper = dict(a)
        key = (paper.pop("component"), paper.pop("is_result"))
        paper["reused"] = bool(paper["reused"])
        papers.setdefault(key, []).append(paper)
    record["components"] = [
        {"name": c["name"], "status": c["status"], "papers": papers.pop((c["name"], 0), [])}
        for c in catalog.records.components(code)]
    record["results"] = [
        {"name": r["name"], "paper": bool(r["paper"]), "issued_date": r["issued_date"]}
        for r in catalog.records.results(code)]
    record["result_papers"] = [p for (_, is_result), ps in papers.items() if is_result for p in ps]
    # papers attached under a name the register no longer lists: shown, but they count for nothing
    record["other_papers"] = [dict(p, component=name) for (name, is_result), ps in papers.items()
                              if not is_result for p in ps]
    return record


def attach_paper(archive, paper_id: int, record: str | None, component: str | None, result: bool,
                 user: str) -> dict:
    """Link an archived paper to a record's component or result; attaching twice is a no-op. The index
    also searches a paper by every record it serves: the caller syncs it when `attached`."""
    from digitize import audit
    from digitize.scan.targets import resolve_target

    catalog = archive.catalog
    catalog.require_paper(paper_id)
    if record is None:
        raise BadArgument("say where the paper goes: {record:CODE} with {component:NAME} or {result}", field="record")
    target = resolve_target(archive, record, component, result)
    with catalog.transaction():
        added = catalog.attach(paper_id, target.record_code, target.component, target.is_result, user)
        if added:
            audit.log(catalog, user, "attach", paper_id, target.record_code,
                      "result" if target.is_result else target.component)
    return {"id": paper_id, "record_code": target.record_code, "component": target.component,
            "is_result": target.is_result, "attached": added}
