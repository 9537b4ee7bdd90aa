"""`sohoa`: the command line. Each command parses options, calls one service (digitize.services),
prints what it returns: a table or lines by default, JSON with --json.

Errors a user can fix (digitize.errors) become one line on stderr and their exit code.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from functools import wraps
from pathlib import Path

import click

from digitize.archive import Archive, default_root
from digitize.errors import BadArgument, DiskFull, InputError, SohoaError, disk_full
from digitize.services import Actor

PRIVATE = 0o007  # no file a command writes is for other local users: they hold citizens' papers


class SohoaGroup(click.Group):
    def invoke(self, ctx):
        umask = os.umask(PRIVATE)
        os.umask(umask | PRIVATE)  # the group's access stays as the administrator's umask sets it
        try:
            return super().invoke(ctx)
        except SohoaError as exc:
            click.echo(f"sohoa: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            if not disk_full(exc):  # any command can meet a full disk, not only scan, which says more
                raise
            click.echo(f"sohoa: the disk is full ({exc}); free space and run the same command again", err=True)
            ctx.exit(DiskFull.exit_code)
        finally:
            os.umask(umask)


def archive_command(group, name=None, writes: bool = True, remote: str | None = None, **kwargs):
    """A command that works on an archive: adds --archive and --user, opens and closes the archive,
    and calls the command with the archive and the actor. A command that `writes` is refused at once
    on a read-only archive; the others read it as it is. `remote`: the option that, when given, makes
    the command work on a server instead (no archive opened here: it gets None)."""

    def decorate(func):
        @group.command(name, **kwargs)
        @click.option("--archive", "archive_root", type=click.Path(path_type=Path), envvar="SOHOA_ARCHIVE",
                      help=f"Archive folder [env SOHOA_ARCHIVE; default {default_root()}]")
        @click.option("--user", envvar="SOHOA_USER", default=lambda: _os_user(),
                      help="Who is working, for the catalog [env SOHOA_USER; default: the OS user]")
        @click.option("--catalog", "catalog_url", envvar="SOHOA_CATALOG", metavar="URL",
                      help="A PostgreSQL catalog, postgresql://USER@HOST/DB, instead of catalog.sqlite; the archive "
                           "records it (never its password: PGPASSWORD or ~/.pgpass) [env SOHOA_CATALOG; default: "
                           "the catalog the archive records]")
        @wraps(func)
        def command(archive_root, user, catalog_url, **options):
            if remote is not None and options.get(remote):
                return func(None, Actor(user), **options)
            with Archive(archive_root, catalog_url=catalog_url) as archive:
                if writes:
                    archive.require_writable(click.get_current_context().command_path)
                return func(archive, Actor(user), **options)

        return command

    return decorate


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _print_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


_SHOW_IDS = click.option("--show-ids", is_flag=True, help="Print citizen IDs in full (this is logged).")


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
def records_import(archive, actor, file, as_json):
    """Import or update records from a register CSV or JSON file (by record code)."""
    from digitize.services.records import import_register

    done = import_register(archive, actor, file)
    if as_json:
        _print_json(done)
    else:
        click.echo(f"{file}: {done['new'] + done['updated']} records imported ({done['new']} new, "
                   f"{done['updated']} updated)")


_RULE = click.option("--rule", type=click.Choice(["strict", "lenient"]), default="strict", show_default=True,
                     help='Digitized means every component and the result (strict), or "components or result".')
_FROM = click.option("--from", "date_from", metavar="DATE", help="First received date (YYYY-MM-DD or DD/MM/YYYY).")
_TO = click.option("--to", "date_to", metavar="DATE", help="Last received date, inclusive.")


@archive_command(records, "list", writes=False)
@click.option("--agency", help="Only this agency (exact name).")
@click.option("--procedure", metavar="CODE", help="Only this procedure (code or exact name).")
@_FROM
@_TO
@click.option("--not-digitized", is_flag=True, help="Only records not digitized (under --rule).")
@_RULE
@_SHOW_IDS
@click.option("--json", "as_json", is_flag=True)
def records_list(archive, actor, agency, procedure, date_from, date_to, not_digitized, rule, show_ids, as_json):
    """Registered records by received date, with what is digitized."""
    from digitize.services.records import list_records

    rows = list_records(archive, actor, agency=agency, procedure=procedure, date_from=date_from, date_to=date_to,
                        not_digitized=not_digitized, rule=rule, show_ids=show_ids)
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        done = r["components"] - r["components_missing"]
        result = ("result ✓" if r["result_digitized"] else "result missing" if r["result_due"]
                  else "result pending" if r["requires_paper_result"] else "no paper result")
        click.echo(f"{r['record_code']}  {r['received_date']}  {'digitized' if r['digitized'] else 'not digitized':13}  "
                   f"components {done}/{r['components']}  {result}{'  reused' if r['reused'] else ''}  "
                   f"{r['agency']}  {r['procedure_code']} {r['procedure_name']}")
    click.echo(f"{len(rows)} records")


@archive_command(records, "show", writes=False)
@click.argument("code")
@_SHOW_IDS
@click.option("--json", "as_json", is_flag=True)
def records_show(archive, actor, code, show_ids, as_json):
    """A record: its components with their archived papers (reused or not), its results."""
    from digitize.services.records import show_record

    r = show_record(archive, actor, code, show_ids=show_ids)
    if as_json:
        _print_json(r)
        return
    for key in ("record_code", "procedure_code", "procedure_name", "agency", "channel", "received_date",
                "due_date", "resolved_date", "applicant_name", "applicant_id"):
        click.echo(f"{key:16} {r[key] if r[key] is not None else '-'}")
    click.echo(f"{'digitized':16} {'yes' if r['digitized'] else 'no'} (strict), "
               f"{'yes' if r['digitized_lenient'] else 'no'} (lenient){'; a component reuses a paper' if r['reused'] else ''}")

    def papers(ps):
        return ", ".join(f"#{p['id']} {p['source_name']}{' (reused)' if p['reused'] else ''}" for p in ps) or "MISSING"

    for c in r["components"]:
        status = f" [{c['status']}]" if c["status"] else ""
        click.echo(f"component        {c['name']}{status}: {papers(c['papers'])}")
    for x in r["results"]:
        click.echo(f"result           {x['name']} ({'paper' if x['paper'] else 'no paper'}, "
                   f"{'issued ' + x['issued_date'] if x['issued_date'] else 'not issued'})")
    if r["requires_paper_result"]:
        state = papers(r["result_papers"]) if r["result_papers"] or r["result_due"] else "not issued yet"
        click.echo(f"result papers    {state}")
    for p in r["other_papers"]:
        click.echo(f"not counted      #{p['id']} {p['source_name']} under {p['component']!r}, not a listed component")


def _key_options(func):
    """How the officer's key is reached, for sign and scan --sign."""
    for option in reversed((
        click.option("--key", "key_file", type=click.Path(path_type=Path), metavar="FILE.p12",
                     help="The officer's key and certificate (PKCS#12 .p12/.pfx)."),
        click.option("--password-file", type=click.Path(path_type=Path), metavar="FILE",
                     help="Read the key's password (or the token's PIN) from FILE's first line "
                          "[else env SOHOA_KEY_PASSWORD, else asked]."),
        click.option("--pkcs11", metavar="MODULE", help="A USB token's PKCS#11 module (the .so of its driver)."),
        click.option("--token", metavar="LABEL", help="With --pkcs11: the token's label."),
        click.option("--key-label", metavar="L", help="With --pkcs11: the key's label [default: the token's only key]."),
        click.option("--tsa", metavar="URL", help="Time-stamp each signature at this RFC 3161 service (PAdES B-T)."),
    )):
        func = option(func)
    return func


