"""Dates as people type them (a register's cells, a command's options, a form's fields)."""

from __future__ import annotations

import functools
import re
from datetime import date

from digitize.errors import BadArgument, Field, Text

ISO_DATE = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})")
VN_DATE = re.compile(r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})")


@functools.lru_cache(maxsize=8192)  # a register repeats a few hundred dates a million times
def parse_date(text: str) -> str:
    """`YYYY-MM-DD`, `DD/MM/YYYY` or `D/M/YYYY` → ISO `YYYY-MM-DD`; ValueError says why not."""
    text = text.strip()
    match = ISO_DATE.fullmatch(text) or VN_DATE.fullmatch(text)
    if match is None:
        raise ValueError(Text("expected YYYY-MM-DD or DD/MM/YYYY"))
    y, m, d = (int(match[k]) for k in ("y", "m", "d"))
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        if "/" in text and m > 12 and d <= 12:
            raise ValueError(Text("no such date (day comes first: DD/MM/YYYY)")) from None
        raise ValueError(Text("no such date")) from None


def date_given(value: str, field: str, quoted: bool = False) -> str:
    """`parse_date` of a value a user gave for `field` (an option, a form field): BadArgument about it,
    naming the field as the interface does (`--from '…': …; use …`), or `quoted` as the coverage
    report words a bound (`"from" date "…": …`)."""
    try:
        return parse_date(value)
    except ValueError as exc:
        reason = exc.args[0]  # a Text: translated on a page with the message
        if quoted:
            raise BadArgument('"{bound}" date "{value}": {reason}', field=field, bound=field, value=value,
                              reason=reason) from None
        raise BadArgument("{date} {value!r}: {reason}; use YYYY-MM-DD or DD/MM/YYYY", field=field,
                          date=Field(field), value=value, reason=reason) from None
