"""The record code (mã số hồ sơ), `AGENCY-YYMMDD-NNNN`, e.g. `000.00.53.H48-220921-0099`: the agency's
code (dotted segments), the receipt date and the day's sequence number.

One grammar, two forms: `RECORD_CODE` is a whole value someone gave (a register row), and
`RECORD_CODE_IN_TEXT` finds codes inside text (a paper's OCR, a QR or barcode payload).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterator

_SEGMENT = r"[A-Za-z0-9]+"
_DATE = r"[0-9]{6}"  # YYMMDD
_SEQUENCE = r"[0-9]{4}"

RECORD_CODE = re.compile(rf"(?P<agency>{_SEGMENT}(?:\.{_SEGMENT})*)-(?P<date>{_DATE})-(?P<seq>{_SEQUENCE})")

# In running text the agency must have two dotted segments, so that a bare "AB-220921-0099" (a
# phone or paper number) is not taken for one; OCR may set a space either side of a dash.
RECORD_CODE_IN_TEXT = re.compile(
    rf"(?<![\w.])(?P<agency>[A-Za-z0-9]{{2,}}(?:\.{_SEGMENT})+)\s?-\s?(?P<date>{_DATE})\s?-\s?(?P<seq>{_SEQUENCE})(?!\d)")


def received_on(match: re.Match) -> date | None:
    """The receipt date a matched code carries (20YY), or None when there is no such day."""
    yymmdd = match["date"]
    try:
        return date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return None


def codes_in(text: str) -> Iterator[tuple[str, re.Match]]:
    """Each record code in `text` whose date exists, written as a code is (no spaces), with its match."""
    for match in RECORD_CODE_IN_TEXT.finditer(text):
        if received_on(match) is not None:
            yield f"{match['agency']}-{match['date']}-{match['seq']}", match