def _key(key_file, password_file, pkcs11, token, key_label):
    """The officer's key, its password read from a file, SOHOA_KEY_PASSWORD, or asked."""
    from digitize.services.signing import Key, read_password

    key = Key(p12=key_file, pkcs11=pkcs11, token=token, key_label=key_label)
    key.password = read_password(password_file)
    if key.password is None:
        if not sys.stdin.isatty():
            raise BadArgument("no password for the key: give {password_file:FILE} or set SOHOA_KEY_PASSWORD",
                              field="password_file")
        key.password = click.prompt("PIN of the token" if pkcs11 else f"Password for {key_file}", hide_input=True,
                                    err=True)
    return key


def _signature_line(s: dict) -> str:
    stamp = f", time-stamped {s['timestamp_at']}" if s.get("timestamp_at") else ""
    return f"signed {s['level']} by {s['signer_subject']} (serial {s['signer_serial']}) at {s['signed_at']}{stamp}"


# -- scan -----------------------------------------------------------------------------------------
@archive_command(main)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--record", metavar="CODE", help="Attach the papers to this registered record.")
@click.option("--component", metavar="NAME", help="…as this component of the record.")
@click.option("--result", is_flag=True, help="…as the record's result (giấy tờ kết quả).")
@click.option("--split", type=click.Choice(["none", "blank", "code"]), default="none", show_default=True,
              help="Cut each file into papers at blank separator pages (blank) or at record-code QR/barcode "
                   "pages (code); in both, a record code assigns the papers after it to that record.")
@click.option("--force-ocr", is_flag=True, help="OCR PDF pages again even when they carry a text layer.")
@click.option("--jobs", type=click.IntRange(1, 64), help="OCR worker processes [default: one per core]")
@click.option("--sign", "sign_papers", is_flag=True, help="Sign each new paper once archived (with --key or --pkcs11).")
@_key_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per paper (JSON Lines).")
def scan(archive, actor, paths, record, component, result, split, force_ocr, jobs, sign_papers, key_file,
         password_file, pkcs11, token, key_label, tsa, as_json):
    """Archive scans (PDF, TIFF, JPEG, PNG; files or folders): one searchable PDF per paper."""
    from digitize.progress import Progress
    from digitize.services.scanning import scan as scan_files

    if not sign_papers and (key_file or pkcs11 or tsa):
        raise BadArgument("--key, --pkcs11 and --tsa go with --sign")
    key = _key(key_file, password_file, pkcs11, token, key_label) if sign_papers else None
    batch = scan_files(archive, actor, paths, record=record, component=component, result=result, split=split,
                       force_ocr=force_ocr, processes=jobs, sign=key, tsa_url=tsa)
    papers, stopped = [], None
    with Progress(batch.pages) as progress:
        try:
            for scanned in batch.run(on_page=progress.page, on_paper=progress.paper):
                papers.append(scanned)
                if as_json:
                    click.echo(json.dumps(scanned.view, ensure_ascii=False))
                elif not progress.bar:  # on a terminal, lines wait until the bar is gone
                    _echo_outcome(scanned)
        except DiskFull as exc:  # what was done is listed first; the one line that says why comes last
            stopped = exc
    outcomes = batch.outcomes
    if not as_json:
        if progress.bar:
            for scanned in papers:
                _echo_outcome(scanned)
        counts = {s: sum(o.status == s for o in outcomes) for s in ("new", "skipped", "failed")}
        flagged = sum(len(o.rescan) for o in outcomes)
        pages = sum(o.pages for o in outcomes if o.status == "new")
        click.echo(f"{counts['new']} new, {counts['skipped']} skipped, {counts['failed']} failed"
                   f" ({pages} page{'s' if pages != 1 else ''} archived)"
                   + (f"; {flagged} page{'s' if flagged != 1 else ''} to rescan (sohoa rescan)" if flagged else ""))
    for outcome in outcomes:
        if outcome.status == "failed":
            click.echo(f"sohoa: {_one_line(outcome.source_path)}: {outcome.error}", err=True)
    for scanned in papers:
        if scanned.view.get("signature_error"):
            click.echo(f"sohoa: paper {scanned.outcome.id} archived but not signed: {scanned.view['signature_error']}",
                       err=True)
    if stopped:
        raise stopped
    sys.exit(batch.exit_code)


