"""Multipart bodies read as they arrive: each file part written in chunks to its own file under
the archive's tmp/uploads/, never whole in memory, and refused (413) as soon as the body passes
the limit. A part's file name is data — kept as text for the job and the catalog — and never a
path: the file on disk is named by the server."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from digitize.errors import BadArgument, TooLarge, UnsupportedMedia

FIELD_LIMIT = 64 << 10  # bytes of a plain (not file) form field
UPLOADS = "uploads"  # under the archive's tmp/
# What an uploaded file's name may give its file on disk: the scan and register readers look at the suffix.
SUFFIXES = {".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png", ".csv", ".json"}


@dataclass
class Upload:
    name: str  # as the client sent it: text, never a path
    path: Path
    size: int = 0


@dataclass
class Form:
    folder: Path
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def suffix(name: str) -> str:
    found = re.search(r"\.[A-Za-z]{3,4}$", name)
    return found[0].lower() if found and found[0].lower() in SUFFIXES else ""


def megabytes(size: int) -> str:
    return f"{size / 1e6:g} MB"


async def read_form(request: Request, tmp: Path, limit: int) -> Form:
    """The request's multipart form, its files in a new folder under `tmp`/uploads/ (the caller
    removes it, or hands the files on). TooLarge past `limit` bytes of body, UnsupportedMedia for
    a body that is not multipart/form-data."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in options:
        raise UnsupportedMedia("send the files as multipart/form-data (a form upload), not {value}",
                               field="content-type", value=ctype.decode("latin-1") or "an untyped body")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge("the upload is {size}, over this server's limit of {limit}; send fewer or smaller files",
                       field="files", size=megabytes(int(declared)), limit=megabytes(limit))
    (tmp / UPLOADS).mkdir(0o770, exist_ok=True)
    form = Form(tmp / UPLOADS / secrets.token_hex(8))
    form.folder.mkdir(0o770)
    try:
        await _parse(request, options[b"boundary"], form, limit)
    except BaseException:
        form.remove()
        raise
    return form


async def _parse(request: Request, boundary: bytes, form: Form, limit: int) -> None:
    part: dict = {}
    header: list[bytes] = [b"", b""]

    def on_part_begin():
        part.clear()
        part["headers"] = {}

    def on_header_field(data, start, end):
        header[0] += data[start:end]

    def on_header_value(data, start, end):
        header[1] += data[start:end]

    def on_header_end():
        part["headers"][header[0].decode("latin-1").lower()] = header[1]
        header[0], header[1] = b"", b""

    def on_headers_finished():
        _, options = parse_options_header(part["headers"].get("content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        part["name"] = name
        if b"filename" in options:
            filename = options[b"filename"].decode("utf-8", "replace")
            count = sum(len(v) for v in form.files.values())
            upload = Upload(filename, form.folder / f"{count:04d}{suffix(filename)}")
            part["upload"] = upload
            part["file"] = open(upload.path, "xb")
            form.files.setdefault(name, []).append(upload)
        else:
            part["value"] = bytearray()

    def on_part_data(data, start, end):
        if "file" in part:
            part["file"].write(data[start:end])
            part["upload"].size += end - start
        else:
            part["value"] += data[start:end]
            if len(part["value"]) > FIELD_LIMIT:
                raise BadArgument("the form field {value!r} is too long", field=part["name"], value=part["name"])

    def on_part_end():
        if "file" in part:
            part["file"].close()
        else:
            form.fields.setdefault(part["name"], []).append(bytes(part["value"]).decode("utf-8", "replace"))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end})
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise TooLarge("the upload is over this server's limit of {limit}; send fewer or smaller files",
                               field="files", limit=megabytes(limit))
            parser.write(chunk)
        parser.finalize()
    except (BadArgument, TooLarge):
        raise
    except Exception as exc:  # the parser's own errors: a body cut short, a broken boundary
        if isinstance(exc, OSError) and exc.errno is not None:
            raise
        raise BadArgument("the multipart body does not parse ({problem}); send a well-formed form upload",
                          field="files", problem=str(exc)) from None
    finally:
        if "file" in part and not part["file"].closed:
            part["file"].close()


def fsync_all(form: Form) -> None:
    """The uploaded files on disk before a job that reads them is committed."""
    for uploads in form.files.values():
        for upload in uploads:
            with open(upload.path, "rb") as f:
                os.fsync(f.fileno())
