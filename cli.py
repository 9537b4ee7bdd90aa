"""`sohoa`: the command line. Each command parses options, calls one library function, prints.

Errors a user can fix (digitize.errors) become one line on stderr and their exit code.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import re
import sys
from functools import wraps
from pathlib import Path

import click

from digitize.archive import Archive, default_root
from digitize.errors import BadArgument, SohoaError


class SohoaGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SohoaError as exc:
            click.echo(f"sohoa: {exc}", err=True)
            ctx.exit(exc.exit_code)


def archive_command(group, name=None, **kwargs):
    """A command that works on an archive: adds --archive and --user, opens and closes the archive."""

    def decorate(func):
        @group.command(name, **kwargs)
        @click.option("--archive", "archive_root", type=click.Path(path_type=Path), envvar="SOHOA_ARCHIVE",
                      help=f"Archive folder [env SOHOA_ARCHIVE; default {default_root()}]")
        @click.option("--user", envvar="SOHOA_USER", default=lambda: _os_user(),
                      help="Who is working, for the catalog [env SOHOA_USER; default: the OS user]")
        @wraps(func)
        def command(archive_root, user, **options):
            with Archive(archive_root) as archive:
                return func(archive, user=user, **options)

        return command

    return decorate


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _print_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _parse_date_option(value: str | None, option: str) -> str | None:
    from digitize.register import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise BadArgument(f"{option} {value!r}: {exc}; use YYYY-MM-DD or DD/MM/YYYY") from None


@click.group(cls=SohoaGroup)
@click.version_option(package_name="sohoa")
def main():
    """Sohoa: digitize, archive and find the papers of administrative records."""


# -- register -------------------------------------------------------------------------------------
@main.group(cls=SohoaGroup)
def records():
    """The register of received records (hồ sơ)."""


@archive_command(records, "import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def records_import(archive, user, file, as_json):
    """Import or update records from a register CSV (by record code)."""
    from digitize.register import import_register

    new, updated = import_register(archive.catalog, file)
    if as_json:
        _print_json({"file": str(file), "new": new, "updated": updated})
    else:
        click.echo(f"{file}: {new + updated} records imported ({new} new, {updated} updated)")


# -- scan -----------------------------------------------------------------------------------------
@archive_command(main)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--record", metavar="CODE", help="Attach the papers to this registered record.")
@click.option("--component", metavar="NAME", help="…as this component of the record.")
@click.option("--result", is_flag=True, help="…as the record's result (giấy tờ kết quả).")
@click.option("--jobs", type=click.IntRange(1, 64), help="OCR worker processes [default: one per core]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input file (JSON Lines).")
def scan(archive, user, paths, record, component, result, jobs, as_json):
    """Archive scans (PDF, TIFF, JPEG, PNG; files or folders): one searchable PDF per file."""
    from digitize.intake import find_inputs
    from digitize.pipeline import Scanner, exit_code, resolve_target
    from ocr import TesseractEngine

    target = resolve_target(archive, record, component, result)
    files = list(find_inputs(list(paths)))
    scanner = Scanner(archive, TesseractEngine(), user=user, jobs=jobs)
    outcomes = []
    pages = [0]
    bar_or_none = (click.progressbar(length=len(files), label="scanning", file=sys.stderr, show_pos=True,
                                     item_show_func=lambda _: f"{pages[0]} pages")
                   if sys.stderr.isatty() else contextlib.nullcontext())
    with bar_or_none as bar:
        def on_page():
            pages[0] += 1
            if bar is not None:
                bar.update(0)

        for outcome in scanner.scan(files, target, on_page=on_page):
            outcomes.append(outcome)
            if bar is not None:
                bar.update(1)
            if as_json:
                click.echo(json.dumps(outcome.to_json(), ensure_ascii=False))
            elif bar is None:
                click.echo(_outcome_line(outcome))
    if not as_json:
        if bar is not None:  # lines were held back while the bar was drawing
            for outcome in outcomes:
                click.echo(_outcome_line(outcome))
        counts = {s: sum(o.status == s for o in outcomes) for s in ("new", "skipped", "failed")}
        click.echo(f"{counts['new']} new, {counts['skipped']} skipped, {counts['failed']} failed"
                   f" ({sum(o.pages for o in outcomes if o.status == 'new')} pages OCR'd)")
    for outcome in outcomes:
        if outcome.status == "failed":
            click.echo(f"sohoa: {outcome.source_path}: {outcome.error}", err=True)
    sys.exit(exit_code(outcomes))


def _outcome_line(o) -> str:
    where = ""
    if o.record_code:
        where = f" → {o.record_code} / {'kết quả' if o.is_result else o.component}"
    if o.status == "new":
        conf = f", confidence {o.mean_confidence:.1f}" if o.mean_confidence is not None else ""
        return f"new      #{o.id:<5} {o.source_name} ({o.pages} page{'s' if o.pages != 1 else ''}{conf}){where}"
    if o.status == "skipped":
        return f"skipped  #{o.id if o.id is not None else '-':<5} {o.source_name} ({o.note})"
    return f"failed          {o.source_name}: {o.error}"


# -- search and look ------------------------------------------------------------------------------
@archive_command(main)
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of hits.")
def search(archive, user, query, limit, as_json):
    """Full-text search, tones and đ optional: `sohoa search nguyen van an`."""
    hits = archive.index.search(" ".join(query), limit=limit)
    rows = [{
        "id": h.id, "record_code": h.record_code, "component": h.component, "source_name": h.source_name,
        "pdf_path": str(archive.paper_path(h.pdf_path)) if h.pdf_path else None,
        "score": round(h.score, 4), "snippet": h.snippet, "matched": h.matched,
    } for h in hits]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        click.echo("no papers found")
        return
    bold = sys.stdout.isatty()
    for r in rows:
        click.echo(f"#{r['id']}  {r['record_code'] or '(no record)'}  {r['component'] or ''}  {r['source_name']}  "
                   f"score {r['score']:.2f}")
        click.echo(f"    {r['pdf_path']}")
        snippet = re.sub(r"\*\*(.+?)\*\*", lambda m: click.style(m[1], bold=True) if bold else f"[{m[1]}]", r["snippet"])
        click.echo(f"    {snippet}")


def _get_paper(archive, paper_id: int) -> dict:
    paper = archive.catalog.get_paper(paper_id)
    if paper is None:
        raise BadArgument(f"no paper {paper_id} in {archive.root}; find ids with sohoa search")
    return paper


@archive_command(main)
@click.argument("paper_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True)
def show(archive, user, paper_id, as_json):
    """A paper's metadata: source, pages, confidence, record."""
    paper = _get_paper(archive, paper_id)
    paper["pdf_path"] = str(archive.paper_path(paper["pdf_path"]))
    paper["text_chars"] = len(paper.pop("text"))
    paper.pop("indexed")
    if as_json:
        _print_json(paper)
        return
    for key in ("id", "source_name", "source_path", "pdf_path", "sha256", "page_count", "mean_confidence",
                "ocr_languages", "scanned_by", "scanned_at", "text_chars"):
        click.echo(f"{key:16} {paper[key]}")
    for a in paper["attachments"]:
        role = "result" if a["is_result"] else a["component"]
        click.echo(f"{'record':16} {a['record_code']} / {role} (by {a['attached_by']}, {a['attached_at']})")
    for p in paper["pages"]:
        conf = "-" if p["confidence"] is None else f"{p['confidence']:.1f}"
        click.echo(f"{'page ' + str(p['page_no']):16} {p['width']}×{p['height']} {p['dpi']} dpi {p['mode']} "
                   f"{p['text_source']} {p['language']} confidence {conf}")