def _echo_outcome(scanned) -> None:
    click.echo(_outcome_line(scanned.outcome, scanned.view["source_name"]))
    for reason in scanned.outcome.rescan:
        click.echo(f"         rescan {reason}")
    if scanned.view.get("signature"):
        click.echo(f"         {_signature_line(scanned.view['signature'])}")


def _outcome_line(o, shown_name: str) -> str:
    where = ""
    if o.record_code:
        role = "kết quả" if o.is_result else o.component
        where = f" → {o.record_code}{' / ' + role if role else ''}"
    name = _one_line(shown_name) + (f" p.{o.page_range}" if o.page_range else "")
    note = f"; {o.note}" if o.note and o.status == "new" else ""
    if o.status == "new":
        conf = f", confidence {o.mean_confidence:.1f}" if o.mean_confidence is not None else ""
        return f"new      #{o.id:<5} {name} ({o.pages} page{'s' if o.pages != 1 else ''}{conf}{note}){where}"
    if o.status == "skipped":
        return f"skipped  #{o.id if o.id is not None else '-':<5} {name} ({o.note})"
    return f"failed          {name}: {o.error}"


def _one_line(name: str) -> str:
    """A file name as printed: a newline or other control character in it shown escaped (\\n)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


@archive_command(main, writes=False)
@click.option("--accept", "accept_id", type=int, metavar="ID",
              help="Keep paper ID's flagged pages as they are (the original allows no better); needs --reason.")
@click.option("--page", "pages", type=click.IntRange(1), multiple=True, metavar="N",
              help="With --accept: only this page of the paper (repeatable) [default: all its flagged pages].")
@click.option("--reason", metavar="TEXT", help="With --accept: why the pages are kept (logged).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per page.")
def rescan(archive, actor, accept_id, pages, reason, as_json):
    """Pages to scan again: under 200 dpi, low OCR confidence, blank or nearly empty.

    A page leaves the list when its paper is replaced by the new scan (sohoa replace OLD NEW),
    or when accepted as it is: sohoa rescan --accept ID [--page N] --reason TEXT.
    """
    from digitize.services.records import accept_rescan, rescan_list

    if accept_id is None:
        if pages or reason is not None:
            raise BadArgument("--page and --reason go with --accept ID")
    else:
        done = accept_rescan(archive, actor, accept_id, list(pages), reason)
        if as_json:
            _print_json(done)
        else:
            for a in done["accepted"]:
                click.echo(f"#{accept_id:<5} page {a['page']} kept as it is (was: {'; '.join(a['reasons'])})")
        return
    rows = rescan_list(archive, actor)
    if as_json:
        _print_json(rows)
        return
    for r in rows:  # the paper's page (for --accept --page) and where it sits in the scanned file
        click.echo(f"#{r['id']:<5} page {r['page']:<3} from {r['source_name']} page {r['source_page']}  "
                   f"{r['record_code'] or '(no record)'}  {'; '.join(r['reasons'])}")
    click.echo(f"{len(rows)} page{'s' if len(rows) != 1 else ''} to rescan" if rows else "nothing to rescan")


@archive_command(main)
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@click.option("--record-from-code", is_flag=True,
              help="Attach the papers after a record-code QR/barcode page (the receipt) to that record.")
@click.option("--split", type=click.Choice(["none", "blank", "code"]), default="none", show_default=True,
              help="Cut each file into papers, as for scan.")
@click.option("--jobs", type=click.IntRange(1, 64), help="OCR worker processes [default: one per core]")
@click.option("--poll", type=click.FloatRange(0.1, 3600), default=2.0, show_default=True,
              help="Seconds between looks; a file is taken once unchanged between two looks.")
@click.option("--once", is_flag=True, help="Archive the files there now, then stop.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per paper (JSON Lines).")
def watch(archive, actor, inbox, record_from_code, split, jobs, poll, once, as_json):
    """Hot folder: archive each scan landing in INBOX, then move it to INBOX/done or INBOX/failed."""
    from digitize.services.scanning import watch as watch_inbox

    files = watch_inbox(archive, actor, inbox, record_from_code=record_from_code, split=split, processes=jobs,
                        poll=poll, once=once)
    if not as_json:
        click.echo(f"watching {inbox} (Ctrl-C to stop)", err=True)
    try:
        for filed in files:
            for scanned in filed.papers:
                if as_json:
                    click.echo(json.dumps(scanned.view, ensure_ascii=False))
                else:
                    _echo_outcome(scanned)
            if not as_json:
                click.echo(f"         {filed.name} → {filed.moved_to}")
            for scanned in filed.papers:
                outcome = scanned.outcome
                if outcome.status == "failed":
                    click.echo(f"sohoa: {_one_line(outcome.source_path)}: {outcome.error}", err=True)
    except KeyboardInterrupt:
        click.echo("sohoa: watch stopped", err=True)


# -- signatures -----------------------------------------------------------------------------------
@archive_command(main, remote="server")
@click.argument("ids", metavar="ID...", nargs=-1, required=True, type=int)
@_key_options
@click.option("--server", metavar="URL", help="Sign papers archived on this Sohoa server (https://HOST) with the "
              "token here: the server prepares, the token signs, the server embeds [default: this archive].")
@click.option("--api-token-file", type=click.Path(path_type=Path), metavar="FILE",
              help="With --server: the API token (sohoa tokens create) from FILE's first line [else env SOHOA_TOKEN].")
@click.option("--json", "as_json", is_flag=True)
def sign(archive, actor, ids, key_file, password_file, pkcs11, token, key_label, tsa, server, api_token_file,
         as_json):
    """Sign papers' archived copies as the receiving officer (PAdES B-B; B-T with --tsa)."""
    if server:
        return _sign_at_server(server, api_token_file, ids, _key(key_file, password_file, pkcs11, token, key_label),
                               tsa, as_json)
    if api_token_file:
        raise BadArgument("--api-token-file goes with --server")
    from digitize.services.signing import sign as sign_papers

    done = sign_papers(archive, actor, list(ids), _key(key_file, password_file, pkcs11, token, key_label), tsa_url=tsa)
    if as_json:
        _print_json(done)
        return
    for d in done:
        click.echo(f"#{d['id']:<5} {_signature_line(d['signature'])}")


