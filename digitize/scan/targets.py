"""Where scanned papers go in the register: a record's component or its result, checked against
the register with the valid choices named, or the record a paper's QR/barcode names."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digitize.errors import BadArgument, NotFound, SohoaError, Text

if TYPE_CHECKING:
    from digitize.archive import Archive
    from digitize.catalog import Catalog


@dataclass
class Target:
    """Where scanned papers go in the register: a record's component, or its result."""

    record_code: str
    component: str | None = None
    is_result: bool = False

    def link(self) -> dict:
        return {"record_code": self.record_code, "component": self.component, "is_result": self.is_result}


def resolve_target(archive: Archive, record: str | None, component: str | None, result: bool,
                   agencies: tuple[str, ...] | None = None) -> Target | None:
    """Check a record, component and result against the register, naming the valid choices.
    `agencies`: those the asker serves (None: all); another agency's record is unknown to them."""
    if record is None:
        if component or result:
            raise BadArgument("{component} and {result} need {record:CODE}", field="record")
        return None
    found = archive.catalog.get_record(record.strip())
    if found is None or (agencies is not None and found.agency not in agencies):
        # The hint is a message of its own, translated with the error on the pages.
        if agencies is not None:  # the register's codes would name other agencies' records
            hint = Text("list yours with sohoa records list")
        else:
            codes = archive.catalog.record_codes()
            close = difflib.get_close_matches(record, codes, n=5, cutoff=0.6)
            hint = (SohoaError("did you mean {codes}?", codes=", ".join(close)) if close
                    else Text("import the register first (sohoa records import FILE.csv)") if not codes
                    else SohoaError("registered codes include {codes}", codes=", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")))
        raise NotFound("unknown record code {value!r}; {hint}", field="record", value=record, hint=hint)
    if component and result:
        raise BadArgument("give either {component:NAME} or {result}, not both", field="component")
    if result:
        return Target(found.record_code, None, True)
    choices = "; ".join(found.components)
    if not component:
        if len(found.components) == 1:
            return Target(found.record_code, found.components[0])
        raise BadArgument("record {code} has several components; choose one with {component}: {choices}",
                          field="component", code=found.record_code, choices=choices)
    wanted = _casefold(component)
    for name in found.components:
        if _casefold(name) == wanted:
            return Target(found.record_code, name)
    raise BadArgument("record {code} has no component {value!r}; its components are: {choices}", field="component",
                      code=found.record_code, value=component, choices=choices)


def target_for_code(catalog: Catalog, code: str | None, given: Target | None) -> tuple[Target | None, str | None]:
    """The record a paper goes to, and a note if it goes nowhere: the last record code read in its
    batch, else the target `given` for the scan (--record)."""
    if code is None or (given and given.record_code == code):
        return given, None
    record = catalog.get_record(code)
    if record is None:
        return None, f"record {code} (from its QR/barcode) is not in the register: not attached"
    # The receipt names the record, not which of its papers this is, unless it has only one.
    return Target(code, record.components[0] if len(record.components) == 1 else None), None


def _casefold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()