@archive_command(main)
@click.argument("paper_id", metavar="ID", type=int)
def text(archive, user, paper_id):
    """A paper's OCR text (pages separated by form feeds)."""
    click.echo(_get_paper(archive, paper_id)["text"])


# -- reports and upkeep ---------------------------------------------------------------------------
@archive_command(main)
@click.option("--by", type=click.Choice(["agency", "procedure", "month"]), help="Group the rows.")
@click.option("--from", "date_from", metavar="DATE", help="First received date (YYYY-MM-DD or DD/MM/YYYY).")
@click.option("--to", "date_to", metavar="DATE", help="Last received date, inclusive.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
def coverage(archive, user, by, date_from, date_to, as_json, as_csv):
    """Digitized records rate: records with every component (and required result) archived ÷ received."""
    from digitize.coverage import coverage as compute, format_table, to_csv

    if as_json and as_csv:
        raise BadArgument("choose one of --json and --csv")
    report = compute(archive.catalog, by=by, date_from=_parse_date_option(date_from, "--from"),
                     date_to=_parse_date_option(date_to, "--to"))
    if as_json:
        _print_json(report)
    elif as_csv:
        click.echo(to_csv(report), nl=False)
    else:
        click.echo(format_table(report))


@archive_command(main)
def reindex(archive, user):
    """Rebuild the search index from the catalog."""
    count = archive.reindex()
    click.echo(f"reindexed {count} papers in {archive.root / 'index'}")


if __name__ == "__main__":
    main()