def _sign_at_server(server, api_token_file, ids, key, tsa, as_json):
    """One line per paper (a JSON object with --json), each failure on stderr; the exit code as scan's:
    the failures' own when they agree, else InputError's."""
    from digitize.services.signing import read_api_token, sign_at_server

    failed = []
    for paper_id, done in sign_at_server(server, read_api_token(api_token_file), list(ids), key, tsa_url=tsa):
        if isinstance(done, SohoaError):
            failed.append(done)
            click.echo(f"sohoa: paper {paper_id}: {_one_line(str(done))}", err=True)
        elif as_json:
            click.echo(json.dumps(done, ensure_ascii=False))
        else:
            click.echo(f"#{paper_id:<5} {_signature_line(done['signature'])}")
    if failed:
        codes = {e.exit_code for e in failed}
        sys.exit(codes.pop() if len(codes) == 1 else InputError.exit_code)


@archive_command(main, writes=False)
@click.argument("target", metavar="ID|FILE.pdf")
@click.option("--trust", multiple=True, type=click.Path(path_type=Path), metavar="CA.pem",
              help="A trusted root CA (repeatable) [default: the archive's trust/ folder].")
@click.option("--json", "as_json", is_flag=True)
def verify(archive, actor, target, trust, as_json):
    """Check a paper's (or a PDF's) signatures: unchanged since signing, chain to a trusted root,
    certificate valid at signing time and not revoked, time stamp. Exit 0 only if all are valid."""
    from digitize.services.signing import require_valid, verify as check_signatures

    report = check_signatures(archive, actor, target, trust=trust)
    if as_json:
        _print_json(report)
    else:
        for s in report["signatures"]:
            stamp = f" time-stamped {s['timestamp_at']}" if s["timestamp_at"] else ""
            verdict = "valid  " if s["valid"] else "INVALID"
            click.echo(f"{verdict} {s['field_name']}  {s['level']}  {s['signed_at'] or '-'}{stamp}  "
                       f"{s['signer_subject']} (serial {s['signer_serial']}; issuer {s['signer_issuer']})"
                       + ("" if s["valid"] else f": {s['reason']}"))
    require_valid(report)


@archive_command(main)
@click.argument("record_code", metavar="RECORD_CODE")
@click.option("--to", "folder", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="The folder to write into (made if missing).")
@click.option("--json", "as_json", is_flag=True)
def export(archive, actor, record_code, folder, as_json):
    """Export a record for the archive (Decree 30): its papers as PDF in the order received, one XML."""
    from digitize.services.exporting import export as export_record

    done = export_record(archive, actor, record_code, folder)
    if as_json:
        _print_json(done)
        return
    for f in done["files"]:
        click.echo(f)
    click.echo(f"{done['xml']}: {done['documents']} documents, {done['pages']} pages")


# -- search and look ------------------------------------------------------------------------------
@archive_command(main, writes=False)
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--issued-from", metavar="DATE", help="Issued on or after this date (YYYY-MM-DD or DD/MM/YYYY).")
@click.option("--issued-to", metavar="DATE", help="Issued on or before this date.")
@click.option("--expires-from", metavar="DATE", help="Expiring on or after this date.")
@click.option("--expires-to", metavar="DATE", help="Expiring on or before this date.")
@click.option("--valid", is_flag=True, help="Only papers not expired (today) and not replaced.")
@_SHOW_IDS
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of hits.")
def search(archive, actor, query, limit, as_json, valid, show_ids, **dates):
    """Full-text search, tones and đ optional: `sohoa search nguyen van an`.

    \b
    Words must all match; "quoted words" side by side; OR, NOT or -word.
    Fields: type: holder: id: record: procedure: agency:  e.g. holder:"nguyen van an" type:khai
    Words of 5+ letters also match one OCR error away, ranked below exact matches.
    """
    from digitize.services.papers import search as find

    rows = find(archive, actor, " ".join(query), limit=limit, valid=valid, show_ids=show_ids, **dates)
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
        click.echo(f"    {_render_snippet(r['snippet'], bold)}")


