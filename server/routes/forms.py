"""What the upload routes share: the multipart body in OpenAPI, and the form read into tmp/uploads/."""

from __future__ import annotations

from fastapi import Request

from digitize.errors import BadArgument, Field
from server.uploads import Form, read_form


def multipart(files: dict[str, bool], fields: dict[str, dict] | None = None, required: tuple[str, ...] = ()) -> dict:
    """OpenAPI's requestBody of a form upload: `files` maps each file field to whether it takes several."""
    properties = {name: ({"type": "array", "items": {"type": "string", "format": "binary"}} if many
                         else {"type": "string", "format": "binary"}) for name, many in files.items()}
    properties.update(fields or {})
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


async def form(request: Request) -> Form:
    state = request.app.state
    return await read_form(request, state.root / "tmp", state.settings.max_upload)


def flag(form: Form, name: str) -> bool:
    value = (form.value(name) or "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no", "on", "off", ""):
        raise BadArgument("{name} must be true or false, not {value!r}", field=name, name=Field(name), value=value)
    return value in ("true", "1", "yes", "on")


def row_id(form: Form, name: str) -> int | None:
    """A form field naming a paper by its id (a positive integer), if given."""
    value = (form.value(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise BadArgument("{name} must be a paper's id, not {value!r}", field=name, name=Field(name), value=value)
    return int(value)
