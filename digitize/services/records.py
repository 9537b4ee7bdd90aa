"""The register and what is digitized of it: import, list and show records, the coverage indicators
and the missing list, the pages to rescan and their acceptance as they are."""

from __future__ import annotations

from pathlib import Path

from digitize import batches, register
from digitize import coverage as indicators
from digitize.archive import Archive
from digitize.errors import BadArgument
from digitize.services.access import agencies, require
from digitize.services.actor import Actor
from digitize.services.common import date, require_in_scope, require_record_in_scope, seen, shown


def import_register(archive: Archive, actor: Actor, file: Path) -> dict:
    """Import or update records from a register CSV or JSON file (by record code): {file, new, updated}."""
    require(actor, "import_register")
    new, updated = register.import_register(archive.catalog, file, agencies(actor))
    archive.sync_index()  # papers of corrected records (the catalog marked them) carry the new fields
    return {"file": str(file), "new": new, "updated": updated}


def list_records(archive: Archive, actor: Actor, agency: str | None = None, procedure: str | None = None,
                 date_from: str | None = None, date_to: str | None = None, not_digitized: bool = False,
                 rule: str = "strict", show_ids: bool = False) -> list[dict]:
    """Registered records by received date, with what is digitized of each."""
    require(actor, "list_records")
    rows = register.list_records(archive.catalog, agency=agency, procedure=procedure,
                                 date_from=date(date_from, "from"), date_to=date(date_to, "to"),
                                 not_digitized=not_digitized, rule=rule, agencies=agencies(actor))
    return shown(archive, actor, show_ids, "records list", rows, key=None)


def show_record(archive: Archive, actor: Actor, code: str, show_ids: bool = False) -> dict:
    """A record: its components with their papers (reused or not), its results and result papers."""
    require(actor, "show_record")
    require_record_in_scope(archive, actor, code)
    found = register.show_record(archive, code)
    return shown(archive, actor, show_ids, f"records show {found['record_code']}", found, key=None,
                 record_code=found["record_code"])


def coverage(archive: Archive, actor: Actor, by: str | None = None, date_from: str | None = None,
             date_to: str | None = None, rule: str = "strict", max_points: str | None = None) -> dict:
    """The Decision 766 indicators over records received in the period, grouped `by`; `max_points`:
    `10` (each indicator) or `records=8,results=6,reuse=6`."""
    require(actor, "coverage")
    period = {"date_from": date(date_from, "from"), "date_to": date(date_to, "to")}
    return indicators.coverage(archive.catalog, by=by, rule=rule, max_points=indicators.parse_max_points(max_points),
                               agencies=agencies(actor), **period)


def coverage_html(archive: Archive, actor: Actor, file: Path, date_from: str | None = None,
                  date_to: str | None = None, rule: str = "strict", max_points: str | None = None,
                  lang: str | None = None) -> None:
    """The indicators as one self-contained HTML page (tables and charts) written to `file`, in
    `lang` (vi, en; by default the actor's)."""
    require(actor, "coverage")
    from digitize import i18n
    from digitize.report_html import write_html

    lang = lang or actor.lang
    if lang not in i18n.LANGUAGES:
        raise BadArgument("no such language {value!r}; choose one of {languages}", field="lang", value=lang,
                          languages=", ".join(i18n.LANGUAGES))

    period = {"date_from": date(date_from, "from"), "date_to": date(date_to, "to")}
    write_html(archive.catalog, file, rule=rule, max_points=indicators.parse_max_points(max_points), lang=lang,
               agencies=agencies(actor), **period)


MISSING_LIMIT = 1000  # a clerk's work list, not the whole register


def missing(archive: Archive, actor: Actor, date_from: str | None = None, date_to: str | None = None,
            rule: str = "strict", limit: int | None = None) -> dict:
    """The records not digitized and what each lacks, oldest due first; at most `limit` of them
    (None: MISSING_LIMIT, 0: all)."""
    require(actor, "missing")
    period = {"date_from": date(date_from, "from"), "date_to": date(date_to, "to")}
    limit = MISSING_LIMIT if limit is None else limit or None
    return indicators.missing(archive.catalog, rule=rule, limit=limit, agencies=agencies(actor), **period)


def rescan_list(archive: Archive, actor: Actor) -> list[dict]:
    """Pages to scan again (under 200 dpi, low confidence, blank, nearly empty) with their papers."""
    require(actor, "rescan_list")
    rows = batches.rescan_list(archive.catalog)
    visible = seen(archive, actor, {r["id"] for r in rows})
    rows = [r for r in rows if r["id"] in visible]
    for row in rows:
        row["pdf_path"] = archive.paper_files.where(row["pdf_path"])
    return rows


def accept_rescan(archive: Archive, actor: Actor, paper_id: int, pages: list[int] | None = None,
                  reason: str | None = None) -> dict:
    """Keep a paper's flagged pages (or these `pages` of it) as they are, for `reason` (logged)."""
    require(actor, "accept_rescan")
    require_in_scope(archive, actor, paper_id)
    return batches.accept_rescan(archive.catalog, paper_id, list(pages or ()), reason, user=actor.name)


def codes_in_image(archive: Archive, actor: Actor, file: Path) -> list[str]:
    """The record codes a photo or scan of a reception receipt carries in its QR codes or barcodes
    (the counter finds the record from them), in reading order; InputError for a file that is no image."""
    require(actor, "show_record")
    from PIL import Image, UnidentifiedImageError

    from digitize.errors import InputError
    from digitize.prepare import record_codes  # the imaging step: loaded only when a code is read

    try:
        with Image.open(file) as image:
            image.load()
            dpi = image.info.get("dpi", (150, 150))[0] or 150
            return record_codes(image, int(dpi))
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError("the file is not an image this can read ({problem})", field="image",
                         problem=type(exc).__name__) from None