# A masked ID (0793******67) is one unit, highlighted or not: its stars are not `**` markers.
_SNIPPET_TOKENS = re.compile(r"(\d{4}\*+\d{2})|\*\*((?:\d{4}\*+\d{2}|.)+?)\*\*")


def _render_snippet(snippet: str, bold: bool) -> str:
    def render(m):
        if m[1]:
            return m[1]
        return click.style(m[2], bold=True) if bold else f"[{m[2]}]"

    return _SNIPPET_TOKENS.sub(render, snippet)


@archive_command(main, writes=False)
@click.argument("paper_id", metavar="ID", type=int)
@_SHOW_IDS
@click.option("--json", "as_json", is_flag=True)
def show(archive, actor, paper_id, show_ids, as_json):
    """A paper's metadata: source, pages, confidence, record."""
    from digitize.services.papers import show as show_paper

    paper = show_paper(archive, actor, paper_id, show_ids=show_ids)
    if as_json:
        _print_json(paper)
        return
    for key in ("id", "source_name", "source_path", "pdf_path", "sha256", "page_count", "mean_confidence",
                "ocr_languages", "scanned_by", "scanned_at", "text_chars"):
        click.echo(f"{key:16} {paper[key]}")
    for key, v in paper["metadata"].items():
        if v["value"] is not None or v.get("note"):
            how = (f"corrected by {v.get('corrected_by')}" if v["source"] == "corrected"
                   else f"confidence {v['confidence']:.2f}")
            value = v["value"] if v["value"] is not None else f"({v['text']}: {v['note']})"
            click.echo(f"{key:16} {value} ({how})")
    click.echo(f"{'validity':16} {paper['validity']['text']}")
    if paper["kept_as_is"]:
        click.echo(f"{'copy':16} the original file as it came (born digital or signed), no pages of Sohoa's")
    for s in paper["signatures"]:
        status = "valid" if s["valid"] else f"NOT VALID: {s['reason']}"
        click.echo(f"{'signature':16} {s['field_name']} {_signature_line(s)}; {status}")
    for a in paper["attachments"]:
        role = "result" if a["is_result"] else a["component"]
        click.echo(f"{'record':16} {a['record_code']} / {role} (by {a['attached_by']}, {a['attached_at']})")
    for p in paper["pages"]:
        conf = "-" if p["confidence"] is None else f"{p['confidence']:.1f}"
        notes = []
        if p["rotation"]:
            notes.append(f"turned {p['rotation']}°" + (" clockwise" if p["rotation"] in (90, 270) else ""))
        if p["skew"]:
            notes.append(f"straightened {abs(p['skew']):.1f}°")
        if p["rescan"]:
            notes.append(f"rescan: {'; '.join(p['rescan'])}")
        click.echo(f"{'page ' + str(p['page_no']):16} {p['width']}×{p['height']} {p['dpi']} dpi {p['mode']} "
                   f"{p['text_source']} {p['language']} confidence {conf}" + "".join(f", {n}" for n in notes))


@archive_command(main)
@click.argument("paper_id", metavar="ID", type=int)
def text(archive, actor, paper_id):
    """A paper's OCR text (pages separated by form feeds)."""
    from digitize.services.papers import text as paper_text

    click.echo(paper_text(archive, actor, paper_id))


# -- metadata and reuse ---------------------------------------------------------------------------
def _field_options(func):
    from digitize.metadata import DATE_FIELDS, FIELDS

    for field in reversed(FIELDS):
        kind = "DATE" if field in DATE_FIELDS else "TEXT"
        func = click.option("--" + field.replace("_", "-"), field, metavar=kind,
                            help=f"Correct {field} (empty to clear)" + (", YYYY-MM-DD or DD/MM/YYYY" if kind == "DATE" else ""))(func)
    return func


@archive_command(main)
@click.argument("paper_id", metavar="ID", type=int)
@_field_options
@click.option("--json", "as_json", is_flag=True, help="Print the changes and the paper's metadata as JSON.")
def edit(archive, actor, paper_id, as_json, **fields):
    """Correct a paper's metadata: corrections win over extraction and are logged."""
    from digitize.services.papers import edit as correct

    done = correct(archive, actor, paper_id, {f: v for f, v in fields.items() if v is not None})
    if as_json:
        _print_json(done)
        return
    for c in done["changes"]:
        click.echo(f"#{paper_id} {c['field']}: {c['old'] if c['old'] is not None else '-'} → "
                   f"{c['new'] if c['new'] is not None else '-'}")


@archive_command(main)
@click.argument("ids", metavar="[ID]...", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every paper (after the document types file changed).")
def extract(archive, actor, ids, every):
    """Extract metadata again from the stored text; corrections stay. Without IDs: papers never extracted."""
    from digitize.services.papers import extract as reextract

    count = reextract(archive, actor, ids, every=every)
    click.echo(f"extracted metadata from {count} papers")


@archive_command(main)
@click.argument("paper_id", metavar="ID", type=int)
@click.option("--record", metavar="CODE", required=True, help="The record that reuses the paper.")
@click.option("--component", metavar="NAME", help="The component of that record the paper serves.")
@click.option("--force", is_flag=True, help="Reuse an expired or replaced paper anyway (needs --reason).")
@click.option("--reason", metavar="TEXT", help="Why an invalid paper is reused (logged).")
@click.option("--json", "as_json", is_flag=True)
def reuse(archive, actor, paper_id, record, component, force, reason, as_json):
    """Attach an archived paper to a component of another record, marked reused."""
    from digitize.services.papers import reuse as reuse_paper

    done = reuse_paper(archive, actor, paper_id, record, component, force=force, reason=reason)
    if as_json:
        _print_json(done)
        return
    where = f"{done['record_code']} / {done['component']}"
    if not done["changed"]:
        click.echo(f"#{paper_id} is already reused for {where}")
        return
    click.echo(f"#{paper_id} reused for {where} ({done['validity']}"
               f"{', forced' if done['forced'] else ''})")


@archive_command(main)
@click.argument("old_id", metavar="OLD_ID", type=int)
@click.argument("new_id", metavar="NEW_ID", type=int)
@click.option("--json", "as_json", is_flag=True)
def replace(archive, actor, old_id, new_id, as_json):
    """Mark a paper replaced by a newer one (it is then no longer valid for reuse)."""
    from digitize.services.papers import replace as mark_replaced

    done = mark_replaced(archive, actor, old_id, new_id)
    if as_json:
        _print_json(done)
    else:
        click.echo(f"#{old_id} {'is now' if done['changed'] else 'was already'} replaced by #{new_id}")


@archive_command(main, writes=False)
@click.option("--holder-id", metavar="ID", required=True, help="The citizen's ID (12-digit CCCD or 9-digit CMND).")
@click.option("--valid", is_flag=True, help="Only papers not expired and not replaced.")
@_SHOW_IDS
@click.option("--json", "as_json", is_flag=True)
def papers(archive, actor, holder_id, valid, show_ids, as_json):
    """A citizen's archived papers, newest first, with whether each is still valid."""
    from digitize.services.papers import of_holder

    rows = of_holder(archive, actor, holder_id, valid=valid, show_ids=show_ids)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        click.echo(f"no papers of {holder_id}")
        return
    for r in rows:
        records = ", ".join(a["record_code"] for a in r["records"]) or "no record"
        click.echo(f"#{r['id']:<5} {r['issue_date'] or '-':10}  {r['doc_type'] or '(type unknown)'}  "
                   f"{r['number'] or ''}  {r['validity']['text']}  [{records}]  {r['source_name']}")


# -- reports and upkeep ---------------------------------------------------------------------------
@archive_command(main, writes=False)
@click.option("--by", metavar="KEYS", help="Group by agency, procedure, channel, month or a combination: agency,month.")
@_FROM
@_TO
@_RULE
@click.option("--max-points", metavar="N|records=N,results=N,reuse=N",
              help="Full points of each indicator [default: 10 each].")
@click.option("--missing", is_flag=True, help="List the records not digitized and what each lacks, oldest due first.")
@click.option("--limit", type=click.IntRange(0), help="With --missing: at most this many records "
              "(oldest due first) [default: 1000; 0: all].")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report (tables and charts) to this file.")
@click.option("--lang", type=click.Choice(["vi", "en"]), help="With --html: the report's language [default: vi].")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
def coverage(archive, actor, by, date_from, date_to, rule, max_points, missing, limit, html_file, lang, as_json,
             as_csv):
    """Decision 766 digitization indicators: records, results and reuse rates, points and flags."""
    from digitize import coverage as cov
    from digitize.services import records

    # One command, three services (the indicators, their HTML page, the missing list): options that
    # none of the chosen one takes are refused here.
    if as_json and as_csv:
        raise BadArgument("choose one of --json and --csv")
    if limit is not None and not missing:
        raise BadArgument("--limit goes with --missing")
    if lang and not html_file:
        raise BadArgument("--lang goes with --html")
    period = {"date_from": date_from, "date_to": date_to}
    if missing:
        if as_csv or html_file or by:
            raise BadArgument("--missing lists records: it takes --from, --to, --rule, --limit and --json")
        report = records.missing(archive, actor, rule=rule, limit=limit, **period)
        click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else cov.format_missing(report))
        return
    if html_file:
        records.coverage_html(archive, actor, html_file, rule=rule, max_points=max_points, lang=lang, **period)
        click.echo(f"wrote {html_file}")
        return
    report = records.coverage(archive, actor, by=by, rule=rule, max_points=max_points, **period)
    if as_json:
        _print_json(report)
    elif as_csv:
        click.echo(cov.to_csv(report), nl=False)
    else:
        click.echo(cov.format_table(report))


@archive_command(main)
@click.argument("paper_id", metavar="ID", type=int)
@click.option("--record", metavar="CODE", help="The registered record the paper serves.")
@click.option("--component", metavar="NAME", help="…as this component of the record.")
@click.option("--result", is_flag=True, help="…as the record's result (giấy tờ kết quả).")
@click.option("--json", "as_json", is_flag=True)
def attach(archive, actor, paper_id, record, component, result, as_json):
    """Link an already archived paper to a record's component or result."""
    from digitize.services.papers import attach as attach_paper

    done = attach_paper(archive, actor, paper_id, record, component, result)
    if as_json:
        _print_json(done)
        return
    where = f"{done['record_code']} / {'kết quả' if done['is_result'] else done['component']}"
    click.echo(f"attached #{paper_id} → {where}" if done["attached"] else f"#{paper_id} was already attached to {where}")


SEARCH_URL = click.option("--search-url", envvar="SOHOA_SEARCH_URL", metavar="URL",
                          help="PostgreSQL server of the postgres engine, postgresql://USER@HOST/DB (password in "
                               "PGPASSWORD or ~/.pgpass) [env SOHOA_SEARCH_URL; default: the recorded one, else the "
                               "catalog's database]")


@archive_command(main)
@click.option("--engine", type=click.Choice(["whoosh", "tantivy", "postgres"]),
              help="Switch the archive to this search engine [default: the one it uses]")
@SEARCH_URL
def reindex(archive, actor, engine, search_url):
    """Rebuild the search index from the catalog (a killed rebuild resumes where it stopped)."""
    from digitize.services.upkeep import reindex as rebuild

    count = rebuild(archive, actor, engine=engine, search_url=search_url)
    click.echo(f"reindexed {count} papers in {archive.root / 'index'}"
               + (f" (search engine: {engine})" if engine else ""))


@archive_command(main)
@click.option("--engine", type=click.Choice(["whoosh", "tantivy", "postgres"]),
              help="Search engine of a new archive [default: whoosh; tantivy answers faster on large archives; "
                   "postgres keeps the index in a PostgreSQL database, for several hosts]")
@SEARCH_URL
def init(archive, actor, engine, search_url):
    """Create an archive folder (catalog and search index) with the chosen search engine."""
    from digitize.services.upkeep import init as set_up

    done = set_up(archive, actor, engine=engine, search_url=search_url)
    click.echo(f"{'created' if done['created'] else 'already set up:'} {archive.root} (search engine: {done['engine']}"
               f"{', catalog: ' + done['catalog'] if done['catalog'] else ''})")


# -- trust: integrity, backup, audit --------------------------------------------------------------
@archive_command(main, writes=False)
@click.option("--repair", is_flag=True, help="Re-index what is missing or stale, move orphan files aside.")
@click.option("--json", "as_json", is_flag=True)
def check(archive, actor, repair, as_json):
    """Verify the archive: files and their SHA-256, index against catalog, orphans, schema."""
    from digitize.services.upkeep import check as run_check

    if repair:
        archive.require_writable("sohoa check --repair")
    report = run_check(archive, actor, repair=repair)
    if as_json:
        _print_json(report.to_json())
    else:
        click.echo("\n".join(report.lines()))
    sys.exit(0 if report.ok else 1)


@archive_command(main)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def backup(archive, actor, file, as_json):
    """Write a consistent backup (catalog, archived files, manifest) to FILE (.tar or .tar.gz)."""
    from digitize.services.upkeep import backup as run_backup

    summary = run_backup(archive, actor, file)
    if as_json:
        _print_json(summary)
    else:
        click.echo(f"{file}: {summary['papers']} papers, {summary['files']} files, {summary['bytes']:,} bytes")


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--archive", "archive_root", type=click.Path(path_type=Path), required=True,
              help="A new (or empty) folder to restore into.")
@click.option("--user", envvar="SOHOA_USER", default=lambda: _os_user(), help="Who is working [env SOHOA_USER]")
@click.option("--json", "as_json", is_flag=True)
def restore(file, archive_root, user, as_json):
    """Rebuild an archive from a backup FILE into a new folder (--archive NEW)."""
    from digitize.services.upkeep import restore as run_restore

    summary = run_restore(Actor(user), file, archive_root)
    if as_json:
        _print_json(summary)
    else:
        click.echo(f"{archive_root}: restored {summary['papers']} papers from {file} "
                   f"(made {summary['created_at']}); sohoa check passes")


@archive_command(main, "audit", writes=False)
@click.option("--paper", "paper_id", type=int, metavar="ID", help="Only this paper.")
@click.option("--holder-id", metavar="ID", help="Only papers about this citizen ID.")
@click.option("--since", metavar="DATE", help="From this date on (YYYY-MM-DD or DD/MM/YYYY).")
@_SHOW_IDS
@click.option("--json", "as_json", is_flag=True)
def audit_log(archive, actor, paper_id, holder_id, since, show_ids, as_json):
    """Who scanned, viewed, edited, reused, attached, replaced, accepted for rescan, backed up or restored which papers."""
    from digitize.services.upkeep import audit_log as events

    rows = events(archive, actor, paper_id=paper_id, holder_id=holder_id, since=since, show_ids=show_ids)
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        click.echo("  ".join(x for x in (
            r["at"], r["user"], f"{r['action']:9}", f"paper {r['paper_id']}" if r["paper_id"] is not None else "",
            r["record_code"] or "", ",".join(r["holder_ids"]), r["detail"]) if x))
    if not rows:
        click.echo("no audit events")


# -- the server ----------------------------------------------------------------------------------
_BROKER = click.option("--broker", metavar="URL", envvar="SOHOA_BROKER",
                       help="Jobs over this Redis broker, e.g. redis://host:6379/0 [env SOHOA_BROKER; "
                            "default: the archive's own queue].")


@main.command()
@click.option("--archive", "archive_root", type=click.Path(path_type=Path), envvar="SOHOA_ARCHIVE",
              help=f"Archive folder [env SOHOA_ARCHIVE; default {default_root()}]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (behind a TLS proxy).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(0, 64),
              help="Scan worker processes to run, each restarted if it dies [default: one per core].")
@_BROKER
@click.option("--max-upload", default="200MB", show_default=True, metavar="SIZE",
              help="Largest request body taken (an upload of scans): 200MB, 1.5G, 500k.")
@click.option("--session-hours", type=click.FloatRange(0, 24 * 30, min_open=True), default=8.0, show_default=True,
              help="A login lasts this long.")
@click.option("--signing-key", type=click.Path(path_type=Path), metavar="FILE.p12",
              help="The unit's key (PKCS#12) for POST /papers/{id}/sign, opened once at start.")
@click.option("--signing-password-file", type=click.Path(path_type=Path), metavar="FILE",
              help="The signing key's password from FILE's first line [else env SOHOA_KEY_PASSWORD].")
def serve(archive_root, host, port, workers, broker, max_upload, session_hours, signing_key, signing_password_file):
    """Serve the archive over HTTP: the REST API (/api/v1, docs at /api/docs), logins, scan jobs."""
    from digitize.services.signing import open_server_key
    from server.context import Settings
    from server.run import parse_size, serve as run_server

    settings = Settings(max_upload=parse_size(max_upload), session_seconds=session_hours * 3600,
                        signer=open_server_key(signing_key, signing_password_file) if signing_key else None)
    run_server(archive_root or default_root(), host=host, port=port, workers=workers, settings=settings,
               broker=broker)


@main.command()
@click.option("--archive", "archive_root", type=click.Path(path_type=Path), envvar="SOHOA_ARCHIVE",
              help=f"Archive folder [env SOHOA_ARCHIVE; default {default_root()}]")
@click.option("--processes", type=click.IntRange(1, 64), help="OCR processes per job [default: one per core]")
@click.option("--once", is_flag=True, help="Run the jobs queued now, then stop.")
@_BROKER
def worker(archive_root, processes, once, broker):
    """Run the server's scan jobs (uploads) from the archive's queue, or from a broker on any host that
    reaches the catalog and the archive folder, until stopped (SIGTERM ends the current job first).
    `sohoa serve --workers N` starts these itself."""
    import logging

    from digitize.services import jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs.run_worker(archive_root or default_root(), processes=processes, once=once, broker=broker)


# -- users and tokens of the server ---------------------------------------------------------------
_ROLE = click.option("--role", type=click.Choice(["clerk", "staff", "manager", "admin"]), required=True,
                     help="clerk: intake; staff: search, reuse, metadata; manager: coverage, audit; admin: users, upkeep.")
_AGENCY = click.option("--agency", "agencies", multiple=True, metavar="NAME",
                       help="Only this agency's records and papers (repeatable) [default: all].")


def _password(password_file: Path | None) -> str:
    if password_file is None:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        return password_file.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadArgument(f"{password_file}: cannot read the password ({exc}); give a readable text file",
                          field=None) from None


def _account_line(a: dict) -> str:
    state = "disabled" if a.get("disabled") else "revoked" if a.get("revoked") else "active"
    return f"{a['name']:20} {a['role']:8} {state:8} {', '.join(a['agencies']) or '(all agencies)'}  {a['created']}"


@main.group(cls=SohoaGroup)
def users():
    """People who log in to the server (sohoa serve)."""


@archive_command(users, "add")
@click.argument("name")
@_ROLE
@_AGENCY
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the password from this file [default: prompted twice].")
def users_add(archive, actor, name, role, agencies, password_file):
    """Add a user who logs in with a password."""
    from digitize.services.accounts import add_user

    done = add_user(archive, actor, name, role, _password(password_file), agencies)
    click.echo(f"added {done['name']} ({done['role']})")


@archive_command(users, "list", writes=False)
@click.option("--json", "as_json", is_flag=True)
def users_list(archive, actor, as_json):
    """The users, with role, state and agencies."""
    from digitize.services.accounts import list_users

    rows = list_users(archive, actor)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        click.echo(_account_line(row))
    click.echo(f"{len(rows)} users")


@archive_command(users, "disable")
@click.argument("name")
def users_disable(archive, actor, name):
    """Stop a user from logging in (an open session stops at its next request)."""
    from digitize.services.accounts import disable_user

    click.echo(f"disabled {disable_user(archive, actor, name)['name']}")


@archive_command(users, "passwd")
@click.argument("name")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the new password from this file [default: prompted twice].")
def users_passwd(archive, actor, name, password_file):
    """Set a user's password."""
    from digitize.services.accounts import set_password

    click.echo(f"changed the password of {set_password(archive, actor, name, _password(password_file))['name']}")


@main.group(cls=SohoaGroup)
def tokens():
    """Tokens of machine clients (Authorization: Bearer), stored only as a hash."""


@archive_command(tokens, "create")
@click.argument("name")
@_ROLE
@_AGENCY
def tokens_create(archive, actor, name, role, agencies):
    """Create a token; it is printed once, on the last line."""
    from digitize.services.accounts import create_token

    done = create_token(archive, actor, name, role, agencies)
    click.echo(f"created token {done['name']} ({done['role']}); it is shown only now:")
    click.echo(done["token"])


@archive_command(tokens, "list", writes=False)
@click.option("--json", "as_json", is_flag=True)
def tokens_list(archive, actor, as_json):
    """The tokens, with role, state and agencies (never their secret)."""
    from digitize.services.accounts import list_tokens

    rows = list_tokens(archive, actor)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        click.echo(_account_line(row))
    click.echo(f"{len(rows)} tokens")


@archive_command(tokens, "revoke")
@click.argument("name")
def tokens_revoke(archive, actor, name):
    """Revoke a token: clients using it get 401 from now on."""
    from digitize.services.accounts import revoke_token

    click.echo(f"revoked {revoke_token(archive, actor, name)['name']}")


if __name__ == "__main__":
    main()
